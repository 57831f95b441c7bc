package dev.batchlane.core.job;

import java.time.Duration;
import java.time.Instant;

/**
 * How long a shard has waited for the provider's queue: {@code since} is when the current wait
 * began (null while it is not waiting), {@code waited} what earlier waits added up to, and {@code
 * times} how often it was held back. A shard held back by the admission budget, a refused creation
 * or a batch the provider failed for its queue limit waits; the manifest reports it.
 */
public record QueueWait(Instant since, Duration waited, int times, String reason) {
    public static final QueueWait NONE = new QueueWait(null, Duration.ZERO, 0, null);

    public QueueWait {
        if (waited == null) {
            waited = Duration.ZERO;
        }
    }

    /** Held back (again) at {@code now}: a wait already running keeps its start. */
    public QueueWait heldBack(Instant now, String why) {
        return new QueueWait(since == null ? now : since, waited, times + 1, why);
    }

    /** The wait ends at {@code now}: its length is added to the total. */
    public QueueWait ended(Instant now) {
        if (since == null) {
            return this;
        }
        Duration more = Duration.between(since, now);
        return new QueueWait(
                null, waited.plus(more.isNegative() ? Duration.ZERO : more), times, reason);
    }

    /** The whole wait so far, counting a running one up to {@code now}. */
    public Duration total(Instant now) {
        return since == null ? waited : ended(now).waited();
    }
}
