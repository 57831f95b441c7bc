package dev.batchlane.core.lane;

import dev.batchlane.core.provider.Usage;
import java.math.BigDecimal;

/**
 * Tells whoever cares that a job finished (the functions put a {@code Batchlane Job Completed}
 * event on EventBridge). Complete claims the right to send with a conditional write, so overlapping
 * invocations send it once; a claim whose holder died is taken over after a lease, and a crash
 * after the send but before the job is marked completed sends it again then. Delivery is therefore
 * at least once, almost always exactly once; consumers dedupe on {@code jobId}.
 */
public interface JobEvents {
    JobEvents NONE = event -> {};

    void jobCompleted(JobCompleted event);

    /** {@code batchUsd}/{@code syncUsd} are null when the model has no price. */
    record JobCompleted(
            String jobId,
            String provider,
            String model,
            String bucket,
            String manifestKey,
            long requests,
            long succeeded,
            long failed,
            long expired,
            long cancelled,
            long missing,
            Usage usage,
            BigDecimal batchUsd,
            BigDecimal syncUsd) {}
}
