package dev.batchlane.core.job;

/**
 * What a shard carries to the provider: the object at {@code stagingKey} holding its {@code
 * requestCount} requests in {@code bytes} bytes, and {@code inputTokens}, the estimate of the
 * tokens those requests enqueue at the provider (the admission budget counts it; 0 when none was
 * made). They are grouped because they describe one thing, the shard's staged requests: whoever
 * stages the shard (ingest, or complete for a child shard) sets them, and nothing the provider
 * answers changes them.
 */
public record ShardInput(String stagingKey, long requestCount, long bytes, long inputTokens) {

    /** A shard with nothing staged. */
    public static final ShardInput NONE = new ShardInput(null, 0, 0, 0);

    public ShardInput withInputTokens(long tokens) {
        return new ShardInput(stagingKey, requestCount, bytes, tokens);
    }
}
