package dev.batchlane.core.provider;

/**
 * What a failed result line's error means for another try, decided by the adapter from its
 * provider's own codes ({@link LineResult#failureKind()}): {@code PASSING} may go through next time
 * (a rate limit, a server error, a timeout, an overload), {@code FINAL} will not (the request
 * itself was refused). The core reads only this, never a provider's code.
 */
public enum FailureKind {
    PASSING,
    FINAL;

    /**
     * The reading every HTTP API shares: 408, 409, 429 and 5xx pass, anything else (or no status)
     * is final. Adapters start from it and add what their own codes say.
     */
    public static FailureKind ofHttpStatus(Integer status) {
        return status != null && ProviderException.retryableStatus(status) ? PASSING : FINAL;
    }
}
