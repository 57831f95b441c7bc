package dev.batchlane.core.cancel;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.ProviderException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/**
 * Cancels a job on its owner's word (an object {@code cancel/<jobId>}): shards not yet submitted
 * end at once as cancelled, batches in flight are cancelled at the provider and end through poll as
 * usual with whatever finished. Nothing cancelled is resubmitted; it goes to the failed list. Safe
 * to run again: every step checks where the shard already is.
 */
public final class CancelService {
    private static final System.Logger LOG = System.getLogger(CancelService.class.getName());
    public static final String PREFIX = dev.batchlane.core.lane.LaneNames.PREFIX_CANCEL;

    private final JobStore store;
    private final Providers providers;
    private final Clock clock;

    public CancelService(JobStore store, Providers providers, Clock clock) {
        this.store = store;
        this.providers = providers;
        this.clock = clock;
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
        for (Shard shard : store.shards(jobId)) {
            switch (shard.status()) {
                case STAGED -> {
                    if (store.updateShard(
                                    shard,
                                    shard.ended(
                                            BatchState.CANCELLED,
                                            "cancelled",
                                            shard.providerCounts(),
                                            null,
                                            null,
                                            null,
                                            now))
                            .isPresent()) {
                        staged++;
                    }
                }
                case SUBMITTED -> {
                    try {
                        providers.get(shard.provider()).cancel(shard.batchId());
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
                                shard.batchId(),
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
                        + " {3} cancel(s) refused by the provider",
                jobId,
                staged,
                cancelled,
                failed);
        return new Cancellation(jobId, Outcome.CANCELLING, staged, cancelled);
    }
}
