package dev.batchlane.core.provider;

/** The internal outcome of one request, whatever the provider called it. */
public enum Outcome {
    SUCCEEDED,
    /** The provider answered with an error for this request. */
    FAILED,
    /** The batch's window closed before this request ran. */
    EXPIRED,
    /** The batch was cancelled before this request ran. */
    CANCELLED,
    /** The provider returned no line for this request at all. */
    MISSING;

    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
