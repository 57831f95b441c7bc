package dev.batchlane.provider.openai;

import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.ProviderException;
import java.util.Locale;

/**
 * OpenAI's {@code Batch.status} values (docs/providers.md), so the mapping below can be exhaustive.
 */
enum OpenAiBatchStatus {
    VALIDATING,
    IN_PROGRESS,
    FINALIZING,
    COMPLETED,
    FAILED,
    EXPIRED,
    CANCELLING,
    CANCELLED;

    /**
     * The status named on the wire. An unknown one is refused rather than guessed at, because
     * guessing "still running" could poll a finished batch forever and guessing "ended" could drop
     * results; a new status needs a decision in code.
     */
    static OpenAiBatchStatus fromWire(String batchId, String status) {
        if (status != null) {
            for (OpenAiBatchStatus candidate : values()) {
                if (candidate.wire().equals(status)) {
                    return candidate;
                }
            }
        }
        throw new ProviderException(
                "openai retrieveBatch failed: batch "
                        + batchId
                        + " has status "
                        + (status == null ? "null" : "'" + status + "'")
                        + ", which this adapter does not know",
                200,
                "unknown_status",
                false,
                null);
    }

    /**
     * The state of a batch just created, from the status its creation answered: a word this adapter
     * does not know is taken as accepted (PENDING) rather than refused, since the batch exists
     * either way and refusing it here would lose it; the next poll reads its status strictly.
     */
    static BatchState created(String status) {
        for (OpenAiBatchStatus candidate : values()) {
            if (candidate.wire().equals(status)) {
                return candidate.state();
            }
        }
        return BatchState.PENDING;
    }

    String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    BatchState state() {
        return switch (this) {
            case VALIDATING -> BatchState.PENDING;
            case IN_PROGRESS -> BatchState.RUNNING;
            case FINALIZING -> BatchState.FINALIZING;
            case COMPLETED -> BatchState.COMPLETED;
            case FAILED -> BatchState.FAILED;
            case EXPIRED -> BatchState.EXPIRED;
            case CANCELLING -> BatchState.CANCELLING;
            case CANCELLED -> BatchState.CANCELLED;
        };
    }
}
