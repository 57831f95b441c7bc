package dev.batchlane.aws.dynamo;

import static dev.batchlane.aws.dynamo.Attrs.s;
import static dev.batchlane.aws.dynamo.QueueItems.FLUSH_ID;
import static dev.batchlane.aws.dynamo.QueueItems.FLUSH_LEASE;
import static dev.batchlane.aws.dynamo.QueueItems.FLUSH_OPENED;
import static dev.batchlane.aws.dynamo.QueueItems.SET_GROUP_FIELDS;
import static dev.batchlane.aws.dynamo.QueueItems.STATE;
import static dev.batchlane.aws.dynamo.QueueItems.UNANSWERED_PK;
import static dev.batchlane.aws.dynamo.QueueItems.groupFields;
import static dev.batchlane.aws.dynamo.QueueItems.groupKey;
import static dev.batchlane.aws.dynamo.QueueItems.key;
import static dev.batchlane.aws.dynamo.QueueItems.time;

import dev.batchlane.core.queue.Flush;
import dev.batchlane.core.queue.QueueGroup;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.Update;

/**
 * Flushes: the open one on its group's record (one per group, taken over only at the lease read),
 * and written ones in the unanswered partition until answered.
 */
final class DynamoQueueFlushes {
    private final DynamoDbClient dynamo;
    private final String table;
    private final QueueWrites writes;

    DynamoQueueFlushes(DynamoDbClient dynamo, String table, QueueWrites writes) {
        this.dynamo = dynamo;
        this.table = table;
        this.writes = writes;
    }

    Optional<Flush> openFlush(QueueGroup group) {
        Map<String, AttributeValue> g =
                dynamo.getItem(b -> b.tableName(table).key(groupKey(group)).consistentRead(true))
                        .item();
        if (g == null || !g.containsKey(FLUSH_ID)) {
            return Optional.empty();
        }
        return Optional.of(
                new Flush(
                        g.get(FLUSH_ID).s(),
                        group,
                        Flush.State.OPEN,
                        time(g, FLUSH_OPENED),
                        time(g, FLUSH_LEASE),
                        null,
                        0,
                        0));
    }

    /**
     * The open flush lives on its group's record: a new one only where none is ({@code
     * attribute_not_exists(flushId)}), a takeover only of the same flush at the lease the caller
     * read ({@code flushId = :id AND flushLeaseUntil = :expected}).
     */
    boolean claimFlush(Flush flush, Instant expectedLease) {
        Map<String, AttributeValue> values = groupFields(flush.group());
        values.put(":id", s(flush.flushId()));
        values.put(":opened", time(flush.openedAt()));
        values.put(":lease", time(flush.leaseUntil()));
        String condition;
        if (expectedLease == null) {
            condition = "attribute_not_exists(#flushId)";
        } else {
            condition = "#flushId = :id AND #lease = :expected";
            values.put(":expected", time(expectedLease));
        }
        try {
            writes.retryingConflicts(
                    () ->
                            dynamo.updateItem(
                                    b ->
                                            b.tableName(table)
                                                    .key(groupKey(flush.group()))
                                                    .updateExpression(
                                                            "SET "
                                                                    + SET_GROUP_FIELDS
                                                                    + ", #flushId = :id,"
                                                                    + " #opened = :opened,"
                                                                    + " #lease = :lease")
                                                    .conditionExpression(condition)
                                                    .expressionAttributeNames(
                                                            Map.of(
                                                                    "#type",
                                                                    QueueItems.TYPE,
                                                                    "#flushId",
                                                                    FLUSH_ID,
                                                                    "#opened",
                                                                    FLUSH_OPENED,
                                                                    "#lease",
                                                                    FLUSH_LEASE))
                                                    .expressionAttributeValues(values)),
                    "queue " + flush.group().queue() + ": claiming flush " + flush.flushId());
            return true;
        } catch (ConditionalCheckFailedException heldElsewhere) {
            return false;
        }
    }

    /**
     * One transaction: the group's record lets go of the flush (only if it is this flush, still
     * open) and the flush joins the unanswered ones (only once).
     */
    boolean flushWritten(Flush written) {
        List<TransactWriteItem> items =
                List.of(
                        TransactWriteItem.builder()
                                .update(
                                        Update.builder()
                                                .tableName(table)
                                                .key(groupKey(written.group()))
                                                .updateExpression(
                                                        "REMOVE #flushId, #opened, #lease")
                                                .conditionExpression("#flushId = :id")
                                                .expressionAttributeNames(
                                                        Map.of(
                                                                "#flushId",
                                                                FLUSH_ID,
                                                                "#opened",
                                                                FLUSH_OPENED,
                                                                "#lease",
                                                                FLUSH_LEASE))
                                                .expressionAttributeValues(
                                                        Map.of(":id", s(written.flushId())))
                                                .build())
                                .build(),
                        TransactWriteItem.builder()
                                .put(
                                        Put.builder()
                                                .tableName(table)
                                                .item(QueueItems.unansweredItem(written))
                                                .conditionExpression("attribute_not_exists(pk)")
                                                .build())
                                .build());
        return writes.transact(
                items,
                "queue "
                        + written.group().queue()
                        + ": recording flush "
                        + written.flushId()
                        + " as written");
    }

    /** The unanswered partition holds written flushes only, sorted by when they were opened. */
    List<Flush> unanswered(int limit) {
        List<Flush> out = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        while (out.size() < limit) {
            QueryRequest.Builder q =
                    QueryRequest.builder()
                            .tableName(table)
                            .consistentRead(true)
                            .scanIndexForward(true)
                            .keyConditionExpression("pk = :pk")
                            .expressionAttributeValues(Map.of(":pk", s(UNANSWERED_PK)))
                            .limit(limit - out.size());
            if (start != null) {
                q.exclusiveStartKey(start);
            }
            QueryResponse page = dynamo.query(q.build());
            page.items().forEach(i -> out.add(QueueItems.unanswered(i)));
            start = DynamoQueueWaiting.nextStart(page);
            if (start == null) {
                break;
            }
        }
        return out;
    }

    /** WRITTEN → answered once: the flush's unanswered marker is deleted while it says WRITTEN. */
    boolean flushAnswered(Flush flush) {
        try {
            dynamo.deleteItem(
                    b ->
                            b.tableName(table)
                                    .key(key(UNANSWERED_PK, QueueItems.unansweredSk(flush)))
                                    .conditionExpression("#state = :written")
                                    .expressionAttributeNames(Map.of("#state", STATE))
                                    .expressionAttributeValues(
                                            Map.of(":written", s(Flush.State.WRITTEN.name()))));
            return true;
        } catch (ConditionalCheckFailedException notWritten) {
            return false;
        }
    }
}
