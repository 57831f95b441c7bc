package dev.batchlane.simulator.openai;

import java.util.Locale;

/** The statuses of an OpenAI batch ({@code Batch.status} in the spec). */
public enum BatchStatus {
    VALIDATING,
    FAILED,
    IN_PROGRESS,
    FINALIZING,
    COMPLETED,
    EXPIRED,
    CANCELLING,
    CANCELLED;

    /** The status as it appears on the wire, e.g. {@code in_progress}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the batch can no longer change. */
    public boolean terminal() {
        return switch (this) {
            case FAILED, COMPLETED, EXPIRED, CANCELLED -> true;
            case VALIDATING, IN_PROGRESS, FINALIZING, CANCELLING -> false;
        };
    }
}
