package dev.batchlane.core.lane;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Paces submissions by the input tokens each provider holds queued per model. Providers cap the
 * tokens enqueued across all in-flight batches of a model (OpenAI's "enqueued token limit"); a
 * batch beyond it is refused or fails in validation, and resubmitting at once only fails again. So
 * a shard is admitted to its pool (provider/model) before it is sent, with ingest's estimate of its
 * input tokens, and released when its batch ends or is given up: shards beyond the budget stay
 * staged and wait, in order, instead of failing. The limit is the configured one, lowered by what
 * the provider itself states when it refuses.
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

    private final JobStore store;
    private final Settings settings;

    public AdmissionBudget(JobStore store, Settings settings) {
        this.store = store;
        this.settings = settings;
    }

    public static String pool(String provider, String model) {
        return provider + "/" + (model == null || model.isBlank() ? "any" : model);
    }

    public static String pool(Shard shard, Job job) {
        return pool(shard.provider(), job.model());
    }

    /** True when the shard may be sent now; false when it must wait for room. */
    public boolean admit(Shard shard, Job job, Instant now) {
        return store.admit(
                pool(shard, job),
                shard.id(),
                Math.max(0, shard.inputTokens()),
                settings.limit(pool(shard, job)),
                now,
                now.minus(settings.staleAfter()));
    }

    /** The shard's batch ended or was never made: its tokens leave the queue. */
    public void release(Shard shard, Job job) {
        try {
            store.release(pool(shard, job), shard.id());
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

    /**
     * The provider named its limit: later admissions use it when it is lower than the configured
     * one.
     */
    public void learn(Shard shard, Job job, long statedLimit, Instant now) {
        String pool = pool(shard, job);
        LOG.log(
                Level.INFO,
                "pool {0}: the provider states an enqueued-token limit of {1}",
                pool,
                statedLimit);
        store.learnLimit(pool, statedLimit, now);
    }
}
