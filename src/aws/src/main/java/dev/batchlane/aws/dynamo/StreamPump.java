package dev.batchlane.aws.dynamo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamDescription;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * Plays Lambda's part for a table stream where there is no Lambda: reads the table's DynamoDB
 * stream (DynamoDB Local has one) and turns each batch of records into the JSON event Lambda
 * delivers to a stream-triggered function. Used by tests and the local stack.
 */
public final class StreamPump {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DynamoDbStreamsClient streams;
    private final String streamArn;
    private final String region;
    private final Map<String, String> iterators = new HashMap<>();
    private final Set<String> finished = new HashSet<>();

    public StreamPump(
            DynamoDbClient dynamo, DynamoDbStreamsClient streams, String table, String region) {
        this.streams = streams;
        this.region = region;
        this.streamArn = dynamo.describeTable(b -> b.tableName(table)).table().latestStreamArn();
        if (streamArn == null) {
            throw new IllegalStateException(
                    "table " + table + " has no stream; create it with TableSetup");
        }
    }

    /**
     * Reads every record available now, from where the previous call stopped, and returns them as
     * Lambda DynamoDB-stream events of at most {@code batchSize} records each, in stream order.
     */
    public synchronized List<String> drain(int batchSize) {
        List<Record> records = new ArrayList<>();
        StreamDescription d =
                streams.describeStream(b -> b.streamArn(streamArn)).streamDescription();
        for (var shard : d.shards()) {
            String id = shard.shardId();
            if (finished.contains(id)) {
                continue;
            }
            String it =
                    iterators.computeIfAbsent(
                            id,
                            s ->
                                    streams.getShardIterator(
                                                    b ->
                                                            b.streamArn(streamArn)
                                                                    .shardId(s)
                                                                    .shardIteratorType(
                                                                            ShardIteratorType
                                                                                    .TRIM_HORIZON))
                                            .shardIterator());
            while (it != null) {
                GetRecordsResponse r = streams.getRecords(b -> b.shardIterator(iterators.get(id)));
                records.addAll(r.records());
                it = r.nextShardIterator();
                if (it == null) {
                    finished.add(id);
                    iterators.remove(id);
                    break;
                }
                iterators.put(id, it);
                if (r.records().isEmpty()) {
                    break;
                }
            }
        }
        List<String> events = new ArrayList<>();
        for (int from = 0; from < records.size(); from += batchSize) {
            events.add(event(records.subList(from, Math.min(records.size(), from + batchSize))));
        }
        return events;
    }

    private String event(List<Record> records) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode list = root.putArray("Records");
        for (Record r : records) {
            ObjectNode e = list.addObject();
            e.put("eventID", r.eventID());
            e.put("eventName", r.eventNameAsString());
            e.put("eventVersion", r.eventVersion());
            e.put("eventSource", "aws:dynamodb");
            e.put("awsRegion", region);
            ObjectNode ddb = e.putObject("dynamodb");
            if (r.dynamodb().approximateCreationDateTime() != null) {
                ddb.put(
                        "ApproximateCreationDateTime",
                        r.dynamodb().approximateCreationDateTime().getEpochSecond());
            }
            ddb.set("Keys", image(r.dynamodb().keys()));
            if (r.dynamodb().hasNewImage()) {
                ddb.set("NewImage", image(r.dynamodb().newImage()));
            }
            if (r.dynamodb().hasOldImage()) {
                ddb.set("OldImage", image(r.dynamodb().oldImage()));
            }
            ddb.put("SequenceNumber", r.dynamodb().sequenceNumber());
            ddb.put("SizeBytes", r.dynamodb().sizeBytes());
            ddb.put("StreamViewType", r.dynamodb().streamViewTypeAsString());
            e.put("eventSourceARN", streamArn);
        }
        return root.toString();
    }

    private static ObjectNode image(Map<String, AttributeValue> item) {
        ObjectNode node = JSON.createObjectNode();
        item.forEach((k, v) -> node.set(k, value(v)));
        return node;
    }

    private static ObjectNode value(AttributeValue v) {
        ObjectNode n = JSON.createObjectNode();
        if (v.s() != null) {
            n.put("S", v.s());
        } else if (v.n() != null) {
            n.put("N", v.n());
        } else if (v.bool() != null) {
            n.put("BOOL", v.bool());
        } else if (Boolean.TRUE.equals(v.nul())) {
            n.put("NULL", true);
        } else if (v.hasM()) {
            n.set("M", image(v.m()));
        } else if (v.hasL()) {
            ArrayNode a = n.putArray("L");
            v.l().forEach(x -> a.add(value(x)));
        } else if (v.hasSs()) {
            ArrayNode a = n.putArray("SS");
            v.ss().forEach(a::add);
        } else if (v.hasNs()) {
            ArrayNode a = n.putArray("NS");
            v.ns().forEach(a::add);
        }
        return n;
    }
}
