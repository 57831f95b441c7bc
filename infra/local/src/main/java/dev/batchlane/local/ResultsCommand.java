package dev.batchlane.local;

import static dev.batchlane.local.Cli.out;
import static dev.batchlane.local.JobResults.finish;
import static dev.batchlane.local.UpCommand.Running;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./batchlane results}: copy a finished job's objects to a folder. */
@Command(name = "results", description = "Copy a finished job's objects to --out.")
public final class ResultsCommand implements Callable<Integer> {
    @Parameters(paramLabel = "JOB")
    String jobId;

    @Option(names = "--out", defaultValue = "batchlane-out")
    Path out;

    @Override
    public Integer call() throws Exception {
        Running r = Running.connect();
        Job job = r.jobs().job(jobId).orElse(null);
        if (job == null
                || (job.status() != JobStatus.COMPLETED && job.status() != JobStatus.REJECTED)) {
            System.err.println(
                    "job "
                            + jobId
                            + " has not finished"
                            + (job == null ? " (no such job)" : ": " + job.status()));
            return 1;
        }
        return finish(r.s3(), job, new Drop(job.inputKey(), job.name(), jobId), out);
    }
}
