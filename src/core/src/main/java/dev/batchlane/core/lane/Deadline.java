package dev.batchlane.core.lane;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The instant an invocation is cut off (Lambda's timeout), so a loop can stop claiming new work
 * while there is still time to finish what it holds. Time is read from the caller's clock, so tests
 * move it by hand.
 */
public record Deadline(Instant at) {

    /** No limit: tests and tools that run a step to its end. */
    public static Deadline none() {
        return new Deadline(Instant.MAX);
    }

    /** {@code remaining} from now on {@code clock}, as Lambda's context reports it. */
    public static Deadline in(Clock clock, Duration remaining) {
        return new Deadline(clock.instant().plus(remaining));
    }

    /** Whether work that needs {@code margin} to finish may still start. */
    public boolean allows(Clock clock, Duration margin) {
        return at.equals(Instant.MAX) || clock.instant().plus(margin).isBefore(at);
    }

    /** Time left, never negative. */
    public Duration remaining(Clock clock) {
        if (at.equals(Instant.MAX)) {
            return Duration.ofSeconds(Long.MAX_VALUE);
        }
        Duration left = Duration.between(clock.instant(), at);
        return left.isNegative() ? Duration.ZERO : left;
    }
}
