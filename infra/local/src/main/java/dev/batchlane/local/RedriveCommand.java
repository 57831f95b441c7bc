package dev.batchlane.local;

import static dev.batchlane.local.Cli.JSON;
import static dev.batchlane.local.Cli.home;
import static dev.batchlane.local.Cli.out;
import static dev.batchlane.local.UpCommand.Running;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.core.lane.Keys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.core.sync.RequestBody;

/** {@code ./batchlane redrive}: hand a job's completion work to complete again. */
@Command(
        name = "redrive",
        description =
                "Hand completion work that ran out of retries (the dead-letter records,"
                        + " or JOB's) to complete again; writes redrive/JOB for each job, as on AWS.")
public final class RedriveCommand implements Callable<Integer> {
    @Parameters(paramLabel = "JOB", arity = "0..1")
    String jobId;

    @Override
    public Integer call() throws Exception {
        Running r = Running.connect();
        java.util.Set<String> jobs = new java.util.TreeSet<>();
        List<Path> letters = List.of();
        Path dir = AwsTriggers.deadLetterDir(home());
        if (jobId != null) {
            jobs.add(jobId);
        } else if (Files.isDirectory(dir)) {
            try (var files = Files.list(dir)) {
                letters = files.sorted().toList();
            }
            for (Path f : letters) {
                for (JsonNode rec : JSON.readTree(f.toFile()).path("Records")) {
                    jobs.add(rec.at("/dynamodb/NewImage/jobId/S").asText());
                }
            }
        }
        if (jobs.isEmpty()) {
            out().println("nothing to re-drive: the dead-letter records (" + dir + ") are empty");
            return 0;
        }
        for (String id : jobs) {
            r.s3().putObject(
                            b -> b.bucket(Stack.BUCKET).key(Keys.REDRIVE + id),
                            RequestBody.fromString(Instant.now().toString()));
            out().println("re-drive requested for " + id);
        }
        for (Path f : letters) {
            Files.deleteIfExists(f);
        }
        out().println("follow with ./batchlane status");
        return 0;
    }
}
