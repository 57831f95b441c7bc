package dev.batchlane.core.queue;

import java.math.BigDecimal;
import java.time.Duration;

/**
 * When a queue's group is flushed. A group is flushed when it holds {@code maxRequests} requests or
 * {@code maxBytes} bytes (0: what one of the provider's batches holds), or when its oldest request
 * has waited {@code maxWait}. A group smaller than the provider's minimum per batch (Bedrock's
 * records per job) at its deadline runs on demand at the synchronous price, or waits for more
 * requests, as {@code belowMinimum} says.
 *
 * @param budgetUsd the most one flush may be projected to cost (null: the lane's default); a flush
 *     over it is rejected like a file, and its requests answered as rejected
 * @param dailyBudgetUsd the most the flushes of one UTC day may be projected to cost together
 *     (null: no daily cap); a flush that would pass it waits for the next day
 */
public record QueuePolicy(
        Duration maxWait,
        long maxRequests,
        long maxBytes,
        BelowMinimum belowMinimum,
        BigDecimal budgetUsd,
        BigDecimal dailyBudgetUsd) {

    public enum BelowMinimum {
        ON_DEMAND,
        WAIT
    }

    public static final Duration DEFAULT_MAX_WAIT = Duration.ofHours(1);

    public static QueuePolicy defaults() {
        return new QueuePolicy(DEFAULT_MAX_WAIT, 0, 0, BelowMinimum.ON_DEMAND, null, null);
    }

    /** Without a daily cap. */
    public QueuePolicy(
            Duration maxWait,
            long maxRequests,
            long maxBytes,
            BelowMinimum belowMinimum,
            BigDecimal budgetUsd) {
        this(maxWait, maxRequests, maxBytes, belowMinimum, budgetUsd, null);
    }

    public QueuePolicy {
        if (maxWait == null || maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException(
                    "a queue's max-wait must be a positive duration; got " + maxWait);
        }
        if (maxRequests < 0 || maxBytes < 0) {
            throw new IllegalArgumentException(
                    "a queue's max-requests and max-bytes are 0 (the provider's batch limit) or"
                            + " positive; got "
                            + maxRequests
                            + " and "
                            + maxBytes);
        }
        if (budgetUsd != null && budgetUsd.signum() < 0) {
            throw new IllegalArgumentException(
                    "a queue's budget-usd must not be negative; got " + budgetUsd);
        }
        if (dailyBudgetUsd != null && dailyBudgetUsd.signum() < 0) {
            throw new IllegalArgumentException(
                    "a queue's daily-budget-usd must not be negative; got " + dailyBudgetUsd);
        }
        if (belowMinimum == null) {
            belowMinimum = BelowMinimum.ON_DEMAND;
        }
    }

    /** The most requests one flush takes: this policy's, within the provider's batch limit. */
    public long requestsPerFlush(long providerLimit) {
        return maxRequests == 0 ? providerLimit : Math.min(maxRequests, providerLimit);
    }

    /** The most bytes one flush takes: this policy's, within the provider's batch limit. */
    public long bytesPerFlush(long providerLimit) {
        return maxBytes == 0 ? providerLimit : Math.min(maxBytes, providerLimit);
    }
}
