package dev.batchlane.core.lane;

import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.ShardSubmitter.SubmitOutcome;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.Submission;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * Step three of a submission, only after a creating call whose answer was lost: the provider is
 * asked what that call made, a found batch is held in the lane's batch registry for this shard and
 * adopted, a found file recorded; a creation whose outcome stays unknown is held back and, once it
 * is old, flagged stuck.
 */
final class Reconciler {
    // The submission's own logger name, so what operators filter on did not change when the
    // submission was split into its steps.
    private static final System.Logger LOG = System.getLogger(ShardSubmitter.class.getName());

    private final JobStore store;
    private final LaneSettings settings;
    private final Clock clock;
    private final LaneMetrics metrics;
    private final ShardWrites writes;
    private final BatchAdoption adoption;

    Reconciler(
            JobStore store,
            LaneSettings settings,
            Clock clock,
            LaneMetrics metrics,
            ShardWrites writes,
            BatchAdoption adoption) {
        this.store = store;
        this.settings = settings;
        this.clock = clock;
        this.metrics = metrics;
        this.writes = writes;
        this.adoption = adoption;
    }

    /** Either the submission is over ({@code done}), or it goes on with {@code claimed}. */
    record Reconciled(Shard claimed, SubmitOutcome done) {}

    /**
     * Step three, only after a creating call whose answer was lost: ask the provider what it made,
     * and adopt it (a batch), record it (a file), or go on (nothing). Undecided, or a look-up that
     * failed, keeps the attempt written and holds the shard back.
     */
    Reconciled reconcile(Sending a, Shard claimed, CreationAttempt pending) {
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
                                            staged.input().requestCount(),
                                            a.metadata(),
                                            pending.step(),
                                            pending.at(),
                                            claimed.batch().inputFileId(),
                                            otherBatchIds(job.jobId(), staged.index()),
                                            pending.at().plus(settings.completeGrace()),
                                            id -> recordedElsewhere(staged, id)));
        } catch (ProviderException e) {
            // The look-up failed, not a creation: even a definite "not now" (429) says nothing of
            // what the earlier call made, so the attempt stays and the shard looks again later.
            // Taking it for a refusal of the create would clear the attempt and create twice.
            Duration delay = writes.waitDelay(claimed);
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
                                    .withDue(clock.instant().plus(writes.waitDelay(claimed))));
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
                                        : claimed.batch().inputFileId(),
                                BatchState.PENDING,
                                found.providerStatus());
                return new Reconciled(
                        claimed,
                        adoption.adopt(
                                job,
                                staged,
                                claimed,
                                a.provider(),
                                adopted,
                                "adopted the batch the unanswered creation made"));
            }
            case FILE ->
                    next =
                            writes.write(
                                    claimed,
                                    // Made by the attempt, so no earlier than it started.
                                    claimed.withInputFile(
                                                    found.inputFileId(),
                                                    claimed.attempt() != null
                                                            ? claimed.attempt().at()
                                                            : clock.instant())
                                            .withAttempt(
                                                    new CreationAttempt(
                                                            CreationAttempt.Step.CREATE,
                                                            clock.instant())));
            case NOTHING ->
                    next =
                            writes.write(
                                    claimed,
                                    claimed.withAttempt(
                                            new CreationAttempt(
                                                    claimed.batch().inputFileId() == null
                                                            ? CreationAttempt.Step.UPLOAD
                                                            : CreationAttempt.Step.CREATE,
                                                    clock.instant())));
            case UNDECIDED -> {
                // Creating again could charge twice: keep the attempt and look again later.
                store.updateShard(
                        claimed,
                        flagIfLong(
                                claimed.withStatus(ShardStatus.STAGED)
                                        .withDue(clock.instant().plus(writes.waitDelay(claimed))),
                                pending,
                                "what it made is still undecided: " + found.evidence()));
                return new Reconciled(claimed, SubmitOutcome.HELD_BACK);
            }
            default -> throw new IllegalStateException("unknown reconciliation " + found.found());
        }
        if (store.job(job.jobId()).map(Job::cancelRequested).orElse(false)) {
            if (a.provider().creationIsIdempotent()) {
                // "Nothing" from a provider whose creating calls are idempotent means it was not
                // looked for: the lost call may have made its batch or its upload. Made again,
                // the call answers what the lost one made. A create goes on, and its batch is
                // adopted and cancelled at once; an upload is recorded, so the job's cleanup
                // deletes it, and nothing is created for a cancelled job.
                if (next.attempt() != null
                        && next.attempt().step() == CreationAttempt.Step.CREATE) {
                    return new Reconciled(next, null);
                }
                String uploaded = a.provider().upload(a.payload());
                if (uploaded != null) {
                    next = writes.write(next, next.withInputFile(uploaded, clock.instant()));
                }
            }
            // Nothing of the earlier call is left unrecorded at the provider, and the owner
            // cancelled: end unsent.
            return new Reconciled(
                    next,
                    writes.endUnsent(next)
                            ? writes.released(staged, job, SubmitOutcome.CANCELLED)
                            : SubmitOutcome.CLAIMED_ELSEWHERE);
        }
        return new Reconciled(next, null);
    }

    /** The ids of the job's other batches, which a look-up must never take for this shard's. */
    private Set<String> otherBatchIds(String jobId, int index) {
        return store.shards(jobId).stream()
                .filter(o -> o.index() != index && o.batch().batchId() != null)
                .map(o -> o.batch().batchId())
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
}
