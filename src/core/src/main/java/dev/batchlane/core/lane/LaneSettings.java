package dev.batchlane.core.lane;

import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.money.Money;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the services need to know that is not code: limits, poll pacing, where temporary files
 * go. The functions build it once from configuration.
 *
 * <p>{@code stagingLifetime} is how long the bucket keeps a staged shard before its lifecycle rule
 * expires it (null: it never does); poll refreshes the staged shards of jobs that live that long
 * ({@link dev.batchlane.core.poll.StagingRefresh}).
 */
public record LaneSettings(
        IngestLimits limits,
        Duration firstPollDelay,
        Duration maxPollDelay,
        int pollBatchSize,
        Path tempDir,
        Money money,
        int maxResubmitDepth,
        Duration stuckAfter,
        Duration completeGrace,
        AdmissionBudget.Settings admission,
        Duration stagingLifetime) {

    /** How many times requests that failed for a passing reason are resubmitted, by default. */
    public static final int DEFAULT_RESUBMIT_DEPTH = 2;

    public LaneSettings(
            IngestLimits limits,
            Duration firstPollDelay,
            Duration maxPollDelay,
            int pollBatchSize,
            Path tempDir) {
        this(
                limits,
                firstPollDelay,
                maxPollDelay,
                pollBatchSize,
                tempDir,
                Money.defaults(),
                DEFAULT_RESUBMIT_DEPTH);
    }

    public LaneSettings(
            IngestLimits limits,
            Duration firstPollDelay,
            Duration maxPollDelay,
            int pollBatchSize,
            Path tempDir,
            Money money,
            int maxResubmitDepth) {
        this(
                limits,
                firstPollDelay,
                maxPollDelay,
                pollBatchSize,
                tempDir,
                money,
                maxResubmitDepth,
                DEFAULT_STUCK_AFTER,
                DEFAULT_COMPLETE_GRACE);
    }

    /**
     * A batch still running this long after submission is stuck: the 24 h window plus finalizing
     * time.
     */
    public static final Duration DEFAULT_STUCK_AFTER = Duration.ofHours(26);

    /**
     * An ended shard not completed this long after is stuck: complete never ran or keeps failing.
     */
    public static final Duration DEFAULT_COMPLETE_GRACE = Duration.ofMinutes(30);

    public LaneSettings(
            IngestLimits limits,
            Duration firstPollDelay,
            Duration maxPollDelay,
            int pollBatchSize,
            Path tempDir,
            Money money,
            int maxResubmitDepth,
            Duration stuckAfter,
            Duration completeGrace) {
        this(
                limits,
                firstPollDelay,
                maxPollDelay,
                pollBatchSize,
                tempDir,
                money,
                maxResubmitDepth,
                stuckAfter,
                completeGrace,
                AdmissionBudget.Settings.unlimited());
    }

    public LaneSettings(
            IngestLimits limits,
            Duration firstPollDelay,
            Duration maxPollDelay,
            int pollBatchSize,
            Path tempDir,
            Money money,
            int maxResubmitDepth,
            Duration stuckAfter,
            Duration completeGrace,
            AdmissionBudget.Settings admission) {
        this(
                limits,
                firstPollDelay,
                maxPollDelay,
                pollBatchSize,
                tempDir,
                money,
                maxResubmitDepth,
                stuckAfter,
                completeGrace,
                admission,
                null);
    }

    /** The same settings with this admission budget. */
    public LaneSettings withAdmission(AdmissionBudget.Settings budget) {
        return new LaneSettings(
                limits,
                firstPollDelay,
                maxPollDelay,
                pollBatchSize,
                tempDir,
                money,
                maxResubmitDepth,
                stuckAfter,
                completeGrace,
                budget,
                stagingLifetime);
    }

    /** The same settings with this staging lifetime (null: staged shards never expire). */
    public LaneSettings withStagingLifetime(Duration lifetime) {
        return new LaneSettings(
                limits,
                firstPollDelay,
                maxPollDelay,
                pollBatchSize,
                tempDir,
                money,
                maxResubmitDepth,
                stuckAfter,
                completeGrace,
                admission,
                lifetime);
    }

    public LaneSettings {
        if (admission == null) {
            admission = AdmissionBudget.Settings.unlimited();
        }
        if (stagingLifetime != null && (stagingLifetime.isNegative() || stagingLifetime.isZero())) {
            throw new IllegalArgumentException(
                    "the staging lifetime must be positive (or absent: no expiry), not "
                            + stagingLifetime);
        }
        if (firstPollDelay.isNegative() || maxPollDelay.compareTo(firstPollDelay) < 0) {
            throw new IllegalArgumentException(
                    "poll delays must satisfy 0 <= first ("
                            + firstPollDelay
                            + ") <= max ("
                            + maxPollDelay
                            + ")");
        }
    }

    /** Growing intervals: first, 2×first, 4×first … capped at max. */
    public Duration pollDelay(int pollCount) {
        if (firstPollDelay.isZero()) {
            return Duration.ZERO;
        }
        int shift = Math.min(pollCount, 20);
        Duration grown = firstPollDelay.multipliedBy(1L << shift);
        return grown.compareTo(maxPollDelay) > 0 ? maxPollDelay : grown;
    }
}
