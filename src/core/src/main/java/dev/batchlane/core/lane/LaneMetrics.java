package dev.batchlane.core.lane;

import dev.batchlane.core.provider.Usage;
import java.math.BigDecimal;

/**
 * What the lane counts, for dashboards and alarms. The core says what happened; an adapter decides
 * how it is published (the functions write CloudWatch embedded-metric-format lines). Every method
 * has a no-op default so a caller that needs no metrics passes {@link #NONE}.
 */
public interface LaneMetrics {
    LaneMetrics NONE = new LaneMetrics() {};

    default void jobAccepted(String provider, long requests) {}

    default void jobRejected(String provider) {}

    default void requestsSubmitted(String provider, long requests) {}

    /**
     * A batch reached a terminal provider status; {@code failed} and {@code expired} feed alarms.
     */
    default void batchEnded(String provider, boolean failed, boolean expired) {}

    /**
     * One shard's requests joined: their outcomes, the tokens billed and the cost at batch price.
     */
    default void requestsFinished(
            String provider, long succeeded, long failed, Usage usage, BigDecimal costUsd) {}

    /** A shard stopped moving (see PollService): counted so an alarm can page someone. */
    default void shardStuck(String provider) {}

    /** An ingest attempt failed (Lambda retries it; the failures that remain feed an alarm). */
    default void ingestFailed() {}

    /**
     * One poll cycle ran; {@code oldestInFlightSeconds} is the age of the oldest submitted batch it
     * saw (0 if none).
     */
    default void pollCycle(long durationMillis, long oldestInFlightSeconds) {}

    /** One request arrived in {@code queue}: kept, a duplicate dropped, or refused at once. */
    default void requestEnqueued(String queue, boolean accepted, boolean duplicate) {}

    /** What waits in {@code queue}, once per poll cycle. */
    default void queueDepth(
            String queue, long requests, long oldestAgeSeconds, long waitPercentOfMax) {}

    /** One flush of {@code queue} became a job. */
    default void queueFlushed(String queue, long requests, long bytes) {}

    /** Answers sent for requests of {@code queue}. */
    default void answersSent(String queue, long answers) {}
}
