package dev.batchlane.functions.enqueue;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.core.lane.LaneNames;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * SQS messages of the intake queue and S3 ObjectCreated events under {@code queue/} → requests
 * checked and kept. Read as a tree because one function receives both kinds of event; the answer is
 * SQS's partial batch response, so only the messages that failed come back.
 */
@Named(LaneNames.HANDLER_ENQUEUE)
public class EnqueueHandler implements RequestHandler<JsonNode, SQSBatchResponse> {

    @Inject EnqueueEvents events;

    @Override
    public SQSBatchResponse handleRequest(JsonNode event, Context context) {
        return events.handle(event);
    }
}
