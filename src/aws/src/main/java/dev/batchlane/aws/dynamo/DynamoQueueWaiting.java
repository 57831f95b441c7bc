package dev.batchlane.aws.dynamo;

import static dev.batchlane.aws.dynamo.Attrs.n;
import static dev.batchlane.aws.dynamo.Attrs.num;
import static dev.batchlane.aws.dynamo.Attrs.s;
import static dev.batchlane.aws.dynamo.QueueItems.BYTES;
import static dev.batchlane.aws.dynamo.QueueItems.FLUSH_ID;
import static dev.batchlane.aws.dynamo.QueueItems.GROUPS_PK;
import static dev.batchlane.aws.dynamo.QueueItems.REQUESTS;
import static dev.batchlane.aws.dynamo.QueueItems.SET_GROUP_FIELDS;
import static dev.batchlane.aws.dynamo.QueueItems.groupFields;
import static dev.batchlane.aws.dynamo.QueueItems.groupKey;
import static dev.batchlane.aws.dynamo.QueueItems.key;

import dev.batchlane.core.queue.GroupDepth;
import dev.batchlane.core.queue.QueueGroup;
import dev.batchlane.core.queue.QueuedRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/**
 * Waiting requests and their groups: intake's transaction, the group records with their counters,
 * the pages a flush reads, and the removal of what a flush took (see {@link DynamoQueueBuffer} for
 * why the counters may lag and how they are set right).
 */
final class DynamoQueueWaiting {
    static final int DELETES_IN_FLIGHT = 8;
    static final int DELETES_PER_COUNT = 100;

    private final DynamoDbClient dynamo;
    private final String table;
    private final QueueWrites writes;
    private final int waitingPage;

    DynamoQueueWaiting(DynamoDbClient dynamo, String table, QueueWrites writes, int waitingPage) {
        this.dynamo = dynamo;
        this.table = table;
        this.writes = writes;
        this.waitingPage = waitingPage;
    }

    boolean enqueue(QueuedRequest request) {
        Instant expires = request.arrivedAt().plus(DynamoQueueBuffer.ID_RETENTION_UNANSWERED);
        List<TransactWriteItem> items =
                List.of(
                        TransactWriteItem.builder()
                                .put(
                                        Put.builder()
                                                .tableName(table)
                                                .item(QueueItems.idItem(request, expires))
                                                .conditionExpression("attribute_not_exists(pk)")
                                                .build())
                                .build(),
                        TransactWriteItem.builder()
                                .put(
                                        Put.builder()
                                                .tableName(table)
                                                .item(QueueItems.waitingItem(request))
                                                .build())
                                .build());
        boolean kept =
                writes.transact(
                        items,
                        "queue "
                                + request.group().queue()
                                + ": keeping request "
                                + request.requestId());
        // A duplicate counts nothing, but writes the group's record in case the first delivery
        // died between its transaction and this update (see DynamoQueueBuffer).
        count(request.group(), kept ? 1 : 0, kept ? request.bytes() : 0);
        return kept;
    }

    /** Adds to the group's counters, writing the group's fields (creating its record if new). */
    private void count(QueueGroup group, long requests, long bytes) {
        Map<String, AttributeValue> values = groupFields(group);
        values.put(":r", n(requests));
        values.put(":b", n(bytes));
        writes.retryingConflicts(
                () ->
                        dynamo.updateItem(
                                b ->
                                        b.tableName(table)
                                                .key(groupKey(group))
                                                .updateExpression(
                                                        "SET "
                                                                + SET_GROUP_FIELDS
                                                                + " ADD #requests :r, #bytes :b")
                                                .expressionAttributeNames(
                                                        Map.of(
                                                                "#type",
                                                                QueueItems.TYPE,
                                                                "#requests",
                                                                REQUESTS,
                                                                "#bytes",
                                                                BYTES))
                                                .expressionAttributeValues(values)),
                "queue " + group.queue() + ": counting group " + group.id());
    }

