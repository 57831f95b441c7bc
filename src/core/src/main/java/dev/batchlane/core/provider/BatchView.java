package dev.batchlane.core.provider;

import dev.batchlane.core.job.BatchCounts;

/**
 * What a provider says about one batch. {@code providerStatus} is the provider's own word, kept for
 * people; {@code state} is what the code decides on. {@code error} summarises a batch-level failure
 * (for example the provider rejecting the input file), null otherwise.
 */
public record BatchView(
        String batchId,
        BatchState state,
        String providerStatus,
        BatchCounts counts,
        String outputFileId,
        String errorFileId,
        String error) {
}
