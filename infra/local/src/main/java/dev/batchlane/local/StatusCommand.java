package dev.batchlane.local;

import static dev.batchlane.local.Cli.CANNOT_PROGRESS;
import static dev.batchlane.local.Cli.home;
import static dev.batchlane.local.Cli.out;
import static dev.batchlane.local.JobFollower.CannotProgress;
import static dev.batchlane.local.JobFollower.JobSource;
import static dev.batchlane.local.JobFollower.ingestProgress;
import static dev.batchlane.local.JobFollower.progress;
import static dev.batchlane.local.JobFollower.stuckStep;
import static dev.batchlane.local.UpCommand.Running;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.lane.Keys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code ./batchlane status}: the running stack's jobs and the queues' waiting requests, or one
 * job's shards.
 */
@Command(
        name = "status",
        description =
                "Show a job's progress, or every job's (and each queue's waiting requests) when JOB is omitted.")
public final class StatusCommand implements Callable<Integer> {
    @Parameters(paramLabel = "JOB", arity = "0..1")
    String jobId;

    @Override
    public Integer call() throws Exception {
        Running r = Running.connect();
        JobSource source = r.source();
        if (jobId != null) {
            Job job = r.jobs().job(jobId).orElse(null);
            String problem = problem(source, jobId, job);
            if (job == null && problem == null) {
                System.err.println("no job " + jobId);
                return 1;
            }
            if (job != null) {
                out().println(jobId + "  " + job.inputKey() + "  " + statusLine(source, job));
            }
            if (problem != null) {
                System.err.println(problem);
                return CANNOT_PROGRESS;
            }
            return 0;
        }
        int status = 0;
        for (S3Object o :
                r.s3().listObjectsV2Paginator(b -> b.bucket(Stack.BUCKET).prefix("inbox/"))
                        .contents()) {
            String id = Keys.jobId(Stack.BUCKET, o.key(), o.eTag().replace("\"", ""));
            Job job = r.jobs().job(id).orElse(null);
            out().println(
                            id
                                    + "  "
                                    + o.key()
                                    + "  "
                                    + (job == null
                                            ? "waiting for ingest"
                                            : statusLine(source, job)));
            String problem = problem(source, id, job);
            if (problem != null) {
                System.err.println(problem);
                status = CANNOT_PROGRESS;
            }
        }
        java.time.Instant now = java.time.Instant.now();
        for (QueueStatus q : QueueStatus.of(r.queues().groups())) {
            if (q.requests() > 0) {
                out().println("queue " + q.line(now));
            }
        }
        return status;
    }

    static String statusLine(JobSource source, Job job) {
        return progress(job, source.shards(job.jobId()), false)
                + ingestProgress(job, source.progress(job.jobId()));
    }

    /**
     * What status reports as a job that cannot progress: its ingest failed for good, or shards are
     * stuck.
     */
    static String problem(JobSource source, String jobId, Job job) {
        if (job != null
                && (job.status() == JobStatus.COMPLETED || job.status() == JobStatus.REJECTED)) {
            return null;
        }
        Optional<String> failed = source.failure(jobId);
        if (failed.isPresent()) {
            return new CannotProgress(
                            jobId,
                            "ingest",
                            failed.get() + "; resume it with ./batchlane resume " + jobId)
                    .getMessage();
        }
        if (job != null) {
            Map<String, String> stuck = source.stuckShards(jobId);
            if (!stuck.isEmpty()) {
                return new CannotProgress(
                                jobId,
                                stuckStep(stuck, source.shards(jobId)),
                                "shards flagged stuck: " + stuck)
                        .getMessage();
            }
        }
        return null;
    }

    /** A failure the running stack recorded for 'status' (see Stack#failure). */
    static Optional<String> recordedFailure(String jobId) {
        Path f = AwsTriggers.failedDir(home()).resolve(jobId + ".txt");
        try {
            return Files.isRegularFile(f) ? Optional.of(Files.readString(f)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
