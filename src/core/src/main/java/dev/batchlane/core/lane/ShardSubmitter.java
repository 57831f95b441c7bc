package dev.batchlane.core.lane;

import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.provider.KeyRedaction;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.storage.ObjectStore;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
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
 *
 * <p>This class runs the steps in order (admission, claim, upload, create); the step after a lost
 * answer is {@code Reconciler}'s, what a failed creating call leaves is {@code Refusals}', and
 * recording the batch is {@code BatchAdoption}'s.
 */
public final class ShardSubmitter {
    private static final System.Logger LOG = System.getLogger(ShardSubmitter.class.getName());

    private final JobStore store;
    private final ObjectStore objects;
    private final Providers providers;
    private final LaneSettings settings;
    private final Clock clock;
    private final AdmissionBudget budget;

    private final ShardWrites writes;
    private final BatchAdoption adoption;
    private final Reconciler reconciler;
    private final Refusals refusals;

    public ShardSubmitter(
            JobStore store,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            Clock clock,
            LaneMetrics metrics) {
        this.store = store;
        this.objects = objects;
        this.providers = providers;
        this.settings = settings;
        this.clock = clock;
        this.budget = new AdmissionBudget(store, settings.admission());
        this.writes = new ShardWrites(store, settings, clock, budget);
        this.adoption = new BatchAdoption(store, settings, clock, metrics);
        this.reconciler = new Reconciler(store, settings, clock, metrics, writes, adoption);
        this.refusals = new Refusals(store, settings, clock, budget, metrics, writes);
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
            return writes.endUnsent(staged)
                    ? writes.released(staged, job, SubmitOutcome.CANCELLED)
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
        StagedRead read = new StagedRead(objects, staged.input().stagingKey());
        Sending sending =
                new Sending(
                        job,
                        staged,
                        providers.get(staged.provider()),
                        read.payload(
                                staged.jobId() + "-" + Shard.partName(staged.index()) + ".jsonl",
                                staged.input().bytes()),
                        read);
        Shard claimed = won.get();
        try {
            if (staged.attempt() != null) {
                Reconciler.Reconciled r = reconciler.reconcile(sending, claimed, staged.attempt());
                if (r.done() != null) {
                    return r.done();
                }
                claimed = r.claimed();
            }
            claimed = upload(sending, claimed);
            Submission s =
                    sending.provider()
                            .create(
                                    claimed.batch().inputFileId(),
                                    sending.payload(),
                                    job.endpoint(),
                                    sending.metadata());
            adoption.register(job, staged, s.batchId(), clock.instant());
            return adoption.adopt(job, staged, claimed, sending.provider(), s, "submitted");
        } catch (ProviderException e) {
            return refusals.refused(sending, claimed, e, pool, blockedPools);
        }
    }

    private boolean cancelRequested(Job job) {
        return store.job(job.jobId()).map(Job::cancelRequested).orElse(job.cancelRequested());
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
                                    staged.batch().inputFileId() == null
                                            ? CreationAttempt.Step.UPLOAD
                                            : CreationAttempt.Step.CREATE,
                                    now));
        }
        return store.updateShard(staged, claim);
    }

    /**
     * Step four, for providers that take a file: upload it, and record it before the create, so a
     * failed create reuses this upload and cleanup finds it; the same write says the create is
     * about to be attempted.
     */
    private Shard upload(Sending a, Shard claimed) {
        if (claimed.batch().inputFileId() != null) {
            Instant now = clock.instant();
            if (!UploadLifetime.spent(
                    claimed.timeline().uploadedAt(), a.provider().inputFileLifetime(), now)) {
                return claimed;
            }
            LOG.log(
                    Level.INFO,
                    "job {0} shard {1}: input file {2} was uploaded at {3}, too close to the end of"
                            + " its {4} at the provider to create a batch from; uploading again",
                    claimed.jobId(),
                    Shard.partName(claimed.index()),
                    claimed.batch().inputFileId(),
                    claimed.timeline().uploadedAt(),
                    a.provider().inputFileLifetime().orElseThrow());
            // Recorded before the upload, like any creating call: an upload whose answer is lost
            // is then looked for as an upload, not as a create from the spent file.
            claimed =
                    writes.write(
                            claimed,
                            claimed.withInputFile(null, null)
                                    .withAttempt(
                                            new CreationAttempt(CreationAttempt.Step.UPLOAD, now)));
        }
        String inputFileId = a.provider().upload(a.payload());
        if (inputFileId == null) {
            return claimed;
        }
        Instant uploaded = clock.instant();
        return writes.write(
                claimed,
                claimed.withInputFile(inputFileId, uploaded)
                        .withAttempt(new CreationAttempt(CreationAttempt.Step.CREATE, uploaded)));
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

    /**
     * The exception's message and each distinct message of its causes, innermost last, with their
     * key-shaped words redacted: an adapter redacts its own message, but the exception it wraps (an
     * SDK's) keeps the service's text as it came.
     */
    static String causes(Throwable e) {
        StringBuilder sb =
                new StringBuilder(String.valueOf(KeyRedaction.redactKeys(e.getMessage())));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            String message = KeyRedaction.redactKeys(c.getMessage());
            if (message != null && sb.indexOf(message) < 0) {
                sb.append("; caused by ")
                        .append(c.getClass().getSimpleName())
                        .append(": ")
                        .append(message);
            }
        }
        return sb.toString();
    }
}
