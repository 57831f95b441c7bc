package dev.batchlane.core.provider;

/**
 * A provider call that did not succeed. {@code retryable} says whether the same call may work later
 * (rate limit, server error, timeout) or never will (the request itself is wrong).
 *
 * <p>"Retry" in the lane means this only: the same provider call made again, within one invocation
 * or at the next poll. Requests that came back failed inside a batch are <em>resubmitted</em> in a
 * child shard instead, a decision {@code complete.ResubmitPolicy} takes from the result lines.
 */
public class ProviderException extends RuntimeException {
    private final int statusCode;
    private final String code;
    private final boolean retryable;
    private final java.time.Duration retryAfter;
    private final ProviderBusy busy;
    private final boolean sent;

    public ProviderException(
            String message, int statusCode, String code, boolean retryable, Throwable cause) {
        this(message, statusCode, code, retryable, null, cause);
    }

    /**
     * {@code retryAfter}: how long the provider asked the caller to wait (Retry-After), or null.
     */
    public ProviderException(
            String message,
            int statusCode,
            String code,
            boolean retryable,
            java.time.Duration retryAfter,
            Throwable cause) {
        this(message, statusCode, code, retryable, retryAfter, null, cause);
    }

    /**
     * {@code busy}: the provider refused because of its queue (see {@link ProviderBusy}), or null.
     */
    public ProviderException(
            String message,
            int statusCode,
            String code,
            boolean retryable,
            java.time.Duration retryAfter,
            ProviderBusy busy,
            Throwable cause) {
        this(message, statusCode, code, retryable, retryAfter, busy, true, cause);
    }

    private ProviderException(
            String message,
            int statusCode,
            String code,
            boolean retryable,
            java.time.Duration retryAfter,
            ProviderBusy busy,
            boolean sent,
            Throwable cause) {
        super(message, cause);
        this.sent = sent;
        this.statusCode = statusCode;
        this.code = code;
        this.retryable = retryable || busy != null;
        this.retryAfter = retryAfter;
        this.busy = busy;
    }

    /**
     * A call that failed before its request left this process: the adapter's own refusal (a file
     * too large, a missing role setting, a staged shard whose size disagrees with its record) or a
     * local read that failed before anything was sent. Status 0 like a lost answer, but never
     * ambiguous: nothing reached the provider, so nothing can have taken effect there. {@code
     * retryable} says whether the same call may work later (a read that failed for now).
     */
    public static ProviderException notSent(
            String message, String code, boolean retryable, Throwable cause) {
        return new ProviderException(message, 0, code, retryable, null, null, false, cause);
    }

    /** Whether the request left this process; false for {@link #notSent} failures. */
    public boolean sent() {
        return sent;
    }

    /** Why the provider's queue refused the call, when that is why; empty otherwise. */
    public java.util.Optional<ProviderBusy> busy() {
        return java.util.Optional.ofNullable(busy);
    }

    /**
     * Whether a creating call that failed like this may still have taken effect at the provider: no
     * answer at all (status 0: a timeout, a reset), a server error (the provider's edge may answer
     * 502 after the work was done), or a success status whose body could not be read. A 4xx (and a
     * 429) is a definite refusal: nothing was made; so is a call that was never sent.
     */
    public boolean mayHaveTakenEffect() {
        return sent
                && busy == null
                && (statusCode == 0
                        || statusCode >= 500
                        || (statusCode >= 200 && statusCode < 300));
    }

    /**
     * The one rule for which HTTP statuses may succeed when the same call is made again: 408
     * (timeout), 409 (a conflict such as a concurrent change, or Google's ABORTED), 429 (rate
     * limit) and every 5xx (server error, overload, 529). Every other status is the caller's
     * mistake and stays one. Used for provider calls (the HTTP layer) and for failed request lines
     * alike (adapters start a failed line's {@link FailureKind} from it), so the two cannot drift
     * apart.
     */
    public static boolean retryableStatus(int status) {
        return status == 408 || status == 409 || status == 429 || status >= 500;
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

    /** Whether the same call may be made again (a retry), as opposed to failing for good. */
    public boolean retryable() {
        return retryable;
    }
}
