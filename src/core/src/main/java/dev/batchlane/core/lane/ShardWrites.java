package dev.batchlane.core.lane;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.ShardSubmitter.SubmitOutcome;
import dev.batchlane.core.provider.BatchState;
import java.time.Clock;
import java.time.Duration;

/**
 * The writes every step of a submission makes to the shard it holds, and the wait it backs off
 * with, shared by the claim, the reconciliation and the refusals.
 */
final class ShardWrites {
    private final JobStore store;
    private final LaneSettings settings;
    private final Clock clock;
    private final AdmissionBudget budget;

    ShardWrites(JobStore store, LaneSettings settings, Clock clock, AdmissionBudget budget) {
        this.store = store;
        this.settings = settings;
        this.clock = clock;
        this.budget = budget;
    }

    /** Ends a shard that never reached the provider, for a cancel; false when it moved first. */
    boolean endUnsent(Shard shard) {
        return store.updateShard(
                        shard,
                        shard.ended(
                                BatchState.CANCELLED,
                                "cancelled",
                                shard.batch().providerCounts(),
                                null,
                                null,
                                null,
                                clock.instant()))
                .isPresent();
    }

    SubmitOutcome released(Shard shard, Job job, SubmitOutcome result) {
        budget.release(shard, job);
        return result;
    }

    /** Backs off with every wait: first poll delay, doubling, capped at the longest. */
    Duration waitDelay(Shard shard) {
        return settings.pollDelay(shard.queueWait().times() + 1);
    }

    Shard write(Shard current, Shard next) {
        return store.updateShard(current, next)
                .orElseThrow(
                        () ->
                                new IllegalStateException(
                                        "shard "
                                                + current.id()
                                                + " changed while this caller held its claim"));
    }
}
