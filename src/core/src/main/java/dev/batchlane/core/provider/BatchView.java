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
        String error,
        ProviderBusy busy) {

    public BatchView {
        // The batch's error goes on to the shard's record, the manifest and the logs: whatever
        // adapter read it, a key-shaped word in it is redacted here.
        error = KeyRedaction.redactKeys(error);
    }

    /**
     * {@code busy}: the batch failed because of the provider's queue (OpenAI fails a batch in
     * validation with {@code token_limit_exceeded}), not because of its input; null otherwise.
     */
    public BatchView(
            String batchId,
            BatchState state,
            String providerStatus,
            BatchCounts counts,
            String outputFileId,
            String errorFileId,
            String error) {
        this(batchId, state, providerStatus, counts, outputFileId, errorFileId, error, null);
    }
}
