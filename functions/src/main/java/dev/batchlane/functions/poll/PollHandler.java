package dev.batchlane.functions.poll;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.core.lane.Deadline;
import dev.batchlane.core.poll.PollService;
import dev.batchlane.core.queue.QueueService;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import java.time.Clock;
import java.time.Duration;

/**
 * The EventBridge schedule → one poll cycle within the invocation's remaining time: the due shards,
 * then the queue lane's share (flushes due, answers of ended flushes). The event's content does not
 * matter: what is due is in the table. It is read as a tree because the library's ScheduledEvent
 * needs Joda-Time.
 */
@Named(dev.batchlane.core.lane.LaneNames.HANDLER_POLL)
public class PollHandler implements RequestHandler<JsonNode, PollHandler.Cycle> {

    @Inject PollService poll;

    @Inject QueueService queue;

    @Inject Clock clock;

    /** What one invocation did: the shards it followed and the queue lane's share. */
    public record Cycle(PollService.Summary shards, QueueService.Cycle queue) {}

    @Override
    public Cycle handleRequest(JsonNode scheduledEvent, Context context) {
        Deadline deadline = deadline(context, clock);
        // Each half runs whatever the other did: a provider outage that fails the shards' half
        // must not stop requests from being flushed or answered, and the reverse. The shards'
        // failure is rethrown afterwards so the function's error alarm still sees it.
        RuntimeException shardsFailed = null;
        PollService.Summary shards = null;
        try {
            shards = poll.pollDue(deadline);
        } catch (RuntimeException e) {
            shardsFailed = e;
        }
        QueueService.Cycle queued = queue.run(deadline);
        if (shardsFailed != null) {
            throw shardsFailed;
        }
        return new Cycle(shards, queued);
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
