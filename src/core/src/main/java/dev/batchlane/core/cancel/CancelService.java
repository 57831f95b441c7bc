package dev.batchlane.core.cancel;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.lane.ShardSubmitter;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.storage.ObjectStore;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/**
 * Cancels a job on its owner's word (an object {@code cancel/<jobId>}): shards not yet submitted
 * end at once as cancelled, batches in flight are cancelled at the provider and end through poll as
 * usual with whatever finished. Nothing cancelled is resubmitted; it goes to the failed list. Safe
 * to run again: every step checks where the shard already is.
 *
 * <p>A staged shard that holds a creation attempt whose answer was lost may have a batch running at
 * the provider: it is reconciled first ({@link ShardSubmitter#cancelStaged}), and the batch found
 * is recorded and cancelled, never left running unseen. Every shard that ends here gives back its
 * admission.
 */
public final class CancelService {
    private static final System.Logger LOG = System.getLogger(CancelService.class.getName());
    public static final String PREFIX = dev.batchlane.core.lane.LaneNames.PREFIX_CANCEL;

    private final JobStore store;
    private final Providers providers;
    private final Clock clock;
    private final ShardSubmitter submitter;

    public CancelService(
            JobStore store,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            Clock clock,
            LaneMetrics metrics) {
        this.store = store;
        this.providers = providers;
        this.clock = clock;
        this.submitter = new ShardSubmitter(store, objects, providers, settings, clock, metrics);
    }

    public enum Outcome {
        CANCELLING,
        NOT_RUNNING,
        UNKNOWN_JOB
    }

    public record Cancellation(
            String jobId, Outcome outcome, int stagedEnded, int batchesCancelled) {}

    /** The job id of a {@code cancel/<jobId>} key, if it is one. */
    public static Optional<String> jobIdOf(String key) {
        if (!key.startsWith(PREFIX)
                || key.length() == PREFIX.length()
                || key.indexOf('/', PREFIX.length()) >= 0) {
            return Optional.empty();
        }
        return Optional.of(key.substring(PREFIX.length()));
    }

    public Cancellation cancel(String jobId) {
        Optional<Job> job = store.job(jobId);
        if (job.isEmpty()) {
            LOG.log(Level.WARNING, "cancel: no job {0}; nothing to cancel", jobId);
            return new Cancellation(jobId, Outcome.UNKNOWN_JOB, 0, 0);
        }
        Instant now = clock.instant();
        if (!store.requestCancel(jobId, now) && !job.get().cancelRequested()) {
            LOG.log(
                    Level.INFO,
                    "cancel: job {0} is {1}; nothing to cancel",
                    jobId,
                    job.get().status());
            return new Cancellation(jobId, Outcome.NOT_RUNNING, 0, 0);
        }
        int staged = 0;
        int cancelled = 0;
        int failed = 0;
        int undecided = 0;
        Job current = store.job(jobId).orElse(job.get());
        for (Shard shard : store.shards(jobId)) {
            switch (shard.status()) {
                case STAGED -> {
                    ShardSubmitter.SubmitOutcome ended;
                    try {
                        ended = submitter.cancelStaged(current, shard);
                    } catch (RuntimeException e) {
                        // Left STAGED with its cancel requested: poll's submission ends or
                        // reconciles it.
                        failed++;
                        LOG.log(
                                Level.WARNING,
                                "job {0} shard {1}: ending the staged shard failed ({2}); poll"
                                        + " ends it",
                                jobId,
                                Shard.partName(shard.index()),
                                e.getClass().getSimpleName());
                        continue;
                    }
                    switch (ended) {
                        case CANCELLED -> staged++;
                        // the unanswered creation had made a batch: recorded, and cancelled at once
                        case SUBMITTED -> cancelled++;
                        case HELD_BACK -> undecided++;
                        default -> {}
                    }
                }
                case SUBMITTED -> {
                    try {
                        providers.get(shard.provider()).cancel(shard.batch().batchId());
                        cancelled++;
                    } catch (ProviderException e) {
                        // One shard's refusal never stops the others: a batch that just ended
                        // answers 400
                        // at both providers (nothing left to cancel; complete takes it), and one
                        // that could
                        // not be reached now is cancelled by poll, which cancels every running
                        // shard of a
                        // job whose cancel was requested.
                        failed++;
                        LOG.log(
                                Level.WARNING,
                                "job {0} shard {1}: cancelling batch {2} failed ({3} {4}): {5};"
                                        + " the other shards are cancelled all the same, poll retries this one while it runs",
                                jobId,
                                Shard.partName(shard.index()),
                                shard.batch().batchId(),
                                e.statusCode(),
                                e.code(),
                                e.getMessage());
                    }
                }
                case SUBMITTING, ENDED, COMPLETED -> {
                    // submitting: the submitter looks for the request again once its batch exists
                    // and
                    // cancels it at once; ended: complete takes it from here
                }
            }
        }
        LOG.log(
                Level.INFO,
                "job {0}: cancel requested; {1} shard(s) ended before submission, {2} batch(es) cancelling,"
                        + " {3} cancel(s) refused by the provider, {4} unanswered creation(s) not"
                        + " yet found (poll looks again and cancels what they made)",
                jobId,
                staged,
                cancelled,
                failed,
                undecided);
        return new Cancellation(jobId, Outcome.CANCELLING, staged, cancelled);
    }
}
