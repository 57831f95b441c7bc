package dev.batchlane.core.ingest;

import dev.batchlane.core.job.IngestProgress;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.Deadline;
import dev.batchlane.core.lane.ShardSubmitter;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Hands a recorded job's staged shards on: to the provider while the invocation has time for one
 * more submission, else to poll; then marks the job running. Shared by a first ingest and by a
 * resumed one, which is why it reads the shards from the store rather than from the pass.
 */
final class ShardHandOff {
    private static final System.Logger LOG = System.getLogger(ShardHandOff.class.getName());

    private final JobStore store;
    private final ShardSubmitter submitter;
    private final Clock clock;
    private final Duration submitMargin;

    /**
     * {@code submitMargin}: the time one submission (an upload of up to a few hundred MB and a
     * create) needs before the invocation's deadline.
     */
    ShardHandOff(JobStore store, ShardSubmitter submitter, Clock clock, Duration submitMargin) {
        this.store = store;
        this.submitter = submitter;
        this.clock = clock;
        this.submitMargin = submitMargin;
    }

    /**
     * Submits the job's input shards that no one submitted yet, while the invocation has time for
     * one more; the rest are made due at once, so the next poll cycle submits them.
     */
    IngestService.Ingestion submitStaged(Job job, Deadline deadline) {
        List<Shard> shards = store.shards(job.jobId());
        int byIngest = 0;
        int toPoll = 0;
        // Once the admission budget refuses a shard, the later ones of its pool wait behind it.
        Set<String> blockedPools = new HashSet<>();
        for (Shard shard : shards) {
            if (shard.status() != ShardStatus.STAGED || shard.timeline().dueAt() != null) {
                continue;
            }
            if (deadline.allows(clock, submitMargin)) {
                submitter.submit(job, shard, blockedPools);
                byIngest++;
            } else if (store.updateShard(shard, shard.withDue(clock.instant())).isPresent()) {
                toPoll++;
            }
        }
        if (toPoll > 0) {
            LOG.log(
                    Level.INFO,
                    "job {0}: {1} shard(s) left for poll to submit; the invocation has {2} s left",
                    job.jobId(),
                    toPoll,
                    deadline.remaining(clock).toSeconds());
        }
        // Only input shards count here: child shards of early finishers counted themselves.
        int inputShards = (int) shards.stream().filter(s -> s.depth() == 0).count();
        if (store.markRunning(job.jobId(), inputShards, clock.instant())
                && store.job(job.jobId()).map(Job::allShardsCompleted).orElse(false)) {
            // Every shard finished while the job was still INGESTING, so no complete could finish
            // it.
            LOG.log(
                    Level.INFO,
                    "job {0}: every shard completed before the job was marked running; asking"
                            + " complete to finish it",
                    job.jobId());
            store.requestFinish(job.jobId(), clock.instant());
        }
        Optional<IngestProgress> progress = store.ingestProgress(job.jobId());
        if (progress.isPresent()) {
            IngestProgress p = progress.get();
            store.recordIngestProgress(
                    job.jobId(),
                    p.submitted(
                            p.submittedByIngest() + byIngest,
                            p.handedToPoll() + toPoll,
                            clock.instant()));
        }
        LOG.log(
                Level.INFO,
                "job {0}: {1} shard(s) handed to {2}",
                job.jobId(),
                inputShards,
                job.provider());
        return new IngestService.Ingestion(
                job.jobId(), IngestService.Outcome.ACCEPTED, inputShards, job.requestCount());
    }
}
