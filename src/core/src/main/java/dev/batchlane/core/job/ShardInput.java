package dev.batchlane.core.job;

/**
 * What a shard carries to the provider, as ingest staged it: the object at {@code stagingKey}
 * holding its {@code requestCount} requests in {@code bytes} bytes, and {@code inputTokens},
 * ingest's estimate of the tokens those requests enqueue at the provider (the admission budget
 * counts it; 0 before it is estimated). They are grouped because they describe one thing, the
 * shard's staged requests, fixed when ingest cuts the shard and never changed by the provider's
 * answers.
 */
public record ShardInput(String stagingKey, long requestCount, long bytes, long inputTokens) {

    /** A shard with nothing staged. */
    public static final ShardInput NONE = new ShardInput(null, 0, 0, 0);

    public ShardInput withInputTokens(long tokens) {
        return new ShardInput(stagingKey, requestCount, bytes, tokens);
    }
}
