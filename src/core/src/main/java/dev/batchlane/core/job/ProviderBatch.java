package dev.batchlane.core.job;

import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.RunMode;
import dev.batchlane.core.provider.Submission;

/**
 * The provider's batch behind a shard, as the shard last recorded it: the batch's id and its input,
 * output and error files, {@code batchState}, what the adapter decided the batch's state is (null
 * before there is a batch), and {@code runMode}, how its requests run; the lane decides on these,
 * while {@code providerStatus} (the provider's own word), {@code providerCounts} and {@code
 * batchError} are kept for people. {@code pollCount} is how often poll has read the batch. They are
 * grouped because they change together, as a submission, a poll or the batch's end answers, apart
 * from the lane's own bookkeeping of the shard; {@link #NONE} is no batch yet.
 */
public record ProviderBatch(
        String batchId,
        String inputFileId,
        String outputFileId,
        String errorFileId,
        String providerStatus,
        BatchCounts providerCounts,
        String batchError,
        BatchState batchState,
        RunMode runMode,
        int pollCount) {

    public static final ProviderBatch NONE =
            new ProviderBatch(null, null, null, null, null, null, null, null, null, 0);

    public ProviderBatch {
        if (providerCounts == null) {
            providerCounts = BatchCounts.NONE;
        }
        if (runMode == null) {
            runMode = RunMode.BATCH;
        }
    }

    public ProviderBatch withInputFile(String id) {
        return new ProviderBatch(
                batchId,
                id,
                outputFileId,
                errorFileId,
                providerStatus,
                providerCounts,
                batchError,
                batchState,
                runMode,
                pollCount);
    }

    /** Taken by the provider as {@code s}. */
    ProviderBatch submitted(Submission s) {
        return new ProviderBatch(
                s.batchId(),
                s.inputFileId(),
                outputFileId,
                errorFileId,
                s.providerStatus(),
                providerCounts,
                batchError,
                s.state(),
                s.runMode(),
                0);
    }

    /** Still running as {@code view} says. */
    ProviderBatch polled(BatchView view) {
        return new ProviderBatch(
                batchId,
                inputFileId,
                outputFileId,
                errorFileId,
                view.providerStatus(),
                view.counts(),
                batchError,
                view.state(),
                runMode,
                pollCount + 1);
    }

    /** Ended in {@code state}, with what the provider reported at the end. */
    ProviderBatch ended(
            BatchState state,
            String providerStatus,
            BatchCounts counts,
            String outputFileId,
            String errorFileId,
            String batchError) {
        return new ProviderBatch(
                batchId,
                inputFileId,
                outputFileId,
                errorFileId,
                providerStatus,
                counts,
                batchError,
                state,
                runMode,
                pollCount + 1);
    }

    /** The batch forgotten (its input file kept), {@code why} in its status's place. */
    ProviderBatch requeued(String why) {
        return new ProviderBatch(
                null,
                inputFileId,
                outputFileId,
                errorFileId,
                why,
                providerCounts,
                batchError,
                null,
                RunMode.BATCH,
                0);
    }
}
