package dev.batchlane.functions.complete;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.aws.dynamo.DynamoJobStore;
import java.util.ArrayList;
import java.util.List;

/**
 * A stream record of a shard whose status became ENDED, or of a running job on which a finish was
 * asked for ({@code index} -1; see {@code JobStore#requestFinish}). The deployed event-source
 * mapping filters on the same conditions; checking them here too keeps a mis-wired trigger
 * harmless.
 */
record ShardEnded(String jobId, int index) {

    /**
     * The job attribute whose appearance asks for a finish; the deployment's filter names the same
     * one.
     */
    static final String FINISH_REQUESTED = DynamoJobStore.FINISH_REQUESTED;

    static List<ShardEnded> from(JsonNode event) {
        List<ShardEnded> ended = new ArrayList<>();
        for (JsonNode record : event.path("Records")) {
            JsonNode ddb = record.path("dynamodb");
            JsonNode next = ddb.path("NewImage");
            if ("job".equals(next.path("type").path("S").asText())
                    && "RUNNING".equals(next.path("status").path("S").asText())
                    && next.has(FINISH_REQUESTED)
                    && !ddb.path("OldImage").has(FINISH_REQUESTED)) {
                ended.add(new ShardEnded(next.path("jobId").path("S").asText(), -1));
                continue;
            }
            if (!"shard".equals(next.path("type").path("S").asText())
                    || !"ENDED".equals(next.path("status").path("S").asText())
                    || "ENDED".equals(ddb.path("OldImage").path("status").path("S").asText())) {
                continue;
            }
            ended.add(
                    new ShardEnded(
                            next.path("jobId").path("S").asText(),
                            Integer.parseInt(next.path("shardIndex").path("N").asText())));
        }
        return ended;
    }
}
