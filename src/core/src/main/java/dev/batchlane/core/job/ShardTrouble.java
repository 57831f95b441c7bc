package dev.batchlane.core.job;

import java.time.Instant;

/**
 * What poll found wrong with one shard, stored on the shard's own item.
 *
 * @param failures consecutive poll cycles that failed on this shard (0 when the trouble is a
 *     condition, such as a batch running too long, rather than an error)
 * @param lastError the last such failure, named by its type and message (no request text)
 * @param stuck why the shard is stuck, when it is: it needs a person or a re-drive; null when it
 *     only failed and will be tried again
 * @param since when the trouble was first seen
 */
public record ShardTrouble(int failures, String lastError, String stuck, Instant since) {

    /** Consecutive failures after which a failing shard counts as stuck. */
    public static final int STUCK_AFTER_FAILURES = 3;

    /** One more failure on top of {@code previous} (which may be null). */
    public static ShardTrouble failed(ShardTrouble previous, String error, Instant now) {
        int n = previous == null ? 1 : previous.failures() + 1;
        Instant since = previous == null ? now : previous.since();
        String stuck = previous == null ? null : previous.stuck();
        if (stuck == null && n >= STUCK_AFTER_FAILURES) {
            stuck = "poll failed " + n + " times in a row; last: " + error;
        }
        return new ShardTrouble(n, error, stuck, since);
    }

    /**
     * One more submission held back on top of {@code previous} (which may be null): a creating call
     * without a clear answer, or a staged read that failed. Counted like poll's failures, and stuck
     * after as many.
     */
    public static ShardTrouble heldBack(ShardTrouble previous, String why, Instant now) {
        int n = previous == null ? 1 : previous.failures() + 1;
        Instant since = previous == null ? now : previous.since();
        String stuck = previous == null ? null : previous.stuck();
        if (stuck == null && n >= STUCK_AFTER_FAILURES) {
            stuck = "submission held back " + n + " times in a row; last: " + why;
        }
        return new ShardTrouble(n, why, stuck, since);
    }

    /** A stuck condition on top of {@code previous} (which may be null), keeping when it began. */
    public static ShardTrouble stuck(ShardTrouble previous, String reason, Instant now) {
        return previous == null
                ? new ShardTrouble(0, null, reason, now)
                : new ShardTrouble(
                        previous.failures(), previous.lastError(), reason, previous.since());
    }

    public boolean isStuck() {
        return stuck != null;
    }
}
