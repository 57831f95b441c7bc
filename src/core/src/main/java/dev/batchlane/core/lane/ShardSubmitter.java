package dev.batchlane.core.lane;

import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderBusy;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.storage.ObjectStore;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Submits one staged shard, shared by ingest (right after staging) and poll (shards held back). A
 * shard is first claimed with a conditional write (STAGED → SUBMITTING), so two callers can never
 * both submit it.
 *
 * <p>A creating call (upload, batch creation) can take effect at the provider and still fail on the
 * way back: a 502 from the provider's edge, a reset connection, a 200 whose body was cut. Creating
 * again then charges twice and leaves the first batch unjoined. So each creating call is written
 * down on the shard before it is made ({@link CreationAttempt}, in the same write as the claim or
 * the recorded upload), cleared when its answer says what happened, and kept when the answer was
 * lost. Whoever takes a shard with an attempt still written first asks the provider for what that
 * call made, and adopts it; only when nothing is found is the call made again.
 *
 * <p>Before it is claimed a shard is admitted to its provider's queue ({@link AdmissionBudget}); a
 * shard without room, or one the provider refuses for its queue (enqueued-token limit, file not
 * ready, 429), stays STAGED with its upload and waits, and the wait is recorded on the shard.
 */
public final class ShardSubmitter {
    private static final System.Logger LOG = System.getLogger(ShardSubmitter.class.getName());

    private final JobStore store;
    private final ObjectStore objects;
    private final Providers providers;
    private final LaneSettings settings;
    private final Clock clock;
    private final AdmissionBudget budget;

    private final LaneMetrics metrics;

    public ShardSubmitter(
            JobStore store,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            Clock clock,
            LaneMetrics metrics) {
        this.metrics = metrics;
        this.store = store;
        this.objects = objects;
        this.providers = providers;
        this.settings = settings;
        this.clock = clock;
        this.budget = new AdmissionBudget(store, settings.admission());
    }

    /**
     * {@code HELD_BACK}: left STAGED to be submitted later (the provider said "not now", or an
     * earlier creation's outcome is not known yet); {@code QUEUED}: left STAGED because the
     * admission budget of its pool is full.
     */
    public enum SubmitOutcome {
        SUBMITTED,
        HELD_BACK,
        QUEUED,
        REJECTED_BY_PROVIDER,
        CLAIMED_ELSEWHERE,
        CANCELLED
    }

    public SubmitOutcome submit(Job job, Shard staged) {
        return submit(job, staged, null);
    }

