package dev.batchlane.local;

import static dev.batchlane.local.Cli.out;
import static dev.batchlane.local.UpCommand.Running;

import dev.batchlane.core.lane.Keys;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.core.sync.RequestBody;

/** {@code ./batchlane resume}: resume a job whose ingest failed. */
@Command(
        name = "resume",
        description =
                "Resume a job whose ingest failed or stopped: staged shards are submitted,"
                        + " shards already at the provider are left alone (writes resume/JOB, as on AWS).")
public final class ResumeCommand implements Callable<Integer> {
    @Parameters(paramLabel = "JOB")
    String jobId;

    @Override
    public Integer call() throws Exception {
        Running r = Running.connect();
        if (r.jobs().job(jobId).isEmpty() && r.jobs().ingestFailure(jobId).isEmpty()) {
            System.err.println("no job " + jobId + " and no failed ingest recorded for it");
            return 1;
        }
        // A body of its own each time, so a second resume of the same job is a new object (and
        // event).
        r.s3().putObject(
                        b -> b.bucket(Stack.BUCKET).key(Keys.RESUME + jobId),
                        RequestBody.fromString(Instant.now().toString()));
        out().println(
                        "resume requested for "
                                + jobId
                                + "; follow it with ./batchlane status "
                                + jobId);
        return 0;
    }
}
