package dev.batchlane.core.job;

import java.time.Instant;
import java.util.Objects;

/**
 * A creating call at the provider (an upload, a batch creation) that was started for a shard and
 * whose answer was not seen: it may have taken effect. It is written before the call and cleared
 * once its outcome is known, so whoever takes the shard next looks for what the call made before
 * making anything again. {@code at} is when the call was started, by this lane's clock.
 */
public record CreationAttempt(Step step, Instant at) {

    public enum Step {
        /** Uploading the shard's input file (providers that take a file). */
        UPLOAD,
        /** Creating the batch, from the recorded input file or inline. */
        CREATE
    }

    public CreationAttempt {
        Objects.requireNonNull(step, "step");
        Objects.requireNonNull(at, "at");
    }
}