    /**
     * {@code blockedPools}: pools that refused an earlier shard in the caller's pass (null for
     * none); a shard of such a pool waits behind it rather than overtake it, and a pool found full
     * here is added.
     */
    public SubmitOutcome submit(Job job, Shard staged, Set<String> blockedPools) {
        if (staged.status() != ShardStatus.STAGED) {
            return SubmitOutcome.CLAIMED_ELSEWHERE;
        }
        if (store.job(job.jobId()).map(Job::cancelRequested).orElse(job.cancelRequested())) {
            // The owner cancelled the job: a shard not yet at the provider ends here, unsent. One
            // with
            // a creation still unresolved goes through the provider first, so its batch is found.
            if (staged.attempt() == null) {
                return store.updateShard(
                                        staged,
                                        staged.ended(
                                                BatchState.CANCELLED,
                                                "cancelled",
                                                staged.providerCounts(),
                                                null,
                                                null,
                                                null,
                                                clock.instant()))
                                .isPresent()
                        ? SubmitOutcome.CANCELLED
                        : SubmitOutcome.CLAIMED_ELSEWHERE;
            }
        }
        Instant now = clock.instant();
        String pool = AdmissionBudget.pool(staged, job);
        if (blockedPools != null && blockedPools.contains(pool)) {
            return queue(staged, "queued behind an earlier shard of " + pool, now);
        }
        if (!budget.admit(staged, job, now)) {
            if (blockedPools != null) {
                blockedPools.add(pool);
            }
            return queue(staged, "admission budget of " + pool + " is full", now);
        }
        // Due again after the grace only if this caller dies mid-submission: poll then reconciles
        // it.
        CreationAttempt pending = staged.attempt();
        Shard claim =
                staged.withStatus(ShardStatus.SUBMITTING)
                        .withDue(now.plus(settings.completeGrace()));
        if (pending == null) {
            claim =
                    claim.withAttempt(
                            new CreationAttempt(
                                    staged.inputFileId() == null
                                            ? CreationAttempt.Step.UPLOAD
                                            : CreationAttempt.Step.CREATE,
                                    now));
        }
        Optional<Shard> won = store.updateShard(staged, claim);
        if (won.isEmpty()) {
            return SubmitOutcome.CLAIMED_ELSEWHERE;
        }
        Shard claimed = won.get();
        BatchProvider provider = providers.get(staged.provider());
        Payload payload =
                new Payload(
                        staged.jobId() + "-" + Shard.partName(staged.index()) + ".jsonl",
                        staged.bytes(),
                        () -> objects.open(staged.stagingKey()),
                        staged.stagingKey());
        Map<String, String> metadata =
                Map.of(
                        "batchlane_job_id",
                        job.jobId(),
                        "batchlane_shard",
                        Shard.partName(staged.index()));
        try {
            if (pending != null) {
                Reconciliation found;
                try {
                    found =
                            provider.findCreated(
                                    new CreationQuery(
                                            job.jobId(),
                                            Shard.partName(staged.index()),
                                            payload,
                                            staged.requestCount(),
                                            metadata,
                                            pending.step(),
                                            pending.at(),
                                            claimed.inputFileId(),
                                            store.shards(job.jobId()).stream()
                                                    .filter(
                                                            o ->
                                                                    o.index() != staged.index()
                                                                            && o.batchId() != null)
                                                    .map(Shard::batchId)
                                                    .collect(java.util.stream.Collectors.toSet())));
                } catch (ProviderException e) {
                    // The look-up failed, not a creation: even a definite "not now" (429) says
                    // nothing of
                    // what the earlier call made, so the attempt stays and the shard looks again
                    // later.
                    // Taking it for a refusal of the create would clear the attempt and create
                    // twice.
                    Instant later = clock.instant();
                    Duration delay = waitDelay(claimed);
                    if (e.retryAfter().isPresent() && e.retryAfter().get().compareTo(delay) > 0) {
                        delay = e.retryAfter().get();
                    }
                    store.updateShard(
                            claimed,
                            claimed.withStatus(ShardStatus.STAGED).withDue(later.plus(delay)));
                    LOG.log(
                            Level.WARNING,
                            "job {0} shard {1}: looking for what the unanswered {2} made failed ({3}"
                                    + " {4}); it looks again after {5}, creating nothing meanwhile",
                            job.jobId(),
                            Shard.partName(staged.index()),
                            pending.step(),
                            e.statusCode(),
                            e.code(),
                            delay);
                    return SubmitOutcome.HELD_BACK;
                }
                LOG.log(
                        Level.INFO,
                        "job {0} shard {1}: looked for what the unanswered {2} at {3} made: {4} ({5})",
                        job.jobId(),
                        Shard.partName(staged.index()),
                        pending.step(),
                        pending.at(),
                        found.found(),
                        found.evidence());
                switch (found.found()) {
                    case BATCH -> {
                        return adopt(
                                job,
                                staged,
                                claimed,
                                provider,
                                // Its state is read at the next poll; until then it is taken
                                // as just accepted. Only batches are ever found: on-demand work
                                // is made by the adapter itself, with nothing to look for.
                                Submission.batch(
                                        found.batchId(),
                                        found.inputFileId() != null
                                                ? found.inputFileId()
                                                : claimed.inputFileId(),
                                        BatchState.PENDING,
                                        found.providerStatus()),
                                "adopted the batch the unanswered creation made");
                    }
                    case FILE ->
                            claimed =
                                    write(
                                            claimed,
                                            claimed.withInputFile(found.inputFileId())
                                                    .withAttempt(
                                                            new CreationAttempt(
                                                                    CreationAttempt.Step.CREATE,
                                                                    clock.instant())));
                    case NOTHING ->
                            claimed =
                                    write(
                                            claimed,
                                            claimed.withAttempt(
                                                    new CreationAttempt(
                                                            claimed.inputFileId() == null
                                                                    ? CreationAttempt.Step.UPLOAD
                                                                    : CreationAttempt.Step.CREATE,
                                                            clock.instant())));
                    case UNDECIDED -> {
                        // Creating again could charge twice: keep the attempt and look again later.
                        Instant later = clock.instant();
                        store.updateShard(
                                claimed,
                                claimed.withStatus(ShardStatus.STAGED)
                                        .withDue(later.plus(waitDelay(claimed))));
                        return SubmitOutcome.HELD_BACK;
                    }
                    default ->
                            throw new IllegalStateException(
                                    "unknown reconciliation " + found.found());
                }
                if (store.job(job.jobId()).map(Job::cancelRequested).orElse(false)) {
                    // Nothing of the earlier call is at the provider, and the owner cancelled: end
                    // unsent.
                    return store.updateShard(
                                            claimed,
                                            claimed.ended(
                                                    BatchState.CANCELLED,
                                                    "cancelled",
                                                    claimed.providerCounts(),
                                                    null,
                                                    null,
                                                    null,
                                                    clock.instant()))
                                    .isPresent()
                            ? released(staged, job, SubmitOutcome.CANCELLED)
                            : SubmitOutcome.CLAIMED_ELSEWHERE;
                }
            }
            String inputFileId = claimed.inputFileId();
            if (inputFileId == null) {
                inputFileId = provider.upload(payload);
                if (inputFileId != null) {
                    // Recorded before the create, so a failed create reuses this upload and cleanup
                    // finds it;
                    // the same write says the create is about to be attempted.
                    claimed =
                            write(
                                    claimed,
                                    claimed.withInputFile(inputFileId)
                                            .withAttempt(
                                                    new CreationAttempt(
                                                            CreationAttempt.Step.CREATE,
                                                            clock.instant())));
                }
            }
            Submission s = provider.create(inputFileId, payload, job.endpoint(), metadata);
            return adopt(job, staged, claimed, provider, s, "submitted");
        } catch (ProviderException e) {
            now = clock.instant();
            if (e.mayHaveTakenEffect()) {
                // The call may have made its file or batch: the attempt stays written, and the next
                // submission looks for what it made before making anything. Its admission stays
                // too.
                Shard back =
                        claimed.withStatus(ShardStatus.STAGED)
                                .withDue(now.plus(settings.pollDelay(1)));
                store.updateShard(claimed, back);
                // The causes too: an io_error can be the staged shard's read failing (an S3
                // AccessDenied
                // names the action and the resource), which is no provider's doing.
                LOG.log(
                        Level.WARNING,
                        "job {0} shard {1}: {2} got no clear answer ({3} {4}: {5}); it may have"
                                + " taken effect, so the next submission looks for it before creating anything",
                        job.jobId(),
                        Shard.partName(staged.index()),
                        claimed.attempt() == null ? "a creating call" : claimed.attempt().step(),
                        e.statusCode(),
                        e.code(),
                        causes(e));
                return SubmitOutcome.HELD_BACK;
            }
            // A definite answer: the failed call made nothing, so nothing is left to look for.
            Shard cleared = claimed.withAttempt(null);
            if (e.retryable()) {
                // "Not now" from the provider (its queue limit, a file not ready yet, 429): the
                // shard
                // waits with its upload, and its tokens leave the budget until it is sent again.
                ProviderBusy busy = e.busy().orElse(null);
                if (busy != null && busy.statedLimit() != null) {
                    budget.learn(staged, job, busy.statedLimit());
                }
                if (busy != null
                        && busy.reason() == ProviderBusy.Reason.ENQUEUED_TOKENS
                        && blockedPools != null) {
                    blockedPools.add(pool);
                }
                Duration delay = waitDelay(claimed);
                if (e.retryAfter().isPresent() && e.retryAfter().get().compareTo(delay) > 0) {
                    delay = e.retryAfter().get();
                }
                String why =
                        busy != null
                                ? busy.reason().name().toLowerCase(java.util.Locale.ROOT)
                                        + " ("
                                        + e.code()
                                        + ")"
                                : "provider refused for now ("
                                        + e.statusCode()
                                        + " "
                                        + e.code()
                                        + ")";
                store.updateShard(claimed, cleared.waiting(why, now, now.plus(delay)));
                budget.release(staged, job);
                LOG.log(
                        Level.WARNING,
                        "job {0} shard {1}: {2}; it waits with its upload and is submitted again"
                                + " after {3}",
                        job.jobId(),
                        Shard.partName(staged.index()),
                        why,
                        delay);
                return SubmitOutcome.HELD_BACK;
            }
            Shard ended =
                    cleared.ended(
                            BatchState.FAILED,
                            "rejected",
                            claimed.providerCounts(),
                            null,
                            null,
                            "the provider refused the batch: " + e.getMessage(),
                            now);
            store.updateShard(claimed, ended);
            budget.release(staged, job);
            LOG.log(
                    Level.ERROR,
                    "job {0} shard {1}: provider rejected the batch ({2} {3})",
                    job.jobId(),
                    Shard.partName(staged.index()),
                    e.statusCode(),
                    e.code());
            return SubmitOutcome.REJECTED_BY_PROVIDER;
        }
    }

