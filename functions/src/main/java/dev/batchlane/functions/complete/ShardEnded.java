package dev.batchlane.functions.complete;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A stream record of a shard whose status became ENDED. The deployed event-source mapping filters
 * on the same condition; checking it here too keeps a mis-wired trigger harmless.
 */
record ShardEnded(String jobId, int index) {

    static List<ShardEnded> from(JsonNode event) {
        List<ShardEnded> ended = new ArrayList<>();
        for (JsonNode record : event.path("Records")) {
            JsonNode ddb = record.path("dynamodb");
            JsonNode next = ddb.path("NewImage");
            if (!"shard".equals(next.path("type").path("S").asText())
                    || !"ENDED".equals(next.path("status").path("S").asText())
                    || "ENDED".equals(ddb.path("OldImage").path("status").path("S").asText())) {
                continue;
            }
            ended.add(new ShardEnded(next.path("jobId").path("S").asText(),
                    Integer.parseInt(next.path("shardIndex").path("N").asText())));
        }
        return ended;
    }
}