    List<GroupDepth> groups() {
        List<GroupDepth> out = new ArrayList<>();
        for (Map<String, AttributeValue> g : queryAll(GROUPS_PK)) {
            QueueGroup group = QueueItems.group(g);
            Instant oldest = oldest(group);
            long requests = num(g, REQUESTS);
            long bytes = num(g, BYTES);
            if (oldest == null && (requests != 0 || bytes != 0)) {
                resetCounters(group, g);
                requests = 0;
                bytes = 0;
            }
            if (oldest == null && !g.containsKey(FLUSH_ID)) {
                continue;
            }
            // A lost increment followed by its decrement can leave a counter below zero until the
            // group empties; no depth reports less than nothing.
            out.add(new GroupDepth(group, Math.max(0, requests), Math.max(0, bytes), oldest));
        }
        return out;
    }

    /**
     * Nothing waits: the counters are set back to zero, unless they changed since they were read (a
     * request arrived meanwhile, whose entry the read may have missed).
     */
    private void resetCounters(QueueGroup group, Map<String, AttributeValue> read) {
        try {
            writes.retryingConflicts(
                    () ->
                            dynamo.updateItem(
                                    b ->
                                            b.tableName(table)
                                                    .key(groupKey(group))
                                                    .updateExpression(
                                                            "SET #requests = :zero, #bytes = :zero")
                                                    .conditionExpression(
                                                            "#requests = :r AND #bytes = :b")
                                                    .expressionAttributeNames(
                                                            Map.of(
                                                                    "#requests",
                                                                    REQUESTS,
                                                                    "#bytes",
                                                                    BYTES))
                                                    .expressionAttributeValues(
                                                            Map.of(
                                                                    ":zero",
                                                                    n(0),
                                                                    ":r",
                                                                    n(num(read, REQUESTS)),
                                                                    ":b",
                                                                    n(num(read, BYTES))))),
                    "queue " + group.queue() + ": resetting the counters of " + group.id());
        } catch (ConditionalCheckFailedException changedMeanwhile) {
            // the next cycle looks again
        }
    }

    /**
     * When the group's oldest waiting request arrived: its first entry, of which only the arrival
     * comes back (the line can be 256 KB).
     */
    private Instant oldest(QueueGroup group) {
        QueryResponse r =
                dynamo.query(
                        q ->
                                q.tableName(table)
                                        .consistentRead(true)
                                        .scanIndexForward(true)
                                        .keyConditionExpression("pk = :pk")
                                        .expressionAttributeValues(
                                                Map.of(":pk", s(QueueItems.waitingPk(group))))
                                        .projectionExpression("arrivedAt")
                                        .limit(1));
        return r.items().isEmpty() ? null : QueueItems.time(r.items().get(0), "arrivedAt");
    }