    /**
     * Records the batch (made now, or found from an earlier call) and moves the shard to SUBMITTED.
     */
    private SubmitOutcome adopt(
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
                staged.requestCount(),
                submitted.queueWait().waited());
        metrics.requestsSubmitted(staged.provider(), staged.requestCount());
        cancelIfRequested(job.jobId(), staged.index(), provider, s.batchId());
        return SubmitOutcome.SUBMITTED;
    }

    /** A shard without room in its pool: it stays STAGED, due again soon, its wait recorded. */
    private SubmitOutcome queue(Shard staged, String why, Instant now) {
        // A short, fixed delay rather than a growing one: room frees when any batch of the pool
        // ends,
        // and the longest waiting shard should be the first to see it.
        Instant due = now.plus(settings.pollDelay(0));
        return store.updateShard(staged, staged.waiting(why, now, due)).isPresent()
                ? SubmitOutcome.QUEUED
                : SubmitOutcome.CLAIMED_ELSEWHERE;
    }

    private SubmitOutcome released(Shard shard, Job job, SubmitOutcome result) {
        budget.release(shard, job);
        return result;
    }

    /** Backs off with every wait: first poll delay, doubling, capped at the longest. */
    private Duration waitDelay(Shard shard) {
        return settings.pollDelay(shard.queueWait().times() + 1);
    }

    private Shard write(Shard current, Shard next) {
        return store.updateShard(current, next)
                .orElseThrow(
                        () ->
                                new IllegalStateException(
                                        "shard "
                                                + current.id()
                                                + " changed while this caller held its claim"));
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

    /** The exception's message and each distinct message of its causes, innermost last. */
    static String causes(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null && sb.indexOf(c.getMessage()) < 0) {
                sb.append("; caused by ")
                        .append(c.getClass().getSimpleName())
                        .append(": ")
                        .append(c.getMessage());
            }
        }
        return sb.toString();
    }
}
