package dev.batchlane.core.poll;

import java.time.Duration;

/**
 * How one poll cycle spends its invocation.
 *
 * @param parallelism due shards handled at once, each on its own thread of a bounded pool, so one
 *     slow provider call holds up only its own shard
 * @param claimMargin no new shard is claimed once less than this is left before the deadline; it
 *     must cover one provider call with its retries, so what was claimed can finish inside the
 *     invocation
 * @param maxSubmissionsPerCycle held-back (STAGED) shards submitted per cycle at most: a submission
 *     uploads a shard of up to 200 MB
 */
public record PollSettings(int parallelism, Duration claimMargin, int maxSubmissionsPerCycle) {
    public static final int DEFAULT_PARALLELISM = 8;
    public static final Duration DEFAULT_CLAIM_MARGIN = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_SUBMISSIONS_PER_CYCLE = 20;

    public PollSettings {
        if (parallelism < 1) {
            throw new IllegalArgumentException(
                    "poll parallelism must be at least 1, not " + parallelism);
        }
        if (claimMargin == null || claimMargin.isNegative()) {
            throw new IllegalArgumentException(
                    "poll claim margin must be zero or more, not " + claimMargin);
        }
        if (maxSubmissionsPerCycle < 0) {
            throw new IllegalArgumentException(
                    "poll max submissions per cycle must be zero or more, not "
                            + maxSubmissionsPerCycle);
        }
    }

    public static PollSettings defaults() {
        return new PollSettings(
                DEFAULT_PARALLELISM, DEFAULT_CLAIM_MARGIN, DEFAULT_MAX_SUBMISSIONS_PER_CYCLE);
    }
}