    /** Every item of one partition, page by page, read consistently. */
    private List<Map<String, AttributeValue>> queryAll(String pk) {
        List<Map<String, AttributeValue>> items = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            QueryRequest.Builder q =
                    QueryRequest.builder()
                            .tableName(table)
                            .consistentRead(true)
                            .keyConditionExpression("pk = :pk")
                            .expressionAttributeValues(Map.of(":pk", s(pk)));
            if (start != null) {
                q.exclusiveStartKey(start);
            }
            QueryResponse page = dynamo.query(q.build());
            items.addAll(page.items());
            start = nextStart(page);
        } while (start != null);
        return items;
    }

    static Map<String, AttributeValue> nextStart(QueryResponse page) {
        return page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty()
                ? page.lastEvaluatedKey()
                : null;
    }

    Iterable<QueuedRequest> waiting(QueueGroup group, int limit) {
        return () -> new WaitingPages(group, limit);
    }

    /**
     * A group's waiting entries, oldest first, one query page at a time as the caller reads: a
     * flush of 50,000 requests of up to 256 KB each never holds them all.
     */
    private final class WaitingPages implements Iterator<QueuedRequest> {
        private final QueueGroup group;
        private int left;
        private Iterator<Map<String, AttributeValue>> page =
                List.<Map<String, AttributeValue>>of().iterator();
        private Map<String, AttributeValue> start;
        private boolean last;

        WaitingPages(QueueGroup group, int limit) {
            this.group = group;
            this.left = Math.max(0, limit);
        }

        public boolean hasNext() {
            while (left > 0 && !page.hasNext() && !last) {
                QueryRequest.Builder q =
                        QueryRequest.builder()
                                .tableName(table)
                                .consistentRead(true)
                                .scanIndexForward(true)
                                .keyConditionExpression("pk = :pk")
                                .expressionAttributeValues(
                                        Map.of(":pk", s(QueueItems.waitingPk(group))))
                                .limit(Math.min(left, waitingPage));
                if (start != null) {
                    q.exclusiveStartKey(start);
                }
                QueryResponse r = dynamo.query(q.build());
                page = r.items().iterator();
                start = nextStart(r);
                last = start == null;
            }
            return left > 0 && page.hasNext();
        }

        public QueuedRequest next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            left--;
            return QueueItems.waiting(group, page.next());
        }
    }

    /**
     * Deletes the entries one by one, each returning what it deleted, and takes from the counters
     * only what was still there: a second removal of the same requests (a flush finished by a
     * second flusher) then subtracts nothing. A BatchWriteItem would save calls but cannot say
     * which of its deletes found an item, so it would subtract twice; correct wins over fewer calls
     * here. The single deletes go {@value #DELETES_IN_FLIGHT} at a time, so a flush of 50,000
     * requests is not 50,000 round trips in a row; the decrement goes after every {@value
     * #DELETES_PER_COUNT}, so a crash loses at most that much of it (see {@link DynamoQueueBuffer}
     * on lagging counters).
     */
    void removeWaiting(QueueGroup group, Collection<QueuedRequest> flushed) {
        List<QueuedRequest> all = List.copyOf(flushed);
        if (all.isEmpty()) {
            return;
        }
        ExecutorService deleters =
                Executors.newFixedThreadPool(
                        Math.min(DELETES_IN_FLIGHT, all.size()),
                        r -> {
                            Thread t = new Thread(r, "queue-remove-waiting");
                            t.setDaemon(true);
                            return t;
                        });
        try {
            for (int from = 0; from < all.size(); from += DELETES_PER_COUNT) {
                List<Future<Map<String, AttributeValue>>> deletes = new ArrayList<>();
                for (QueuedRequest r :
                        all.subList(from, Math.min(all.size(), from + DELETES_PER_COUNT))) {
                    deletes.add(deleters.submit(() -> deleteWaiting(group, r)));
                }
                long requests = 0;
                long bytes = 0;
                RuntimeException failed = null;
                for (Future<Map<String, AttributeValue>> d : deletes) {
                    try {
                        Map<String, AttributeValue> gone = d.get();
                        if (gone != null && !gone.isEmpty()) {
                            requests++;
                            bytes += num(gone, BYTES);
                        }
                    } catch (ExecutionException e) {
                        failed =
                                e.getCause() instanceof RuntimeException re
                                        ? re
                                        : new IllegalStateException(e.getCause());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        failed =
                                new IllegalStateException(
                                        "queue "
                                                + group.queue()
                                                + ": interrupted while removing flushed requests",
                                        e);
                    }
                }
                // What was deleted is counted off even when a delete beside it failed.
                if (requests > 0) {
                    count(group, -requests, -bytes);
                }
                if (failed != null) {
                    throw failed;
                }
            }
        } finally {
            deleters.shutdownNow();
        }
    }

    private Map<String, AttributeValue> deleteWaiting(QueueGroup group, QueuedRequest r) {
        return dynamo.deleteItem(
                        b ->
                                b.tableName(table)
                                        .key(key(QueueItems.waitingPk(group), r.order()))
                                        .returnValues(ReturnValue.ALL_OLD))
                .attributes();
    }
}
