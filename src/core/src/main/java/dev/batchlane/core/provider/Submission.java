package dev.batchlane.core.provider;

import java.util.Objects;

/**
 * The provider's handles for a submitted shard: its batch and input file, the {@link BatchState}
 * the adapter read from the provider's answer, the provider's own word for people, and how the work
 * runs ({@link RunMode}).
 */
public record Submission(
        String batchId,
        String inputFileId,
        BatchState state,
        String providerStatus,
        RunMode runMode) {

    public Submission {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(runMode, "runMode");
    }

    /** A batch the provider accepted, in {@code state} (its word: {@code providerStatus}). */
    public static Submission batch(
            String batchId, String inputFileId, BatchState state, String providerStatus) {
        return new Submission(batchId, inputFileId, state, providerStatus, RunMode.BATCH);
    }

    /**
     * Work the adapter runs request by request instead of as a batch (too small for one): billed at
     * the synchronous price.
     */
    public static Submission onDemand(
            String batchId, String inputFileId, BatchState state, String providerStatus) {
        return new Submission(batchId, inputFileId, state, providerStatus, RunMode.ON_DEMAND);
    }
}
