package dev.batchlane.core.job;

import dev.batchlane.core.provider.Usage;

/** What joining one shard produced: the outcome of every staged request, and the usage billed. */
public record ShardResult(
        long succeeded,
        long failed,
        long expired,
        long cancelled,
        long missing,
        long unknownResults,
        Usage usage,
        String partKey) {

    public long total() {
        return succeeded + failed + expired + cancelled + missing;
    }
}
