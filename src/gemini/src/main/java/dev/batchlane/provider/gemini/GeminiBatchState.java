package dev.batchlane.provider.gemini;

import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.ProviderException;
import java.util.Locale;

/**
 * The wire values of {@code GenerateContentBatch.state}. Google's SDKs rename them {@code
 * JOB_STATE_*} and some of Google's own samples compare against those names, so both spellings are
 * read.
 */
enum GeminiBatchState {
    UNSPECIFIED,
    PENDING,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED,
    EXPIRED;

    static GeminiBatchState fromWire(String batchName, String wire) {
        if (wire != null) {
            String word =
                    wire.startsWith("BATCH_STATE_")
                            ? wire.substring("BATCH_STATE_".length())
                            : wire.startsWith("JOB_STATE_")
                                    ? wire.substring("JOB_STATE_".length())
                                    : null;
            if (word != null) {
                for (GeminiBatchState s : values()) {
                    if (s.name().equals(word)) {
                        return s;
                    }
                }
            }
        }
        throw new ProviderException(
                "gemini batches.get failed: batch "
                        + batchName
                        + " has unknown state '"
                        + wire
                        + "'",
                200,
                "unknown_state",
                false,
                null);
    }

    /**
     * The one mapping onto the lane's states. UNSPECIFIED is what a batch reports before the
     * service has said anything, so it waits like PENDING (poll flags a batch that never moves).
     * EXPIRED is Google's 48 h limit: the batch ends with no results at all, so every request is
     * resubmitted.
     */
    BatchState state() {
        return switch (this) {
            case UNSPECIFIED, PENDING -> BatchState.PENDING;
            case RUNNING -> BatchState.RUNNING;
            case SUCCEEDED -> BatchState.COMPLETED;
            case FAILED -> BatchState.FAILED;
            case CANCELLED -> BatchState.CANCELLED;
            case EXPIRED -> BatchState.EXPIRED;
        };
    }

    /**
     * The state as the lane records it for people ({@code expired}, {@code cancelled}, …); the lane
     * decides on {@link #state()} only.
     */
    String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
