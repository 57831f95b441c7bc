package dev.batchlane.aws.dynamo;

import static dev.batchlane.aws.dynamo.Attrs.n;
import static dev.batchlane.aws.dynamo.Attrs.s;
import static dev.batchlane.aws.dynamo.QueueItems.ANSWERED;
import static dev.batchlane.aws.dynamo.QueueItems.ID_SK;
import static dev.batchlane.aws.dynamo.QueueItems.idPk;
import static dev.batchlane.aws.dynamo.QueueItems.key;
import static dev.batchlane.aws.dynamo.QueueItems.time;

import dev.batchlane.core.queue.QueueBuffer;
import dev.batchlane.core.queue.QueueName;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;

/** Requests' id records: whether each is answered, by which job, and when it arrived. */
final class DynamoQueueIds {
    private final DynamoDbClient dynamo;
    private final String table;
    private final Clock clock;

    DynamoQueueIds(DynamoDbClient dynamo, String table, Clock clock) {
        this.dynamo = dynamo;
        this.table = table;
        this.clock = clock;
    }

    Set<String> answered(QueueName queue, Collection<String> requestIds) {
        List<String> ids = List.copyOf(new java.util.LinkedHashSet<>(requestIds));
        Set<String> out = new HashSet<>();
        for (int from = 0; from < ids.size(); from += DynamoQueueBuffer.BATCH_GET_KEYS) {
            List<Map<String, AttributeValue>> keys = new ArrayList<>();
            for (String id :
                    ids.subList(
                            from, Math.min(ids.size(), from + DynamoQueueBuffer.BATCH_GET_KEYS))) {
                keys.add(key(idPk(queue, id), ID_SK));
            }
            Map<String, KeysAndAttributes> request =
                    Map.of(
                            table,
                            KeysAndAttributes.builder()
                                    .keys(keys)
                                    .consistentRead(true)
                                    .projectionExpression("requestId, answered")
                                    .build());
            for (int attempt = 1; !request.isEmpty(); attempt++) {
                Map<String, KeysAndAttributes> ask = request;
                BatchGetItemResponse got = dynamo.batchGetItem(b -> b.requestItems(ask));
                for (Map<String, AttributeValue> item :
                        got.responses().getOrDefault(table, List.of())) {
                    AttributeValue a = item.get(ANSWERED);
                    if (a != null && Boolean.TRUE.equals(a.bool())) {
                        out.add(item.get("requestId").s());
                    }
                }
                request = got.hasUnprocessedKeys() ? got.unprocessedKeys() : Map.of();
                if (!request.isEmpty()) {
                    if (attempt >= 8) {
                        throw new IllegalStateException(
                                "queue "
                                        + queue
                                        + ": DynamoDB left ids unread after "
                                        + attempt
                                        + " batch reads (throttled)");
                    }
                    QueueWrites.backOff(attempt, "queue " + queue + ": reading answered ids");
                }
            }
        }
        return out;
    }

    /**
     * One update per id (BatchWriteItem can only replace whole items, which would lose the
     * arrival). The first answer stays: a second one (an answer step repeated after dying) changes
     * nothing. An id whose record already left (TTL) gets one again, so it stays answered.
     */
    void markAnswered(QueueName queue, Collection<String> requestIds, String jobId) {
        Instant now = clock.instant();
        for (String id : requestIds) {
            Map<String, AttributeValue> values = new HashMap<>();
            values.put(":type", s("queue-request"));
            values.put(":queue", s(queue.id()));
            values.put(":id", s(id));
            values.put(":true", AttributeValue.fromBool(true));
            values.put(":now", time(now));
            values.put(
                    ":expires",
                    n(now.plus(DynamoQueueBuffer.ID_RETENTION_ANSWERED).getEpochSecond()));
            String set =
                    "SET #type = :type, queue = :queue, requestId = :id, answered = :true,"
                            + " answeredAt = :now, #ttl = :expires";
            if (jobId != null) {
                values.put(":job", s(jobId));
                set += ", jobId = :job";
            }
            String update = set;
            try {
                dynamo.updateItem(
                        b ->
                                b.tableName(table)
                                        .key(key(idPk(queue, id), ID_SK))
                                        .updateExpression(update)
                                        .conditionExpression("attribute_not_exists(answeredAt)")
                                        .expressionAttributeNames(
                                                Map.of(
                                                        "#type",
                                                        QueueItems.TYPE,
                                                        "#ttl",
                                                        TableSetup.TTL))
                                        .expressionAttributeValues(values));
            } catch (ConditionalCheckFailedException answeredBefore) {
                // the first answer's record stays
            }
        }
    }

    Optional<QueueBuffer.RequestRecord> request(QueueName queue, String requestId) {
        Map<String, AttributeValue> item =
                dynamo.getItem(
                                b ->
                                        b.tableName(table)
                                                .key(key(idPk(queue, requestId), ID_SK))
                                                .consistentRead(true))
                        .item();
        if (item == null || item.isEmpty()) {
            return Optional.empty();
        }
        AttributeValue a = item.get(ANSWERED);
        return Optional.of(
                new QueueBuffer.RequestRecord(
                        queue,
                        requestId,
                        time(item, "arrivedAt"),
                        a != null && Boolean.TRUE.equals(a.bool()),
                        item.get("jobId") == null ? null : item.get("jobId").s()));
    }
}
