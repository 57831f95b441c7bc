package dev.batchlane.core.ingest;

/**
 * The input tokens one shard of a model may hold at most: the provider's queue limit for that model
 * (the tokens it keeps enqueued across all of a model's batches), as configured or as the provider
 * last stated it. A shard above it is refused whenever it is sent, even alone in an empty queue, so
 * ingest cuts shards under it, and a single line above it is rejected as a line that can never run.
 */
@FunctionalInterface
public interface QueueLimits {

    /** The most input tokens a shard of {@code model} may hold; {@link Long#MAX_VALUE} for none. */
    long tokensFor(String model);

    /** No queue limit anywhere. */
    QueueLimits NONE = model -> Long.MAX_VALUE;

    /**
     * The limits of {@code provider}'s admission pools, as configured in {@code settings} or as the
     * provider last stated them (kept in {@code store}).
     */
    static QueueLimits of(
            dev.batchlane.core.lane.LaneSettings settings,
            dev.batchlane.core.job.JobStore store,
            String provider) {
        return model -> {
            String pool = dev.batchlane.core.lane.AdmissionBudget.pool(provider, model);
            return dev.batchlane.core.lane.AdmissionBudget.shardTokenLimit(
                    settings.admission(), pool, store.pool(pool));
        };
    }
}
