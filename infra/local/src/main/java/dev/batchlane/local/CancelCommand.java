package dev.batchlane.local;

import static dev.batchlane.local.Cli.out;
import static dev.batchlane.local.UpCommand.Running;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.core.sync.RequestBody;

/** {@code ./batchlane cancel}: ask the running stack to cancel a job. */
@Command(
        name = "cancel",
        description =
                "Cancel a running job: batches in flight are cancelled, what finished is kept.")
public final class CancelCommand implements Callable<Integer> {
    @Parameters(paramLabel = "JOB")
    String jobId;

    @Override
    public Integer call() throws Exception {
        Running r = Running.connect();
        if (r.jobs().job(jobId).isEmpty()) {
            System.err.println("no job " + jobId);
            return 1;
        }
        r.s3().putObject(b -> b.bucket(Stack.BUCKET).key("cancel/" + jobId), RequestBody.empty());
        out().println(
                        "cancel requested for "
                                + jobId
                                + "; follow it with ./batchlane status "
                                + jobId);
        return 0;
    }
}
