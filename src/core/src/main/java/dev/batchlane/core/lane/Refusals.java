package dev.batchlane.core.lane;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.job.ShardTrouble;
import dev.batchlane.core.lane.ShardSubmitter.SubmitOutcome;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.ProviderBusy;
import dev.batchlane.core.provider.ProviderException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * What a failed creating call leaves: held back to be looked for (no clear answer), waiting (a "not
 * now", the lane's credentials, a staged read that may work later), or ended (a refusal for good, a
 * shard that never fits, nothing sent that sending again could help).
 */
final class Refusals {
    // The submission's own logger name, so what operators filter on did not change when the
    // submission was split into its steps.
    private static final System.Logger LOG = System.getLogger(ShardSubmitter.class.getName());

    private final JobStore store;
    private final LaneSettings settings;
    private final Clock clock;
    private final AdmissionBudget budget;
    private final LaneMetrics metrics;
    private final ShardWrites writes;

    Refusals(
            JobStore store,
            LaneSettings settings,
            Clock clock,
            AdmissionBudget budget,
            LaneMetrics metrics,
            ShardWrites writes) {
        this.store = store;
        this.settings = settings;
        this.clock = clock;
        this.budget = budget;
        this.metrics = metrics;
        this.writes = writes;
    }

    /**
     * A creating call failed. Without a clear answer it may have taken effect: the attempt stays
     * written and the shard is held back to be looked for. A "not now" (queue limit, file not
     * ready, 429) makes the shard wait with its upload, its tokens out of the budget. Anything else
     * is the provider refusing the batch for good.
     */
    SubmitOutcome refused(
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
                    ShardSubmitter.causes(e));
            return SubmitOutcome.HELD_BACK;
        }
        // A definite answer: the failed call made nothing, so nothing is left to look for.
        if (refusedCredentials(e)) {
            // A key being rotated, a secret not yet updated, a role missing a grant: the batch
            // is fine and the lane's credentials are not. Ending every shard for good would
            // lose the job to a fix someone is making; the shard waits, and its holds raise the
            // stuck alarm after three.
            Duration delay = writes.waitDelay(claimed);
            String why =
                    "the provider refused the lane's credentials ("
                            + e.statusCode()
                            + " "
                            + e.code()
                            + "); waiting for the key or the role to be fixed";
            waitUnmade(a, claimed, why, delay, why + ": " + e.getMessage(), now);
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
                return neverFits(a, claimed, tooBig.get(), now);
            }
            if (busy != null
                    && busy.reason() == ProviderBusy.Reason.ENQUEUED_TOKENS
                    && blockedPools != null) {
                blockedPools.add(pool);
            }
            Duration delay = writes.waitDelay(claimed);
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
            waitUnmade(a, claimed, why, delay, null, now);
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
        endUnmade(a, claimed, "rejected", "the provider refused the batch: " + e.getMessage(), now);
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
        String code = e.code();
        String why = e.getMessage();
        boolean waits = e.retryable();
        if (a.read().failed()) {
            boolean gone = !a.read().objectExists();
            code = gone ? "staged_missing" : "staged_unreadable";
            why =
                    gone
                            ? "the staged shard "
                                    + staged.input().stagingKey()
                                    + " is gone (staging expired, or it was deleted), so it cannot be sent"
                            : "reading the staged shard "
                                    + staged.input().stagingKey()
                                    + " failed ("
                                    + a.read().failure()
                                    + ")";
            waits = !gone;
        }
        if (waits) {
            Duration delay = writes.waitDelay(claimed);
            String held = "not sent: " + why;
            waitUnmade(a, claimed, held, delay, held, now);
            LOG.log(
                    Level.WARNING,
                    "job {0} shard {1}: {2}; nothing reached the provider, tried again after {3}",
                    job.jobId(),
                    a.shardName(),
                    held,
                    delay);
            return SubmitOutcome.HELD_BACK;
        }
        endUnmade(a, claimed, code, "not sent to the provider (" + code + "): " + why, now);
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
    private SubmitOutcome neverFits(Sending a, Shard claimed, long limit, Instant now) {
        String why = AdmissionBudget.neverFitsReason(a.staged(), limit);
        endUnmade(a, claimed, AdmissionBudget.NEVER_FITS, why, now);
        metrics.shardStuck(a.staged().provider());
        LOG.log(Level.ERROR, "job {0} shard {1}: {2}", a.job().jobId(), a.shardName(), why);
        return SubmitOutcome.REJECTED_BY_PROVIDER;
    }

    /**
     * The creating call made nothing and never will: the shard ends with {@code code} and {@code
     * error}, no batch, its attempt cleared, its admission released.
     */
    private void endUnmade(Sending a, Shard current, String code, String error, Instant now) {
        store.updateShard(
                current,
                current.withAttempt(null)
                        .ended(
                                BatchState.FAILED,
                                code,
                                current.batch().providerCounts(),
                                null,
                                null,
                                error,
                                now));
        budget.release(a.staged(), a.job());
    }

    /**
     * The creating call made nothing, and may work later: the shard waits, STAGED with its upload,
     * due after {@code delay}, its attempt cleared and its admission released; {@code hold}, when
     * not null, counts the wait as a hold (trouble) with that reason.
     */
    private void waitUnmade(
            Sending a, Shard current, String why, Duration delay, String hold, Instant now) {
        Shard next = current.withAttempt(null).waiting(why, now, now.plus(delay));
        store.updateShard(current, hold == null ? next : held(next, hold, now));
        budget.release(a.staged(), a.job());
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
}
