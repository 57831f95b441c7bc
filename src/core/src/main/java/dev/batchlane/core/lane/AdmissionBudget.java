package dev.batchlane.core.lane;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.Shard;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Paces submissions by the input tokens each provider holds queued per model. Providers cap the
 * tokens enqueued across all in-flight batches of a model (OpenAI's "enqueued token limit"); a
 * batch beyond it is refused or fails in validation, and resubmitting at once only fails again. So
 * a shard is admitted to its pool (provider/model) before it is sent, with ingest's estimate of its
 * input tokens, and released when its batch ends or is given up: shards beyond the budget stay
 * staged and wait, in order, instead of failing. The limit is the configured one, lowered by what
 * the provider itself states when it refuses.
 *
 * <p>The rule is decided here, on a snapshot of the pool ({@link #decide}); a store ({@link
 * AdmissionPools}) only reads the pool and writes the next one back if its version has not moved,
 * and a write that lost is decided again on a fresh read.
 */
public final class AdmissionBudget {
    private static final System.Logger LOG = System.getLogger(AdmissionBudget.class.getName());

    /**
     * Limits by pool ({@code openai/gpt-4o-mini}) or by provider ({@code openai}); a pool named
     * neither uses {@code defaultLimit}. 0 means no configured limit (only a learned one applies).
     * {@code staleAfter}: an admission older than this no longer counts (its batch has surely
     * ended; the holder died before releasing it).
     */
    public record Settings(Map<String, Long> limits, long defaultLimit, Duration staleAfter) {
        public static Settings unlimited() {
            return new Settings(Map.of(), 0, LaneSettings.DEFAULT_STUCK_AFTER);
        }

        public Settings {
            limits = Map.copyOf(limits);
        }

        long limit(String pool) {
            Long exact = limits.get(pool);
            if (exact != null) {
                return exact;
            }
            Long provider = limits.get(pool.substring(0, pool.indexOf('/')));
            return provider != null ? provider : defaultLimit;
        }
    }

    /** How often a write that lost to a concurrent change is decided again on a fresh read. */
    static final int MAX_RACES = 20;

    /**
     * A head that has not asked for room this long lapses. A queued shard asks at every poll, about
     * once a minute; one that stops asking (cancelled, ended another way) no longer holds room.
     */
    static final Duration HEAD_LAPSE = Duration.ofMinutes(10);

    /** How often a head that asks again writes that it still waits: not at every poll. */
    static final Duration HEAD_REFRESH = Duration.ofMinutes(3);

    /**
     * The pause before deciding again after a lost race, given how many were lost: callers that
     * collided spread out instead of colliding again in step.
     */
    @FunctionalInterface
    public interface Backoff {
        /** Waits before race {@code race} (1 for the first repeat); false when interrupted. */
        boolean pause(int race);

        /**
         * Full jitter over a doubling ceiling, 20 ms to about 1.3 s: fifty ingests that collided on
         * one pool come apart within a few rounds.
         */
        Backoff JITTERED =
                race -> {
                    long ceiling = 20L << Math.min(race, 6);
                    try {
                        Thread.sleep(
                                java.util.concurrent.ThreadLocalRandom.current()
                                        .nextLong(1, ceiling + 1));
                        return true;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                };
    }

    /**
     * What an admission came to: {@code ADMITTED}; {@code FULL}, no room for it now; {@code BUSY},
     * every write lost to concurrent ones ({@link #MAX_RACES} of them, with pauses between), so
     * nothing was decided and the shard asks again later like one that found the pool full.
     */
    public enum Verdict {
        ADMITTED,
        FULL,
        BUSY
    }

    private final AdmissionPools pools;
    private final Settings settings;
    private final Backoff backoff;

    public AdmissionBudget(AdmissionPools pools, Settings settings) {
        this(pools, settings, Backoff.JITTERED);
    }

    public AdmissionBudget(AdmissionPools pools, Settings settings, Backoff backoff) {
        this.pools = pools;
        this.settings = settings;
        this.backoff = backoff;
    }

    public static String pool(String provider, String model) {
        return provider + "/" + (model == null || model.isBlank() ? "any" : model);
    }

    public static String pool(Shard shard, Job job) {
        return pool(shard.provider(), job.model());
    }

    /**
     * What one admission comes to on a pool as read: admitted or not, and the pool to write back
     * (null when nothing changes: refused, or admitted already).
     */
    public record Decision(boolean admitted, AdmissionPool next) {}

    /** {@link #decide} for a shard that starts waiting now. */
    public static Decision decide(
            AdmissionPool pool,
            String shardId,
            long tokens,
            long configuredLimit,
            Instant now,
            Instant staleBefore) {
        return decide(pool, shardId, tokens, configuredLimit, now, staleBefore, now);
    }

    /**
     * The admission rule. {@code shardId} with {@code tokens} is admitted when what the pool holds
     * plus {@code tokens} stays within the lower of {@code configuredLimit} (0: none) and the limit
     * the provider stated, or when the pool holds nothing (a shard bigger than the limit still gets
     * its turn, alone; a pool whose entries hold no tokens counts as empty). Admissions older than
     * {@code staleBefore} no longer count: their holder died before releasing them, and they are
     * swept in the same write. A shard admitted already stays admitted, and nothing is written.
     *
     * <p>First in line goes first: a refused shard that has waited longer than the pool's head
     * ({@code waitingSince}, when its wait began) becomes the head, and every other shard is
     * admitted only with the head's tokens left free, so new jobs cannot keep taking the room a
     * large waiting shard needs. The head is admitted on the rule above and leaves the line in the
     * same write; a head that stopped asking lapses after {@link #HEAD_LAPSE}.
     */
    public static Decision decide(
            AdmissionPool pool,
            String shardId,
            long tokens,
            long configuredLimit,
            Instant now,
            Instant staleBefore,
            Instant waitingSince) {
        if (pool.held().containsKey(shardId)) {
            return new Decision(true, null);
        }
        long effective =
                Math.min(
                        configuredLimit > 0 ? configuredLimit : Long.MAX_VALUE,
                        pool.learnedLimit() != null ? pool.learnedLimit() : Long.MAX_VALUE);
        Map<String, AdmissionPool.Admission> live = new LinkedHashMap<>();
        long sum = 0;
        for (var e : pool.held().entrySet()) {
            if (!e.getValue().at().isBefore(staleBefore)) {
                live.put(e.getKey(), e.getValue());
                sum += e.getValue().tokens();
            }
        }
        AdmissionPool.Waiting head = pool.head();
        boolean headLive =
                head != null
                        && !head.seenAt().isBefore(now.minus(HEAD_LAPSE))
                        && !live.containsKey(head.shardId());
        boolean mine = headLive && head.shardId().equals(shardId);
        long reserved = headLive && !mine ? head.tokens() : 0;
        if ((sum > 0 || reserved > 0) && sum + reserved + tokens > effective) {
            AdmissionPool.Waiting nextHead = null;
            if (mine) {
                if (head.seenAt().isBefore(now.minus(HEAD_REFRESH))) {
                    nextHead = new AdmissionPool.Waiting(shardId, tokens, head.since(), now);
                }
            } else if (!headLive || waitingSince.isBefore(head.since())) {
                nextHead = new AdmissionPool.Waiting(shardId, tokens, waitingSince, now);
            }
            return new Decision(false, nextHead == null ? null : pool.next(live, nextHead));
        }
        live.put(shardId, new AdmissionPool.Admission(tokens, now));
        AdmissionPool.Waiting keep = headLive && !mine ? head : null;
        return new Decision(true, pool.next(live, keep));
    }

    /** True when the shard may be sent now; false when it must wait for room. */
    public boolean admit(Shard shard, Job job, Instant now) {
        return tryAdmit(shard, job, now) == Verdict.ADMITTED;
    }

    /** Whether the shard may be sent now, and if not, why (see {@link Verdict}). */
    public Verdict tryAdmit(Shard shard, Job job, Instant now) {
        Instant since = shard.queueWait().since() != null ? shard.queueWait().since() : now;
        return tryAdmit(
                pool(shard, job), shard.id(), Math.max(0, shard.input().inputTokens()), now, since);
    }

    /** {@link #tryAdmit} for a shard that starts waiting now, as true when admitted. */
    public boolean admit(String pool, String shardId, long tokens, Instant now) {
        return tryAdmit(pool, shardId, tokens, now, now) == Verdict.ADMITTED;
    }

    /**
     * Admits {@code shardId} with {@code tokens} to {@code pool} under the configured limit and
     * staleness (see {@link #decide}). Conditional: two callers can never both fill the last room;
     * the loser of a race pauses ({@link Backoff}) and decides again on what the winner wrote. A
     * pool with no limit at all, configured or learned, is only read: there is nothing to pace, and
     * recording every shard in flight would make its item hot and large for nothing.
     */
    public Verdict tryAdmit(
            String pool, String shardId, long tokens, Instant now, Instant waitingSince) {
        long configured = settings.limit(pool);
        for (int race = 0; race < MAX_RACES; race++) {
            if (race > 0 && !backoff.pause(race)) {
                break;
            }
            AdmissionPool read = pools.pool(pool);
            if (configured <= 0 && read.learnedLimit() == null) {
                return Verdict.ADMITTED;
            }
            Decision d =
                    decide(
                            read,
                            shardId,
                            tokens,
                            configured,
                            now,
                            now.minus(settings.staleAfter()),
                            waitingSince);
            if (d.next() == null || pools.replacePool(read, d.next())) {
                return d.admitted() ? Verdict.ADMITTED : Verdict.FULL;
            }
        }
        LOG.log(
                Level.WARNING,
                "pool {0}: admission of shard {1} lost {2} races to concurrent writes; it asks"
                        + " again at its next turn",
                pool,
                shardId,
                MAX_RACES);
        return Verdict.BUSY;
    }

    /**
     * The queue limit a shard can never fit under, when the provider refused it for its queue: the
     * lower of the limit it stated now and the pool's configured one. A shard whose own tokens are
     * over it fails the same way alone in an empty queue, every time, until its staged file expires
     * two weeks later; the caller ends it with that reason instead of requeueing it.
     */
    public java.util.Optional<Long> neverFits(
            Shard shard, Job job, dev.batchlane.core.provider.ProviderBusy busy) {
        if (busy == null
                || busy.reason()
                        != dev.batchlane.core.provider.ProviderBusy.Reason.ENQUEUED_TOKENS) {
            return java.util.Optional.empty();
        }
        long configured = settings.limit(pool(shard, job));
        long limit =
                Math.min(
                        configured > 0 ? configured : Long.MAX_VALUE,
                        busy.statedLimit() != null ? busy.statedLimit() : Long.MAX_VALUE);
        return limit != Long.MAX_VALUE && shard.input().inputTokens() > limit
                ? java.util.Optional.of(limit)
                : java.util.Optional.empty();
    }

    /**
     * The most input tokens one shard of {@code pool} may hold: the lower of the configured limit
     * (0: none) and the limit the provider last stated for the pool; {@link Long#MAX_VALUE} when
     * neither is known. Ingest cuts shards under it, since a larger one could never be queued.
     */
    public static long shardTokenLimit(Settings settings, String pool, AdmissionPool stored) {
        long configured = settings.limit(pool);
        Long learned = stored == null ? null : stored.learnedLimit();
        return Math.min(
                configured > 0 ? configured : Long.MAX_VALUE,
                learned != null && learned > 0 ? learned : Long.MAX_VALUE);
    }

    /** The code a shard that {@link #neverFits} ends with. */
    public static final String NEVER_FITS = "exceeds_queue_limit";

    /** Why a shard that {@link #neverFits} ends, for its record and the people reading it. */
    public static String neverFitsReason(Shard shard, long limit) {
        return NEVER_FITS
                + ": the shard holds about "
                + shard.input().inputTokens()
                + " input tokens, over the provider's enqueued-token limit of "
                + limit
                + " for its model, so it can never be queued; cut the file into smaller shards"
                + " (fewer requests per shard) or raise the limit, then re-drive the job";
    }

    /** The shard's batch ended or was never made: its tokens leave the queue. */
    public void release(Shard shard, Job job) {
        try {
            release(pool(shard, job), shard.id());
        } catch (RuntimeException e) {
            // Not fatal: the admission stops counting once it is stale.
            LOG.log(
                    Level.WARNING,
                    "job {0} shard {1}: could not release its admission to {2} ({3}); it lapses"
                            + " after {4}",
                    shard.jobId(),
                    Shard.partName(shard.index()),
                    pool(shard, job),
                    e.getClass().getSimpleName(),
                    settings.staleAfter());
        }
    }

    /** Takes {@code shardId} out of {@code pool}; idempotent. */
    public void release(String pool, String shardId) {
        for (int race = 0; race < MAX_RACES; race++) {
            if (race > 0 && !backoff.pause(race)) {
                break;
            }
            AdmissionPool read = pools.pool(pool);
            if (!read.held().containsKey(shardId)) {
                return;
            }
            Map<String, AdmissionPool.Admission> rest = new LinkedHashMap<>(read.held());
            rest.remove(shardId);
            if (pools.replacePool(read, read.next(rest, read.learnedLimit()))) {
                return;
            }
        }
        throw new IllegalStateException(
                "pool "
                        + pool
                        + ": release of shard "
                        + shardId
                        + " kept losing to concurrent changes ("
                        + MAX_RACES
                        + " tries)");
    }

    /**
     * The provider named its limit: later admissions use it when it is lower than the configured
     * one.
     */
    public void learn(Shard shard, Job job, long statedLimit) {
        learn(pool(shard, job), statedLimit);
    }

    /**
     * Records the limit the provider stated for {@code pool}, replacing one stated before (a
     * provider may raise it); admissions use the lower of it and the configured one.
     */
    public void learn(String pool, long statedLimit) {
        LOG.log(
                Level.INFO,
                "pool {0}: the provider states an enqueued-token limit of {1}",
                pool,
                statedLimit);
        for (int race = 0; race < MAX_RACES; race++) {
            if (race > 0 && !backoff.pause(race)) {
                break;
            }
            AdmissionPool read = pools.pool(pool);
            if (Long.valueOf(statedLimit).equals(read.learnedLimit())
                    || pools.replacePool(read, read.next(read.held(), (Long) statedLimit))) {
                return;
            }
        }
        // Not fatal: the provider states its limit again with its next refusal.
        LOG.log(
                Level.WARNING,
                "pool {0}: recording the stated limit {1} lost {2} races to concurrent writes;"
                        + " the next refusal states it again",
                pool,
                statedLimit,
                MAX_RACES);
    }
}
