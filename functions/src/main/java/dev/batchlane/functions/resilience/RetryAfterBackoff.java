package dev.batchlane.functions.resilience;

import dev.batchlane.core.provider.ProviderException;
import io.smallrye.faulttolerance.api.CustomBackoffStrategy;
import java.time.Duration;

/**
 * The wait before the next try: what the provider asked for in Retry-After when it said so, else
 * exponential from the first delay; never more than the cap, so a function stays within its
 * timeout. SmallRye adds the jitter.
 */
final class RetryAfterBackoff implements CustomBackoffStrategy {
    private final long maxMillis;
    private long nextMillis;

    RetryAfterBackoff(Duration max) {
        this.maxMillis = max.toMillis();
    }

    @Override
    public void init(long initialDelayInMillis) {
        nextMillis = Math.max(1, initialDelayInMillis);
    }

    @Override
    public long nextDelayInMillis(Throwable cause) {
        long exponential = nextMillis;
        nextMillis = Math.min(maxMillis, nextMillis * 2);
        if (cause instanceof ProviderException p && p.retryAfter().isPresent()) {
            return Math.min(maxMillis, p.retryAfter().get().toMillis());
        }
        return Math.min(maxMillis, exponential);
    }
}
