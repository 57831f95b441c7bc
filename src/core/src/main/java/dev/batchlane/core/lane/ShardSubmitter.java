package dev.batchlane.core.lane;

import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.job.ShardTrouble;
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
     * For a job whose cancel was requested (the request is written before this is called): a STAGED
     * shard ends unsent and its admission is released; one holding a creation attempt whose answer
     * was lost is first reconciled, so the batch that call made is found, recorded and cancelled at
     * the provider instead of running on unseen. While the provider cannot yet say what the call
     * made, the shard stays STAGED with its attempt and poll looks again.
     */
    public SubmitOutcome cancelStaged(Job job, Shard staged) {
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
        boolean cancelled = cancelRequested(job);
        if (staged.attempt() == null && cancelled) {
            // The owner cancelled the job: a shard not yet at the provider ends here, unsent.
            return endUnsent(staged)
                    ? released(staged, job, SubmitOutcome.CANCELLED)
                    : SubmitOutcome.CLAIMED_ELSEWHERE;
        }
        Instant now = clock.instant();
        String pool = AdmissionBudget.pool(staged, job);
        if (!cancelled) {
            Optional<SubmitOutcome> notAdmitted = admit(job, staged, pool, blockedPools, now);
            if (notAdmitted.isPresent()) {
                return notAdmitted.get();
            }
        }
        // A cancelled job's shard with a creation still unresolved goes on without admission (it
        // sends nothing new): it is reconciled, and what the earlier call made is adopted and
        // cancelled at once, or the shard ends unsent.
        Optional<Shard> won = claim(staged, now);
        if (won.isEmpty()) {
            return SubmitOutcome.CLAIMED_ELSEWHERE;
        }
        StagedRead read = new StagedRead(objects, staged.stagingKey());
        Sending sending =
                new Sending(
                        job,
                        staged,
                        providers.get(staged.provider()),
                        read.payload(
                                staged.jobId() + "-" + Shard.partName(staged.index()) + ".jsonl",
                                staged.bytes()),
                        read);
        Shard claimed = won.get();
        try {
            if (staged.attempt() != null) {
                Reconciled r = reconcile(sending, claimed, staged.attempt());
                if (r.done() != null) {
                    return r.done();
                }
                claimed = r.claimed();
            }
            claimed = upload(sending, claimed);
            Submission s =
                    sending.provider()
                            .create(
                                    claimed.inputFileId(),
                                    sending.payload(),
                                    job.endpoint(),
                                    sending.metadata());
            register(job, staged, s.batchId(), clock.instant());
            return adopt(job, staged, claimed, sending.provider(), s, "submitted");
        } catch (ProviderException e) {
            return refused(sending, claimed, e, pool, blockedPools);
        }
    }

    /**
     * One submission's fixed parts: the job, the shard as the caller found it, its provider and the
     * staged payload.
     */
    private record Sending(
            Job job, Shard staged, BatchProvider provider, Payload payload, StagedRead read) {
        Map<String, String> metadata() {
            return Map.of(
                    "batchlane_job_id",
                    job.jobId(),
                    "batchlane_shard",
                    Shard.partName(staged.index()));
        }

        String shardName() {
            return Shard.partName(staged.index());
        }
    }

    /** Either the submission is over ({@code done}), or it goes on with {@code claimed}. */
    private record Reconciled(Shard claimed, SubmitOutcome done) {}

    private boolean cancelRequested(Job job) {
        return store.job(job.jobId()).map(Job::cancelRequested).orElse(job.cancelRequested());
    }

    /** Ends a shard that never reached the provider, for a cancel; false when it moved first. */
    private boolean endUnsent(Shard shard) {
        return store.updateShard(
                        shard,
                        shard.ended(
                                BatchState.CANCELLED,
                                "cancelled",
                                shard.providerCounts(),
                                null,
                                null,
                                null,
                                clock.instant()))
                .isPresent();
    }

    /**
     * Step one: room in the shard's pool. A shard of a pool that refused an earlier one in this
     * pass waits behind it; one the budget has no room for waits, and its pool is marked full.
     */
    private Optional<SubmitOutcome> admit(
            Job job, Shard staged, String pool, Set<String> blockedPools, Instant now) {
        if (blockedPools != null && blockedPools.contains(pool)) {
            return Optional.of(queue(staged, "queued behind an earlier shard of " + pool, now));
        }
        AdmissionBudget.Verdict verdict = budget.tryAdmit(staged, job, now);
        if (verdict != AdmissionBudget.Verdict.ADMITTED) {
            if (blockedPools != null) {
                blockedPools.add(pool);
            }
            // Either way it stays due: a pool too contended to decide is asked again at the
            // next turn, never left with a shard nobody comes back to.
            return Optional.of(
                    queue(
                            staged,
                            verdict == AdmissionBudget.Verdict.FULL
                                    ? "admission budget of " + pool + " is full"
                                    : "admission pool " + pool + " too contended to decide now",
                            now));
        }
        return Optional.empty();
    }

    /**
     * Step two: the claim, STAGED → SUBMITTING, with the creating call about to be made written
     * down in the same write (unless one from an earlier attempt is still unresolved). Due again
     * after the grace only if this caller dies mid-submission: poll then reconciles it.
     */
    private Optional<Shard> claim(Shard staged, Instant now) {
        Shard claim =
                staged.withStatus(ShardStatus.SUBMITTING)
                        .withDue(now.plus(settings.completeGrace()));
        if (staged.attempt() == null) {
            claim =
                    claim.withAttempt(
                            new CreationAttempt(
                                    staged.inputFileId() == null
                                            ? CreationAttempt.Step.UPLOAD
                                            : CreationAttempt.Step.CREATE,
                                    now));
        }
        return store.updateShard(staged, claim);
    }

    /**
     * Step three, only after a creating call whose answer was lost: ask the provider what it made,
     * and adopt it (a batch), record it (a file), or go on (nothing). Undecided, or a look-up that
     * failed, keeps the attempt written and holds the shard back.
     */
    private Reconciled reconcile(Sending a, Shard claimed, CreationAttempt pending) {
        Job job = a.job();
        Shard staged = a.staged();
        Reconciliation found;
        try {
            found =
                    a.provider()
                            .findCreated(
                                    new CreationQuery(
                                            job.jobId(),
                                            a.shardName(),
                                            a.payload(),
                                            staged.requestCount(),
                                            a.metadata(),
                                            pending.step(),
                                            pending.at(),
                                            claimed.inputFileId(),
                                            otherBatchIds(job.jobId(), staged.index()),
                                            pending.at().plus(settings.completeGrace()),
                                            id -> recordedElsewhere(staged, id)));
        } catch (ProviderException e) {
            // The look-up failed, not a creation: even a definite "not now" (429) says nothing of
            // what the earlier call made, so the attempt stays and the shard looks again later.
            // Taking it for a refusal of the create would clear the attempt and create twice.
            Duration delay = waitDelay(claimed);
            if (e.retryAfter().isPresent() && e.retryAfter().get().compareTo(delay) > 0) {
                delay = e.retryAfter().get();
            }
            store.updateShard(
                    claimed,
                    flagIfLong(
                            claimed.withStatus(ShardStatus.STAGED)
                                    .withDue(clock.instant().plus(delay)),
                            pending,
                            "looking for what it made keeps failing (" + e.code() + ")"));
            LOG.log(
                    Level.WARNING,
                    "job {0} shard {1}: looking for what the unanswered {2} made failed ({3}"
                            + " {4}); it looks again after {5}, creating nothing meanwhile",
                    job.jobId(),
                    a.shardName(),
                    pending.step(),
                    e.statusCode(),
                    e.code(),
                    delay);
            return new Reconciled(claimed, SubmitOutcome.HELD_BACK);
        }
        LOG.log(
                Level.INFO,
                "job {0} shard {1}: looked for what the unanswered {2} at {3} made: {4} ({5})",
                job.jobId(),
                a.shardName(),
                pending.step(),
                pending.at(),
                found.found(),
                found.evidence());
        Shard next;
        switch (found.found()) {
            case BATCH -> {
                if (!holds(a, found.batchId())) {
                    // Another shard of the lane recorded it between the look-up and now (not this
                    // shard's: looked for again later, that batch excluded), or the registry could
                    // not be written (looked for again later).
                    store.updateShard(
                            claimed,
                            claimed.withStatus(ShardStatus.STAGED)
                                    .withDue(clock.instant().plus(waitDelay(claimed))));
                    LOG.log(
                            Level.WARNING,
                            "job {0} shard {1}: batch {2} was found for the unanswered {3} but"
                                    + " the batch registry does not hold it for this shard;"
                                    + " looking again later",
                            job.jobId(),
                            a.shardName(),
                            found.batchId(),
                            pending.step());
                    return new Reconciled(claimed, SubmitOutcome.HELD_BACK);
                }
                // Its state is read at the next poll; until then it is taken as just accepted.
                // Only batches are ever found: on-demand work is made by the adapter itself,
                // with nothing to look for.
                Submission adopted =
                        Submission.batch(
                                found.batchId(),
                                found.inputFileId() != null
                                        ? found.inputFileId()
                                        : claimed.inputFileId(),
                                BatchState.PENDING,
                                found.providerStatus());
                return new Reconciled(
                        claimed,
                        adopt(
                                job,
                                staged,
                                claimed,
                                a.provider(),
                                adopted,
                                "adopted the batch the unanswered creation made"));
            }
            case FILE ->
                    next =
                            write(
                                    claimed,
                                    claimed.withInputFile(found.inputFileId())
                                            .withAttempt(
                                                    new CreationAttempt(
                                                            CreationAttempt.Step.CREATE,
                                                            clock.instant())));
            case NOTHING ->
                    next =
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
                store.updateShard(
                        claimed,
                        flagIfLong(
                                claimed.withStatus(ShardStatus.STAGED)
                                        .withDue(clock.instant().plus(waitDelay(claimed))),
                                pending,
                                "what it made is still undecided: " + found.evidence()));
                return new Reconciled(claimed, SubmitOutcome.HELD_BACK);
            }
            default -> throw new IllegalStateException("unknown reconciliation " + found.found());
        }
        if (store.job(job.jobId()).map(Job::cancelRequested).orElse(false)) {
            // Nothing of the earlier call is at the provider, and the owner cancelled: end unsent.
            return new Reconciled(
                    next,
                    endUnsent(next)
                            ? released(staged, job, SubmitOutcome.CANCELLED)
                            : SubmitOutcome.CLAIMED_ELSEWHERE);
        }
        return new Reconciled(next, null);
    }

    /** The ids of the job's other batches, which a look-up must never take for this shard's. */
    private Set<String> otherBatchIds(String jobId, int index) {
        return store.shards(jobId).stream()
                .filter(o -> o.index() != index && o.batchId() != null)
                .map(Shard::batchId)
                .collect(java.util.stream.Collectors.toSet());
    }

    /**
     * Records a found batch in the lane's registry for this shard before adopting it: false when
     * another shard holds it, or when the registry could not be written (adopting a batch the
     * registry does not name for this shard could let a second look-up take it too; the look-up is
     * made again later).
     */
    private boolean holds(Sending a, String batchId) {
        Shard staged = a.staged();
        try {
            return store.recordBatch(
                    staged.provider(), batchId, staged.jobId(), staged.index(), clock.instant());
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "job {0} shard {1}: recording the found batch {2} in the batch registry failed"
                            + " ({3})",
                    staged.jobId(),
                    a.shardName(),
                    batchId,
                    e.getClass().getSimpleName());
            return false;
        }
    }

    /** Whether another shard of the lane, of any job, recorded {@code batchId}. */
    private boolean recordedElsewhere(Shard shard, String batchId) {
        return store.batchOwner(shard.provider(), batchId)
                .filter(o -> !o.is(shard.jobId(), shard.index()))
                .isPresent();
    }

    /**
     * A creation whose outcome stays unknown: once its attempt is older than {@code stuckAfter}
     * (every batch has ended by then, so the provider should have told), the shard is flagged stuck
     * with the reason, once, for a person to decide. It still creates nothing and is looked at
     * again.
     */
    private Shard flagIfLong(Shard next, CreationAttempt pending, String why) {
        Instant now = clock.instant();
        if (pending.at().plus(settings.stuckAfter()).isAfter(now)
                || (next.trouble() != null && next.trouble().isStuck())) {
            return next;
        }
        String reason =
                "the "
                        + pending.step()
                        + " attempted at "
                        + pending.at()
                        + " got no answer and "
                        + why
                        + "; nothing is created until it is known";
        LOG.log(
                Level.ERROR,
                "job {0} shard {1}: stuck: {2}",
                next.jobId(),
                Shard.partName(next.index()),
                reason);
        metrics.shardStuck(next.provider());
        return next.withTrouble(
                dev.batchlane.core.job.ShardTrouble.stuck(next.trouble(), reason, now));
    }

    /**
     * Step four, for providers that take a file: upload it, and record it before the create, so a
     * failed create reuses this upload and cleanup finds it; the same write says the create is
     * about to be attempted.
     */
    private Shard upload(Sending a, Shard claimed) {
        if (claimed.inputFileId() != null) {
            return claimed;
        }
        String inputFileId = a.provider().upload(a.payload());
        if (inputFileId == null) {
            return claimed;
        }
        return write(
                claimed,
                claimed.withInputFile(inputFileId)
                        .withAttempt(
                                new CreationAttempt(CreationAttempt.Step.CREATE, clock.instant())));
    }

    /**
     * A creating call failed. Without a clear answer it may have taken effect: the attempt stays
     * written and the shard is held back to be looked for. A "not now" (queue limit, file not
     * ready, 429) makes the shard wait with its upload, its tokens out of the budget. Anything else
     * is the provider refusing the batch for good.
     */
    private SubmitOutcome refused(
            Sending a, Shard claimed, ProviderException e, String pool, Set<String> blockedPools) {
        Job job = a.job();
        Shard staged = a.staged();
        Instant now = clock.instant();
        if (!e.sent() || a.read().failed()) {
            return notSent(a, claimed, e);
        }
        if (e.mayHaveTakenEffect()) {
            // The call may have made its file or batch: the next submission looks for what it
            // made before making anything. Its admission stays too. Each hold counts: a shard
            // held back again and again is flagged rather than looked for in silence forever.
            store.updateShard(
                    claimed,
                    held(
                            claimed.withStatus(ShardStatus.STAGED)
                                    .withDue(now.plus(settings.pollDelay(1))),
                            "no clear answer to "
                                    + (claimed.attempt() == null
                                            ? "a creating call"
                                            : claimed.attempt().step())
                                    + " ("
                                    + e.statusCode()
                                    + " "
                                    + e.code()
                                    + ")",
                            now));
            // The causes too: an io_error can be the staged shard's read failing (an S3
            // AccessDenied names the action and the resource), which is no provider's doing.
            LOG.log(
                    Level.WARNING,
                    "job {0} shard {1}: {2} got no clear answer ({3} {4}: {5}); it may have"
                            + " taken effect, so the next submission looks for it before creating anything",
                    job.jobId(),
                    a.shardName(),
                    claimed.attempt() == null ? "a creating call" : claimed.attempt().step(),
                    e.statusCode(),
                    e.code(),
                    causes(e));
            return SubmitOutcome.HELD_BACK;
        }
        // A definite answer: the failed call made nothing, so nothing is left to look for.
        Shard cleared = claimed.withAttempt(null);
        if (refusedCredentials(e)) {
            // A key being rotated, a secret not yet updated, a role missing a grant: the batch
            // is fine and the lane's credentials are not. Ending every shard for good would
            // lose the job to a fix someone is making; the shard waits, and its holds raise the
            // stuck alarm after three.
            Duration delay = waitDelay(claimed);
            String why =
                    "the provider refused the lane's credentials ("
                            + e.statusCode()
                            + " "
                            + e.code()
                            + "); waiting for the key or the role to be fixed";
            store.updateShard(
                    claimed,
                    held(
                            cleared.waiting(why, now, now.plus(delay)),
                            why + ": " + e.getMessage(),
                            now));
            budget.release(staged, job);
            LOG.log(
                    Level.ERROR,
                    "job {0} shard {1}: {2}: {3}; tried again after {4}",
                    job.jobId(),
                    a.shardName(),
                    why,
                    e.getMessage(),
                    delay);
            return SubmitOutcome.HELD_BACK;
        }
        if (e.retryable()) {
            ProviderBusy busy = e.busy().orElse(null);
            if (busy != null && busy.statedLimit() != null) {
                budget.learn(staged, job, busy.statedLimit());
            }
            Optional<Long> tooBig = budget.neverFits(staged, job, busy);
            if (tooBig.isPresent()) {
                return neverFits(a, cleared, tooBig.get(), now);
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
                            : "provider refused for now (" + e.statusCode() + " " + e.code() + ")";
            store.updateShard(claimed, cleared.waiting(why, now, now.plus(delay)));
            budget.release(staged, job);
            LOG.log(
                    Level.WARNING,
                    "job {0} shard {1}: {2}; it waits with its upload and is submitted again"
                            + " after {3}",
                    job.jobId(),
                    a.shardName(),
                    why,
                    delay);
            return SubmitOutcome.HELD_BACK;
        }
        store.updateShard(
                claimed,
                cleared.ended(
                        BatchState.FAILED,
                        "rejected",
                        claimed.providerCounts(),
                        null,
                        null,
                        "the provider refused the batch: " + e.getMessage(),
                        now));
        budget.release(staged, job);
        LOG.log(
                Level.ERROR,
                "job {0} shard {1}: provider rejected the batch ({2} {3})",
                job.jobId(),
                a.shardName(),
                e.statusCode(),
                e.code());
        return SubmitOutcome.REJECTED_BY_PROVIDER;
    }

    /**
     * A creating call that failed before its request left whole: refused by the adapter itself (a
     * file too large, a missing setting, a size that disagrees with the record), or the staged
     * shard could not be read while it was being sent. Nothing reached the provider, so there is
     * nothing to look for: the attempt is cleared. What cannot change by waiting ends the shard
     * with its code (a staged object that is gone included); a read that may work later waits, and
     * its repeated failures are flagged like any trouble.
     */
    private SubmitOutcome notSent(Sending a, Shard claimed, ProviderException e) {
        Job job = a.job();
        Shard staged = a.staged();
        Instant now = clock.instant();
        Shard cleared = claimed.withAttempt(null);
        String code = e.code();
        String why = e.getMessage();
        boolean waits = e.retryable();
        if (a.read().failed()) {
            boolean gone = !a.read().objectExists();
            code = gone ? "staged_missing" : "staged_unreadable";
            why =
                    gone
                            ? "the staged shard "
                                    + staged.stagingKey()
                                    + " is gone (staging expired, or it was deleted), so it cannot be sent"
                            : "reading the staged shard "
                                    + staged.stagingKey()
                                    + " failed ("
                                    + a.read().failure()
                                    + ")";
            waits = !gone;
        }
        if (waits) {
            Duration delay = waitDelay(claimed);
            String held = "not sent: " + why;
            store.updateShard(
                    claimed, held(cleared.waiting(held, now, now.plus(delay)), held, now));
            budget.release(staged, job);
            LOG.log(
                    Level.WARNING,
                    "job {0} shard {1}: {2}; nothing reached the provider, tried again after {3}",
                    job.jobId(),
                    a.shardName(),
                    held,
                    delay);
            return SubmitOutcome.HELD_BACK;
        }
        store.updateShard(
                claimed,
                cleared.ended(
                        BatchState.FAILED,
                        code,
                        claimed.providerCounts(),
                        null,
                        null,
                        "not sent to the provider (" + code + "): " + why,
                        now));
        budget.release(staged, job);
        LOG.log(
                Level.ERROR,
                "job {0} shard {1}: not sent to the provider, and sending it again cannot help"
                        + " ({2}): {3}",
                job.jobId(),
                a.shardName(),
                code,
                why);
        return SubmitOutcome.REJECTED_BY_PROVIDER;
    }

    /**
     * 401 (the key is not valid: revoked, rotated, mistyped) and 403 (the key or role lacks a
     * permission): about the lane's credentials, not the batch.
     */
    private static boolean refusedCredentials(ProviderException e) {
        return e.statusCode() == 401 || e.statusCode() == 403;
    }

    /**
     * A shard bigger than the provider's queue limit: it would be refused alone, forever. It ends
     * with that reason, counted as a stuck shard so the alarm on stuck shards fires.
     */
    private SubmitOutcome neverFits(Sending a, Shard cleared, long limit, Instant now) {
        String why = AdmissionBudget.neverFitsReason(a.staged(), limit);
        store.updateShard(
                cleared,
                cleared.ended(
                        BatchState.FAILED,
                        "exceeds_queue_limit",
                        cleared.providerCounts(),
                        null,
                        null,
                        why,
                        now));
        budget.release(a.staged(), a.job());
        metrics.shardStuck(a.staged().provider());
        LOG.log(Level.ERROR, "job {0} shard {1}: {2}", a.job().jobId(), a.shardName(), why);
        return SubmitOutcome.REJECTED_BY_PROVIDER;
    }

    /**
     * {@code next} with one more hold counted as trouble; the hold that makes the shard stuck is
     * logged and counted, so an operator hears of a shard that keeps being held back.
     */
    private Shard held(Shard next, String why, Instant now) {
        ShardTrouble trouble = ShardTrouble.heldBack(next.trouble(), why, now);
        if (trouble.isStuck() && (next.trouble() == null || !next.trouble().isStuck())) {
            LOG.log(
                    Level.ERROR,
                    "job {0} shard {1}: stuck: {2}",
                    next.jobId(),
                    Shard.partName(next.index()),
                    trouble.stuck());
            metrics.shardStuck(next.provider());
        }
        return next.withTrouble(trouble);
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

    /**
     * Records a batch this shard's own create was answered with. It is this shard's whatever the
     * registry says, so the shard records it even when the registry write fails (a look-up of
     * another shard then has the rest of its rules to keep it from this batch).
     */
    private void register(Job job, Shard staged, String batchId, Instant now) {
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
