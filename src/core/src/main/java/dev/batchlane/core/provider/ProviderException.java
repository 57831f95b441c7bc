package dev.batchlane.core.provider;

/**
 * A provider call that did not succeed. {@code retryable} says whether the same call may work later
 * (rate limit, server error, timeout) or never will (the request itself is wrong).
 */
public class ProviderException extends RuntimeException {
    private final int statusCode;
    private final String code;
    private final boolean retryable;
    private final java.time.Duration retryAfter;

    public ProviderException(String message, int statusCode, String code, boolean retryable, Throwable cause) {
        this(message, statusCode, code, retryable, null, cause);
    }

    /** {@code retryAfter}: how long the provider asked the caller to wait (Retry-After), or null. */
    public ProviderException(String message, int statusCode, String code, boolean retryable,
            java.time.Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.statusCode = statusCode;
        this.code = code;
        this.retryable = retryable;
        this.retryAfter = retryAfter;
    }

    public java.util.Optional<java.time.Duration> retryAfter() {
        return java.util.Optional.ofNullable(retryAfter);
    }

    public int statusCode() {
        return statusCode;
    }

    public String code() {
        return code;
    }

    public boolean retryable() {
        return retryable;
    }
}
