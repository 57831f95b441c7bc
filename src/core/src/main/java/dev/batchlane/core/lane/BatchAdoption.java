package dev.batchlane.core.lane;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.ShardSubmitter.SubmitOutcome;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Submission;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;

/**
 * The batch of a shard, made now or found from an earlier call: recorded in the lane's batch
 * registry, recorded on the shard (SUBMITTED), and cancelled at once when the job's cancel came
 * while it was being made.
 */
final class BatchAdoption {
    // The submission's own logger name, so what operators filter on did not change when the
    // submission was split into its steps.
    private static final System.Logger LOG = System.getLogger(ShardSubmitter.class.getName());

    private final JobStore store;
    private final LaneSettings settings;
    private final Clock clock;
    private final LaneMetrics metrics;

    BatchAdoption(JobStore store, LaneSettings settings, Clock clock, LaneMetrics metrics) {
        this.store = store;
        this.settings = settings;
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * Records the batch (made now, or found from an earlier call) and moves the shard to SUBMITTED.
     */
    SubmitOutcome adopt(
            Job job,
            Shard staged,
            Shard claimed,
            BatchProvider provider,
            Submission s,
            String how) {
        Instant now = clock.instant();
        Shard submitted = claimed.submitted(s, now, now.plus(settings.pollDelay(0)));
        if (store.updateShard(claimed, submitted).isEmpty()) {
            throw new IllegalStateException(
                    "shard " + staged.id() + " changed while this caller held its claim");
        }
        LOG.log(
                Level.INFO,
                "job {0} shard {1}: {2} as {3} ({4} requests, waited {5} for the queue)",
                job.jobId(),
                Shard.partName(staged.index()),
                how,
                s.batchId(),
                staged.input().requestCount(),
                submitted.queueWait().waited());
        metrics.requestsSubmitted(staged.provider(), staged.input().requestCount());
        cancelIfRequested(job.jobId(), staged.index(), provider, s.batchId());
        return SubmitOutcome.SUBMITTED;
    }

    /**
     * Records a batch this shard's own create was answered with. It is this shard's whatever the
     * registry says, so the shard records it even when the registry write fails (a look-up of
     * another shard then has the rest of its rules to keep it from this batch).
     */
    void register(Job job, Shard staged, String batchId, Instant now) {
        if (batchId == null) {
            return;
        }
        try {
            if (!store.recordBatch(staged.provider(), batchId, job.jobId(), staged.index(), now)) {
                // Another shard took it by a look-up before this create's answer was recorded:
                // a wrong adoption, which a person must hear of.
                LOG.log(
                        Level.ERROR,
                        "job {0} shard {1}: batch {2}, just created for this shard, is recorded by"
                                + " another shard ({3})",
                        job.jobId(),
                        Shard.partName(staged.index()),
                        batchId,
                        store.batchOwner(staged.provider(), batchId).orElse(null));
            }
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "job {0} shard {1}: recording batch {2} in the batch registry failed ({3});"
                            + " the shard records it all the same",
                    job.jobId(),
                    Shard.partName(staged.index()),
                    batchId,
                    e.getClass().getSimpleName());
        }
    }

    /**
     * A cancel that arrived while this shard was SUBMITTING skipped it (there was no batch to
     * cancel yet): now that the batch exists and is recorded, look again and cancel it at once. The
     * cancel wrote its request before reading the shards, and this shard was recorded SUBMITTED
     * before this read, so one of the two always sees the other. A refusal is logged; poll cancels
     * it later.
     */
    private void cancelIfRequested(
            String jobId, int index, BatchProvider provider, String batchId) {
        if (!store.job(jobId).map(Job::cancelRequested).orElse(false)) {
            return;
        }
        try {
            provider.cancel(batchId);
            LOG.log(
                    Level.INFO,
                    "job {0} shard {1}: cancel requested during submission; batch {2} cancelled at once",
                    jobId,
                    Shard.partName(index),
                    batchId);
        } catch (ProviderException | UnsupportedOperationException e) {
            LOG.log(
                    Level.WARNING,
                    "job {0} shard {1}: cancel requested during submission; cancelling batch {2}"
                            + " failed ({3}); poll tries again",
                    jobId,
                    Shard.partName(index),
                    batchId,
                    e.getMessage());
        }
    }
}
