package dev.batchlane.functions.poll;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.Context;
import dev.batchlane.core.lane.Deadline;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The poll handler's cut-off, read from Lambda's context (no Quarkus needed). */
class PollDeadlineTest {
    private static final Clock CLOCK =
            Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC);

    /** A context that answers only the remaining time. */
    private static Context remaining(long millis) {
        return (Context)
                Proxy.newProxyInstance(
                        Context.class.getClassLoader(),
                        new Class<?>[] {Context.class},
                        (proxy, method, args) -> {
                            if (method.getName().equals("getRemainingTimeInMillis")) {
                                return (int) millis;
                            }
                            throw new UnsupportedOperationException(method.getName());
                        });
    }

    @Test
    void lambdasRemainingTime_isTheDeadline() {
        assertThat(PollHandler.deadline(remaining(270_000), CLOCK))
                .isEqualTo(Deadline.in(CLOCK, Duration.ofSeconds(270)));
    }

    @Test
    void noContext_orATimeLambdaCouldNotHaveGiven_isNoDeadline() {
        assertThat(PollHandler.deadline(null, CLOCK)).isEqualTo(Deadline.none());
        assertThat(PollHandler.deadline(remaining(0), CLOCK)).isEqualTo(Deadline.none());
        assertThat(PollHandler.deadline(remaining(-5), CLOCK)).isEqualTo(Deadline.none());
        // Quarkus's mock event server sends no deadline header: the context then reports an
        // arbitrary number.
        assertThat(PollHandler.deadline(remaining(1_500_000_000), CLOCK))
                .isEqualTo(Deadline.none());
    }
}
