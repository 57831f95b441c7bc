package dev.batchlane.core.lane;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.storage.ObjectStore;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Submits one staged shard, shared by ingest (right after staging) and poll (shards held back).
 * A shard is first claimed with a conditional write (STAGED → SUBMITTING), so two callers can never
 * both submit it.
 */
public final class ShardSubmitter {
    private static final System.Logger LOG = System.getLogger(ShardSubmitter.class.getName());

    private final JobStore store;
    private final ObjectStore objects;
    private final Providers providers;
    private final LaneSettings settings;
    private final Clock clock;

    private final LaneMetrics metrics;

    public ShardSubmitter(JobStore store, ObjectStore objects, Providers providers, LaneSettings settings, Clock clock,
            LaneMetrics metrics) {
        this.metrics = metrics;
        this.store = store;
        this.objects = objects;
        this.providers = providers;
        this.settings = settings;
        this.clock = clock;
    }

    public enum Result { SUBMITTED, HELD_BACK, REJECTED_BY_PROVIDER, CLAIMED_ELSEWHERE, CANCELLED }

    public Result submit(Job job, Shard staged) {
        if (staged.status() != ShardStatus.STAGED) {
            return Result.CLAIMED_ELSEWHERE;
        }
        if (store.job(job.jobId()).map(Job::cancelRequested).orElse(job.cancelRequested())) {
            // The owner cancelled the job: a shard not yet at the provider ends here, unsent.
            return store.updateShard(staged, staged.ended("cancelled", staged.providerCounts(), null, null, null,
                    clock.instant())).isPresent() ? Result.CANCELLED : Result.CLAIMED_ELSEWHERE;
        }
        // Due again after the grace only if this caller dies mid-submission: poll then flags the shard stuck.
        Optional<Shard> won = store.updateShard(staged, staged.withStatus(ShardStatus.SUBMITTING)
                .withDue(clock.instant().plus(settings.completeGrace())));
        if (won.isEmpty()) {
            return Result.CLAIMED_ELSEWHERE;
        }
        Shard claimed = won.get();
        BatchProvider provider = providers.get(staged.provider());
        Payload payload = new Payload(staged.jobId() + "-" + Shard.partName(staged.index()) + ".jsonl",
                staged.bytes(), () -> objects.open(staged.stagingKey()), staged.stagingKey());
        Map<String, String> metadata = Map.of("batchlane_job_id", job.jobId(),
                "batchlane_shard", Shard.partName(staged.index()));
        Instant now;
        try {
            String inputFileId = claimed.inputFileId();
            if (inputFileId == null) {
                inputFileId = provider.upload(payload);
                if (inputFileId != null) {
                    // Recorded before the create, so a failed create reuses this upload and cleanup finds it.
                    claimed = store.updateShard(claimed, claimed.withInputFile(inputFileId)).orElseThrow(() ->
                            new IllegalStateException("shard " + staged.id() + " changed while this caller held its claim"));
                }
            }
            Submission s = provider.create(inputFileId, payload, job.endpoint(), metadata);
            now = clock.instant();
            Shard submitted = claimed.submitted(s.batchId(), s.inputFileId(), s.providerStatus(), now,
                    now.plus(settings.pollDelay(0)));
            if (store.updateShard(claimed, submitted).isEmpty()) {
                throw new IllegalStateException("shard " + staged.id() + " changed while this caller held its claim");
            }
            LOG.log(Level.INFO, "job {0} shard {1}: submitted as {2} ({3} requests)", job.jobId(),
                    Shard.partName(staged.index()), s.batchId(), staged.requestCount());
            metrics.requestsSubmitted(staged.provider(), staged.requestCount());
            cancelIfRequested(job.jobId(), staged.index(), provider, s.batchId());
            return Result.SUBMITTED;
        } catch (ProviderException e) {
            now = clock.instant();
            if (e.retryable()) {
                // "Not now" from the provider (429, enqueued-token limit, 5xx): poll submits it later.
                Shard back = claimed.withStatus(ShardStatus.STAGED).withDue(now.plus(settings.pollDelay(1)));
                store.updateShard(claimed, back);
                // The causes too: an io_error can be the staged shard's read failing (an S3 AccessDenied
                // names the action and the resource), which is no provider's doing.
                LOG.log(Level.WARNING, "job {0} shard {1}: provider refused for now ({2} {3}: {4}); poll will retry",
                        job.jobId(), Shard.partName(staged.index()), e.statusCode(), e.code(), causes(e));
                return Result.HELD_BACK;
            }
            Shard ended = claimed.ended("rejected", claimed.providerCounts(), null, null,
                    "the provider refused the batch: " + e.getMessage(), now);
            store.updateShard(claimed, ended);
            LOG.log(Level.ERROR, "job {0} shard {1}: provider rejected the batch ({2} {3})", job.jobId(),
                    Shard.partName(staged.index()), e.statusCode(), e.code());
            return Result.REJECTED_BY_PROVIDER;
        }
    }

    /**
     * A cancel that arrived while this shard was SUBMITTING skipped it (there was no batch to cancel
     * yet): now that the batch exists and is recorded, look again and cancel it at once. The cancel
     * wrote its request before reading the shards, and this shard was recorded SUBMITTED before this
     * read, so one of the two always sees the other. A refusal is logged; poll cancels it later.
     */
    private void cancelIfRequested(String jobId, int index, BatchProvider provider, String batchId) {
        if (!store.job(jobId).map(Job::cancelRequested).orElse(false)) {
            return;
        }
        try {
            provider.cancel(batchId);
            LOG.log(Level.INFO, "job {0} shard {1}: cancel requested during submission; batch {2} cancelled at once",
                    jobId, Shard.partName(index), batchId);
        } catch (ProviderException | UnsupportedOperationException e) {
            LOG.log(Level.WARNING, "job {0} shard {1}: cancel requested during submission; cancelling batch {2}"
                    + " failed ({3}); poll tries again", jobId, Shard.partName(index), batchId, e.getMessage());
        }
    }

    /** The exception's message and each distinct message of its causes, innermost last. */
    static String causes(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null && sb.indexOf(c.getMessage()) < 0) {
                sb.append("; caused by ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
            }
        }
        return sb.toString();
    }
}
