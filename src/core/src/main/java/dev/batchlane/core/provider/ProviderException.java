package dev.batchlane.core.provider;

/**
 * A provider call that did not succeed. {@code retryable} says whether the same call may work later
 * (rate limit, server error, timeout) or never will (the request itself is wrong).
 */
public class ProviderException extends RuntimeException {
    private final int statusCode;
    private final String code;
    private final boolean retryable;

    public ProviderException(String message, int statusCode, String code, boolean retryable, Throwable cause) {
        super(message, cause);
        this.statusCode = statusCode;
        this.code = code;
        this.retryable = retryable;
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
