package dev.batchlane.core.job;

import dev.batchlane.core.provider.Usage;

/**
 * What joining one shard produced: the outcome of every staged request written to its part, the
 * requests handed on to a retry shard ({@code retried}), and the usage billed. {@code finalFailures}
 * counts the requests whose input went to the failed list.
 */
public record ShardResult(
        long succeeded,
        long failed,
        long expired,
        long cancelled,
        long missing,
        long unknownResults,
        Usage usage,
        String partKey,
        long retried,
        long finalFailures) {

    /** Requests that ended in this shard's part (retried ones end in a later shard). */
    public long total() {
        return succeeded + failed + expired + cancelled + missing;
    }
}
