package dev.batchlane.core.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Ends a drop that will not run: its report (and, for a rule about the whole file, its one-line
 * error list) under {@code rejected/}, and a REJECTED job record, so a redelivered event finds the
 * verdict instead of reading the file again.
 */
final class Rejections {
    private static final System.Logger LOG = System.getLogger(Rejections.class.getName());
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final JobStore store;
    private final ObjectStore objects;
    private final Clock clock;
    private final LaneMetrics metrics;

    Rejections(JobStore store, ObjectStore objects, Clock clock, LaneMetrics metrics) {
        this.store = store;
        this.objects = objects;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** What a rule about the whole file (not one of its lines) makes of it: one violation. */
    static FileValidator.Validation fileLevel(Violation v, long bytes) {
        return new FileValidator.Validation(
                0, 0, bytes, null, 1, Map.of(v.code(), 1L), List.of(v), null, null, Map.of());
    }

    /**
     * Writes the rejection. {@code errorsWritten}: the pass already streamed the error list;
     * otherwise the first violation is written as the list. {@code cost} (may be null) goes into
     * the report as it is.
     */
    IngestService.Ingestion reject(
            DroppedFile file,
            FileValidator.Validation checked,
            boolean errorsWritten,
            ObjectNode cost)
            throws IOException {
        String jobId = file.jobId();
        IngestService.ObjectRef ref = file.ref();
        Keys.Drop drop = file.drop();
        String reportKey = Keys.rejectedReport(drop.provider(), drop.name(), jobId);
        String errorsKey = Keys.rejectedErrors(drop.provider(), drop.name(), jobId);
        if (!errorsWritten) {
            byte[] line =
                    (JSON.copy()
                                            .disable(SerializationFeature.INDENT_OUTPUT)
                                            .writeValueAsString(
                                                    violationJson(checked.sample().get(0)))
                                    + "\n")
                            .getBytes();
            objects.putBytes(errorsKey, line, "application/jsonl");
        }
        ObjectNode report = JSON.createObjectNode();
        report.put("status", "rejected");
        report.put("jobId", jobId);
        report.put("input", "s3://" + ref.bucket() + "/" + ref.key());
        report.put("provider", drop.provider());
        report.put("lines", checked.lines());
        report.put("bytes", checked.bytes());
        if (checked.sha256() != null) {
            report.put("sha256", checked.sha256());
        }
        report.put("violations", checked.violationCount());
        report.set("violationsByCode", JSON.valueToTree(checked.violationsByCode()));
        report.put("errors", errorsKey);
        report.put("submitted", 0);
        report.put(
                "message",
                "nothing was submitted: "
                        + (checked.sample().size() == 1 && checked.sample().get(0).line() == 0
                                ? checked.sample().get(0).message()
                                : checked.violationCount()
                                        + " line(s) broke the rules; fix them and drop the file again"));
        if (cost != null) {
            report.set("cost", cost);
        }
        var first = report.putArray("firstViolations");
        checked.sample().forEach(v -> first.add(violationJson(v)));
        objects.putBytes(reportKey, JSON.writeValueAsBytes(report), "application/json");
        Instant now = clock.instant();
        store.createJob(
                Job.builder(jobId, drop.provider())
                        .status(JobStatus.REJECTED)
                        .input(ref.bucket(), ref.key(), ref.identity())
                        .name(drop.name())
                        .sha256(checked.sha256())
                        .inputBytes(checked.bytes())
                        .createdAt(now)
                        .completedAt(now)
                        .resultKey(reportKey)
                        .build());
        LOG.log(
                Level.WARNING,
                "job {0}: rejected {1}: {2} violation(s) {3}; report at {4}",
                jobId,
                ref.key(),
                checked.violationCount(),
                checked.violationsByCode(),
                reportKey);
        metrics.jobRejected(drop.provider());
        return new IngestService.Ingestion(jobId, IngestService.Outcome.REJECTED, 0, 0);
    }

    private static ObjectNode violationJson(Violation v) {
        ObjectNode node = JSON.createObjectNode();
        node.put("line", v.line());
        if (v.customId() != null) {
            node.put("custom_id", v.customId());
        } else {
            node.putNull("custom_id");
        }
        node.put("code", v.code());
        node.put("message", v.message());
        return node;
    }
}
