package dev.batchlane.core.lane;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Whether an input file already at the provider can still be named in a create. Providers delete
 * uploaded files after a while (Gemini after 48 hours; OpenAI after the expiry the lane asks for),
 * and a shard can wait longer than that in the queue. A file is spent a tenth of its lifetime
 * before the provider deletes it, so the batch made from it is created, and has read it, well
 * before it goes.
 */
final class UploadLifetime {
    private UploadLifetime() {}

    /**
     * True when the file uploaded at {@code uploadedAt} should be uploaded again at {@code now}. A
     * file whose upload time is unknown (recorded before the lane kept it) or that lives until
     * deleted is never spent.
     */
    static boolean spent(Instant uploadedAt, Optional<Duration> lifetime, Instant now) {
        if (uploadedAt == null || lifetime.isEmpty()) {
            return false;
        }
        Duration usable = lifetime.get().minus(lifetime.get().dividedBy(10));
        return !now.isBefore(uploadedAt.plus(usable));
    }
}
