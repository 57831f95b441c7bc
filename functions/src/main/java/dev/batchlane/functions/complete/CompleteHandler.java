package dev.batchlane.functions.complete;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.core.complete.CompleteService;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import java.util.ArrayList;
import java.util.List;

/**
 * The table's stream → complete each shard that has just reached ENDED, and finish each job whose
 * finish was asked for. The event is read as a tree: only the keys and the status in the old and
 * new images matter.
 */
@Named(dev.batchlane.core.lane.LaneNames.HANDLER_COMPLETE)
public class CompleteHandler implements RequestHandler<JsonNode, List<CompleteService.Completion>> {

    @Inject CompleteService complete;

    @Override
    public List<CompleteService.Completion> handleRequest(JsonNode event, Context context) {
        List<CompleteService.Completion> results = new ArrayList<>();
        for (ShardEnded ended : ShardEnded.from(event)) {
            results.add(
                    ended.index() < 0
                            ? complete.finish(ended.jobId())
                            : complete.complete(ended.jobId(), ended.index()));
        }
        return results;
    }
}
