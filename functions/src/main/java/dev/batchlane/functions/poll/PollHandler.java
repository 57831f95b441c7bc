package dev.batchlane.functions.poll;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.core.poll.PollService;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * The EventBridge schedule → one poll cycle. The event's content does not matter: what is due is
 * in the table. It is read as a tree because the library's ScheduledEvent needs Joda-Time.
 */
@Named("poll")
public class PollHandler implements RequestHandler<JsonNode, PollService.Summary> {

    @Inject
    PollService poll;

    @Override
    public PollService.Summary handleRequest(JsonNode scheduledEvent, Context context) {
        return poll.pollDue();
    }
}
