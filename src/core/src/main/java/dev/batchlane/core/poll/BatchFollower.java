package dev.batchlane.core.poll;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.AdmissionBudget;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.RunMode;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Follows one submitted batch at its provider: cancels it when its job's cancel was asked for,
 * hands a batch failed for the provider's queue to {@link Requeue}, records an ended batch for
 * complete, and otherwise records the progress, flagging a batch that runs too long. Logs under
 * {@link PollService}'s name, as before the split.
 */
final class BatchFollower {
    private static final System.Logger LOG = System.getLogger(PollService.class.getName());

    private final JobStore store;
    private final Providers providers;
    private final AdmissionBudget budget;
    private final LaneSettings settings;
    private final Clock clock;
    private final LaneMetrics metrics;
    private final ShardTroubles troubles;
    private final Requeue requeue;

    BatchFollower(
            JobStore store,
            Providers providers,
            AdmissionBudget budget,
            LaneSettings settings,
            Clock clock,
            LaneMetrics metrics,
            ShardTroubles troubles) {
        this.store = store;
        this.providers = providers;
        this.budget = budget;
        this.settings = settings;
        this.clock = clock;
        this.metrics = metrics;
        this.troubles = troubles;
        this.requeue = new Requeue(store, budget, settings, metrics, troubles);
    }

    PollStep follow(Shard found, PollCycle cycle) {
        Optional<Shard> taken = takeForStep(found);
        return taken.isEmpty() ? PollStep.CONFLICT : followTaken(taken.get(), cycle);
    }

    /**
     * An on-demand run makes billed model calls inside retrieve. Two polls that found the shard due
     * at once (an overlapping schedule, a retried invocation) must not both run a step: the shard
     * is taken with a conditional write first, and the loser leaves it (empty). Due again after the
     * grace only if this step dies; its progress write sets the next poll. A shard read after
     * another poll took it (its due time past now) is left too: the read is current, so the write
     * alone would not tell. A batch, whose retrieve only reads, is followed as found.
     */
    private Optional<Shard> takeForStep(Shard found) {
        if (found.batch().runMode() != RunMode.ON_DEMAND) {
            return Optional.of(found);
        }
        Instant now = clock.instant();
        if (found.timeline().dueAt() == null || found.timeline().dueAt().isAfter(now)) {
            return Optional.empty();
        }
        return store.updateShard(found, found.withDue(now.plus(settings.completeGrace())));
    }

    private PollStep followTaken(Shard shard, PollCycle cycle) {
        BatchProvider provider = providers.get(shard.provider());
        BatchView view = provider.retrieve(shard.batch().batchId());
        Instant now = clock.instant();
        if (!view.state().terminal()
                && view.state() != BatchState.CANCELLING
                && cycle.job(shard.jobId()).map(Job::cancelRequested).orElse(false)) {
            // The job's cancel was asked for and this batch still runs (the cancel's own call
            // failed,
            // or the shard was being submitted then): cancel it now. It ends through poll as usual.
            try {
                provider.cancel(shard.batch().batchId());
                LOG.log(
                        Level.INFO,
                        "job {0} shard {1}: job cancel requested; batch {2} ({3}) cancelled",
                        shard.jobId(),
                        Shard.partName(shard.index()),
                        shard.batch().batchId(),
                        view.providerStatus());
            } catch (ProviderException | UnsupportedOperationException e) {
                LOG.log(
                        Level.WARNING,
                        "job {0} shard {1}: job cancel requested; cancelling batch {2} failed ({3});"
                                + " next poll tries again",
                        shard.jobId(),
                        Shard.partName(shard.index()),
                        shard.batch().batchId(),
                        e.getMessage());
            }
        }
        if (view.state() == BatchState.FAILED && view.busy() != null) {
            return requeue.requeue(shard, view, cycle, now);
        }
        if (view.state().terminal()) {
            // Due again after the grace only if complete has not moved it on by then (COMPLETED
            // clears it).
            Shard ended = shard.ended(view, now).withDue(now.plus(settings.completeGrace()));
            if (store.updateShard(shard, ended).isEmpty()) {
                return PollStep.CONFLICT;
            }
            LOG.log(
                    Level.INFO,
                    "job {0} shard {1}: batch {2} ended as {3} ({4})",
                    shard.jobId(),
                    Shard.partName(shard.index()),
                    shard.batch().batchId(),
                    view.providerStatus(),
                    view.counts());
            metrics.batchEnded(
                    shard.provider(),
                    view.state() == BatchState.FAILED,
                    view.state() == BatchState.EXPIRED);
            cycle.job(shard.jobId()).ifPresent(job -> budget.release(shard, job));
            return PollStep.ENDED;
        }
        Shard next =
                shard.polled(view, now.plus(settings.pollDelay(shard.batch().pollCount() + 1)));
        if (shard.timeline().submittedAt() != null
                && shard.timeline().submittedAt().plus(settings.stuckAfter()).isBefore(now)) {
            next =
                    troubles.stuck(
                            next,
                            "batch "
                                    + shard.batch().batchId()
                                    + " still "
                                    + view.providerStatus()
                                    + " "
                                    + Duration.between(shard.timeline().submittedAt(), now)
                                            .toHours()
                                    + " h after submission",
                            now);
        }
        return store.updateShard(shard, next).isPresent() ? PollStep.PROGRESSED : PollStep.CONFLICT;
    }
}
