package dev.batchlane.local;

import static dev.batchlane.local.Cli.JSON;
import static dev.batchlane.local.Cli.out;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.lane.Keys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Copies a finished job's objects out of the stack's bucket. */
final class JobResults {
    private JobResults() {}

    static int finish(S3Client s3, Job job, Drop drop, Path out) throws IOException {
        String prefix =
                job.status() == JobStatus.REJECTED
                        ? Keys.rejected(job.provider(), job.name(), job.jobId())
                        : "results/" + job.jobId() + "/";
        int copied = copy(s3, prefix, out);
        Path where = out.resolve(prefix).toAbsolutePath().normalize();
        if (job.status() == JobStatus.REJECTED) {
            JsonNode report = JSON.readTree(out.resolve(prefix + "report.json").toFile());
            out().println("REJECTED: " + report.path("message").asText());
            for (JsonNode v : report.path("firstViolations")) {
                String at =
                        v.path("line").asLong() == 0 ? "file" : "line " + v.path("line").asLong();
                out().println(
                                "  "
                                        + at
                                        + " ["
                                        + v.path("code").asText()
                                        + "] "
                                        + v.path("message").asText());
            }
            out().println("report and error list (" + copied + " files): " + where);
            return 1;
        }
        JsonNode manifest = JSON.readTree(out.resolve(prefix + "manifest.json").toFile());
        JsonNode c = manifest.path("counts");
        out().println(
                        "COMPLETED: "
                                + c.path("succeeded").asLong()
                                + " succeeded, "
                                + c.path("failed").asLong()
                                + " failed, "
                                + c.path("expired").asLong()
                                + " expired, "
                                + c.path("cancelled").asLong()
                                + " cancelled of "
                                + c.path("requests").asLong()
                                + " requests; "
                                + manifest.at("/usage/totalTokens").asLong()
                                + " tokens");
        if (manifest.has("cost") && !manifest.at("/cost/batchUsd").isNull()) {
            out().println(
                            "cost: $"
                                    + manifest.at("/cost/batchUsd").decimalValue().toPlainString()
                                    + " at batch prices ($"
                                    + manifest.at("/cost/syncUsd").decimalValue().toPlainString()
                                    + " synchronously)");
        }
        if (manifest.has("failedFile")) {
            out().println(
                            "requests to fix and drop again: "
                                    + out.resolve(manifest.get("failedFile").asText())
                                            .toAbsolutePath()
                                            .normalize());
        }
        out().println("results (" + copied + " files): " + where);
        return 0;
    }

    static int copy(S3Client s3, String prefix, Path out) throws IOException {
        int n = 0;
        for (S3Object o :
                s3.listObjectsV2Paginator(b -> b.bucket(Stack.BUCKET).prefix(prefix)).contents()) {
            Path target = out.resolve(o.key());
            Files.createDirectories(target.getParent());
            Files.deleteIfExists(target);
            s3.getObject(b -> b.bucket(Stack.BUCKET).key(o.key()), target);
            n++;
        }
        return n;
    }
}
