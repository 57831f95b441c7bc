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
}
