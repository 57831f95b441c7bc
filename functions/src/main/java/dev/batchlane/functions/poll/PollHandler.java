package dev.batchlane.functions.poll;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.core.lane.Deadline;
import dev.batchlane.core.poll.PollService;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import java.time.Clock;
import java.time.Duration;

/**
 * The EventBridge schedule → one poll cycle within the invocation's remaining time. The event's
 * content does not matter: what is due is in the table. It is read as a tree because the library's
 * ScheduledEvent needs Joda-Time.
 */
@Named(dev.batchlane.core.lane.LaneNames.HANDLER_POLL)
public class PollHandler implements RequestHandler<JsonNode, PollService.Summary> {

    @Inject PollService poll;

    @Inject Clock clock;

    @Override
    public PollService.Summary handleRequest(JsonNode scheduledEvent, Context context) {
        return poll.pollDue(deadline(context, clock));
    }

    /** Lambda's longest timeout: a remaining time above it did not come from Lambda. */
    static final Duration LAMBDA_MAX_TIMEOUT = Duration.ofMinutes(15);

    /**
     * Lambda's cut-off. None when there is no context (a direct call) or its remaining time is not
     * a Lambda one: Quarkus's context computes it from the runtime's deadline header, which its
     * mock event server does not send, giving an arbitrary number outside (0, 15 min].
     */
    static Deadline deadline(Context context, Clock clock) {
        if (context == null) {
            return Deadline.none();
        }
        long remaining = context.getRemainingTimeInMillis();
        if (remaining <= 0 || remaining > LAMBDA_MAX_TIMEOUT.toMillis()) {
            return Deadline.none();
        }
        return Deadline.in(clock, Duration.ofMillis(remaining));
    }
}
