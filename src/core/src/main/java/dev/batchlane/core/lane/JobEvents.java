package dev.batchlane.core.lane;

import dev.batchlane.core.provider.Usage;
import java.math.BigDecimal;

/**
 * Tells whoever cares that a job finished (the functions put a {@code Batchlane Job Completed}
 * event on EventBridge). Delivery is at least once: the event goes out before the job is marked
 * completed, so a crash in between sends it again on the retry; consumers key on {@code jobId}.
 */
public interface JobEvents {
    JobEvents NONE = event -> {};

    void jobCompleted(JobCompleted event);

    /** {@code batchUsd}/{@code syncUsd} are null when the model has no price. */
    record JobCompleted(String jobId, String provider, String model, String bucket, String manifestKey,
            long requests, long succeeded, long failed, long expired, long cancelled, long missing, Usage usage,
            BigDecimal batchUsd, BigDecimal syncUsd) {}
}
