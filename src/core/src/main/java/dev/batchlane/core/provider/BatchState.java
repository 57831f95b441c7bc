package dev.batchlane.core.provider;

/** Provider batch statuses mapped onto one internal set. */
public enum BatchState {
    PENDING,
    RUNNING,
    FINALIZING,
    COMPLETED,
    FAILED,
    EXPIRED,
    CANCELLING,
    CANCELLED;

    public boolean terminal() {
        return switch (this) {
            case COMPLETED, FAILED, EXPIRED, CANCELLED -> true;
            case PENDING, RUNNING, FINALIZING, CANCELLING -> false;
        };
    }
}
