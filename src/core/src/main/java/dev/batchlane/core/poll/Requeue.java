package dev.batchlane.core.poll;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.AdmissionBudget;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A batch the provider failed for its queue: the shard goes back to STAGED to wait its turn, or
 * ends when it could never fit. Logs under {@link PollService}'s name, as before the split.
 */
final class Requeue {
    private static final System.Logger LOG = System.getLogger(PollService.class.getName());

    private final JobStore store;
    private final AdmissionBudget budget;
    private final LaneSettings settings;
    private final LaneMetrics metrics;
    private final ShardTroubles troubles;

    Requeue(
            JobStore store,
            AdmissionBudget budget,
            LaneSettings settings,
            LaneMetrics metrics,
            ShardTroubles troubles) {
        this.store = store;
        this.budget = budget;
        this.settings = settings;
        this.metrics = metrics;
        this.troubles = troubles;
    }

    /** Requeues for the provider's queue after which a shard is flagged stuck (it keeps trying). */
    static final int REQUEUES_BEFORE_STUCK = 10;

    /**
     * The provider failed the batch for its queue (OpenAI: {@code token_limit_exceeded} in the
     * batch's errors), not for its input: none of its requests ran, none is a failure. The batch is
     * forgotten, the shard goes back to STAGED with its input file, and it is submitted again with
     * backoff, its wait recorded; the limit the provider stated, if any, is learned.
     */
    PollStep requeue(Shard shard, BatchView view, PollCycle cycle, Instant now) {
        Optional<Job> owner = cycle.job(shard.jobId());
        Optional<Long> tooBig = owner.flatMap(j -> budget.neverFits(shard, j, view.busy()));
        if (tooBig.isPresent()) {
            // Alone in an empty queue it would fail the same way: end it, and say so.
            String why = AdmissionBudget.neverFitsReason(shard, tooBig.get());
            Shard ended =
                    shard.ended(
                            BatchState.FAILED,
                            AdmissionBudget.NEVER_FITS,
                            view.counts(),
                            view.outputFileId(),
                            view.errorFileId(),
                            why,
                            now);
            if (store.updateShard(shard, ended).isEmpty()) {
                return PollStep.CONFLICT;
            }
            budget.release(shard, owner.get());
            metrics.shardStuck(shard.provider());
            LOG.log(
                    Level.ERROR,
                    "job {0} shard {1}: {2}",
                    shard.jobId(),
                    Shard.partName(shard.index()),
                    why);
            return PollStep.OTHER;
        }
        Instant due = now.plus(settings.pollDelay(shard.queueWait().times() + 1));
        String why =
                "batch "
                        + shard.batch().batchId()
                        + " failed for the provider's queue ("
                        + view.busy().code()
                        + ")";
        Shard requeued = shard.requeued(why, now, due);
        if (requeued.queueWait().times() == REQUEUES_BEFORE_STUCK) {
            // Still requeued, but no longer in silence: someone should look at the queue.
            requeued =
                    troubles.stuck(
                            requeued,
                            "requeued "
                                    + REQUEUES_BEFORE_STUCK
                                    + " times for the provider's queue; last: "
                                    + why,
                            now);
        }
        if (store.updateShard(shard, requeued).isEmpty()) {
            return PollStep.CONFLICT;
        }
        Optional<Job> job = owner;
        job.ifPresent(
                j -> {
                    budget.release(shard, j);
                    if (view.busy().statedLimit() != null) {
                        budget.learn(shard, j, view.busy().statedLimit());
                    }
                });
        LOG.log(
                Level.WARNING,
                "job {0} shard {1}: {2}; its requests are not failures: it waits and is submitted"
                        + " again after {3}",
                shard.jobId(),
                Shard.partName(shard.index()),
                why,
                Duration.between(now, due));
        return PollStep.OTHER;
    }
}
