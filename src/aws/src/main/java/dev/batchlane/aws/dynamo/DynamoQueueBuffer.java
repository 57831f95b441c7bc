package dev.batchlane.aws.dynamo;

import static dev.batchlane.aws.dynamo.Attrs.n;
import static dev.batchlane.aws.dynamo.Attrs.num;
import static dev.batchlane.aws.dynamo.Attrs.s;
import static dev.batchlane.aws.dynamo.QueueItems.ANSWERED;
import static dev.batchlane.aws.dynamo.QueueItems.BYTES;
import static dev.batchlane.aws.dynamo.QueueItems.FLUSH_ID;
import static dev.batchlane.aws.dynamo.QueueItems.FLUSH_LEASE;
import static dev.batchlane.aws.dynamo.QueueItems.FLUSH_OPENED;
import static dev.batchlane.aws.dynamo.QueueItems.GROUPS_PK;
import static dev.batchlane.aws.dynamo.QueueItems.ID_SK;
import static dev.batchlane.aws.dynamo.QueueItems.REQUESTS;
import static dev.batchlane.aws.dynamo.QueueItems.SET_GROUP_FIELDS;
import static dev.batchlane.aws.dynamo.QueueItems.STATE;
import static dev.batchlane.aws.dynamo.QueueItems.UNANSWERED_PK;
import static dev.batchlane.aws.dynamo.QueueItems.groupFields;
import static dev.batchlane.aws.dynamo.QueueItems.groupKey;
import static dev.batchlane.aws.dynamo.QueueItems.idPk;
import static dev.batchlane.aws.dynamo.QueueItems.key;
import static dev.batchlane.aws.dynamo.QueueItems.time;

import dev.batchlane.core.queue.Flush;
import dev.batchlane.core.queue.GroupDepth;
import dev.batchlane.core.queue.QueueBuffer;
import dev.batchlane.core.queue.QueueGroup;
import dev.batchlane.core.queue.QueueName;
import dev.batchlane.core.queue.QueuedRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.TransactionConflictException;
import software.amazon.awssdk.services.dynamodb.model.Update;

/**
 * The queue lane's {@link QueueBuffer} in the lane's one table (items and keys: {@link
 * QueueItems}); no index and no scan. Every state change is a conditional write.
 *
 * <p><b>Truth and counters.</b> A request is kept by one transaction: its id record (only if the id
 * is new in its queue) and its waiting entry. The group's counters ({@code requests}, {@code
 * bytes}) are added after it in a separate update, so concurrent requests of one group do not
 * conflict in their transactions over one hot item. A crash between the two leaves the counters
 * short; a removal's decrement can be lost the same way. The waiting entries are the truth: the
 * depth a flusher reads is a hint for "full", the oldest entry (read, not counted) decides "due",
 * and when {@link #groups()} finds a group with nothing waiting it resets the counters to zero
 * (conditioned on the values it read). A crash before the group's record was first written would
 * leave its entries unlisted; the delivery that is retried after such a crash is a duplicate, and a
 * duplicate writes the group's record again (counting nothing), so the group is listed.
 *
 * <p><b>How long ids are known.</b> An id record carries the table's TTL: 90 days after arrival
 * when written (so an id never answered, e.g. of a queue since removed, still leaves), replaced by
 * 30 days after its answer when answered. Within that window a repeated delivery is a duplicate and
 * a look-up by id finds the request; after it, the id is unknown again. Waiting entries, groups and
 * unanswered flushes have no TTL: they are work not yet done.
 */
public final class DynamoQueueBuffer implements QueueBuffer {
    static final Duration ID_RETENTION_UNANSWERED = Duration.ofDays(90);
    static final Duration ID_RETENTION_ANSWERED = Duration.ofDays(30);

    /** BatchGetItem's most keys per call. */
    static final int BATCH_GET_KEYS = 100;

    /**
     * Waiting requests read per query: a page stops at 1 MB anyway (four requests of 256 KB), and a
     * flush that stops early has not read much past what it took.
     */
    static final int WAITING_PAGE = 100;

    private static final int CONFLICT_ATTEMPTS = 6;

    private final DynamoDbClient dynamo;
    private final String table;
    private final Clock clock;
    private final int waitingPage;

    public DynamoQueueBuffer(DynamoDbClient dynamo, String table, Clock clock) {
        this(dynamo, table, clock, WAITING_PAGE);
    }

    /** With smaller pages, so a test sees the paging without megabytes of requests. */
    DynamoQueueBuffer(DynamoDbClient dynamo, String table, Clock clock, int waitingPage) {
        this.dynamo = dynamo;
        this.table = table;
        this.clock = clock;
        this.waitingPage = waitingPage;
    }

    // ---- intake ----

    @Override
    public boolean enqueue(QueuedRequest request) {
        Instant expires = request.arrivedAt().plus(ID_RETENTION_UNANSWERED);
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
                transact(
                        items,
                        "queue "
                                + request.group().queue()
                                + ": keeping request "
                                + request.requestId());
        // A duplicate counts nothing, but writes the group's record in case the first delivery
        // died between its transaction and this update (see the class comment).
        count(request.group(), kept ? 1 : 0, kept ? request.bytes() : 0);
        return kept;
    }

    /**
     * Runs a transaction; retries conflicts with concurrent transactions a few times, with a short
     * growing wait.
     *
     * @return false when an item's condition failed and nothing else did (someone else acted;
     *     nothing was written)
     */
    private boolean transact(List<TransactWriteItem> items, String what) {
        for (int attempt = 1; ; attempt++) {
            try {
                dynamo.transactWriteItems(b -> b.transactItems(items));
                return true;
            } catch (TransactionCanceledException e) {
                List<CancellationReason> reasons =
                        e.hasCancellationReasons() ? e.cancellationReasons() : List.of();
                Set<String> codes = new HashSet<>();
                reasons.forEach(r -> codes.add(r.code() == null ? "None" : r.code()));
                codes.remove("None");
                if (codes.equals(Set.of("ConditionalCheckFailed"))) {
                    return false;
                }
                if (!codes.contains("TransactionConflict") || attempt >= CONFLICT_ATTEMPTS) {
                    throw new IllegalStateException(
                            what + " failed (transaction cancelled: " + codes(reasons) + ")", e);
                }
                backOff(attempt, what);
            }
        }
    }

    private static String codes(List<CancellationReason> reasons) {
        return reasons.stream().map(CancellationReason::code).toList().toString();
    }

    /**
     * Single writes to an item a transaction holds fail with a conflict rather than wait; the group
     * record is such an item (counters beside a flush's transaction), so those writes retry too.
     */
    private <T> T retryingConflicts(Supplier<T> write, String what) {
        for (int attempt = 1; ; attempt++) {
            try {
                return write.get();
            } catch (TransactionConflictException e) {
                if (attempt >= CONFLICT_ATTEMPTS) {
                    throw new IllegalStateException(
                            what + " kept conflicting with other transactions", e);
                }
                backOff(attempt, what);
            }
        }
    }

    private static void backOff(int attempt, String what) {
        try {
            Thread.sleep(Math.min(500L, 10L << attempt));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + ": interrupted while retrying", e);
        }
    }

    /** Adds to the group's counters, writing the group's fields (creating its record if new). */
    private void count(QueueGroup group, long requests, long bytes) {
        Map<String, AttributeValue> values = groupFields(group);
        values.put(":r", n(requests));
        values.put(":b", n(bytes));
        retryingConflicts(
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

    // ---- groups and waiting requests ----

    @Override
    public List<GroupDepth> groups() {
        List<GroupDepth> out = new ArrayList<>();
        for (Map<String, AttributeValue> g : queryAll(GROUPS_PK)) {
            QueueGroup group = QueueItems.group(g);
            Iterator<QueuedRequest> first = waiting(group, 1).iterator();
            Instant oldest = first.hasNext() ? first.next().arrivedAt() : null;
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
            // Counters lag, never lead by design; a lost increment then a decrement can make one
            // negative until the group empties, which no depth reports.
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
            retryingConflicts(
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

    private static Map<String, AttributeValue> nextStart(QueryResponse page) {
        return page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty()
                ? page.lastEvaluatedKey()
                : null;
    }

    @Override
    public Iterable<QueuedRequest> waiting(QueueGroup group, int limit) {
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

        @Override
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

        @Override
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
     * second flusher) then subtracts nothing. A BatchWriteItem would be faster but cannot say which
     * of its deletes found an item, so it would subtract twice; correct wins over fast here. The
     * decrement goes every 100 deletes, so a crash loses at most that much of it (see the class
     * comment on lagging counters).
     */
    @Override
    public void removeWaiting(QueueGroup group, Collection<QueuedRequest> flushed) {
        long requests = 0;
        long bytes = 0;
        for (QueuedRequest r : flushed) {
            Map<String, AttributeValue> gone =
                    dynamo.deleteItem(
                                    b ->
                                            b.tableName(table)
                                                    .key(
                                                            key(
                                                                    QueueItems.waitingPk(group),
                                                                    r.order()))
                                                    .returnValues(ReturnValue.ALL_OLD))
                            .attributes();
            if (gone != null && !gone.isEmpty()) {
                requests++;
                bytes += num(gone, BYTES);
            }
            if (requests >= 100) {
                count(group, -requests, -bytes);
                requests = 0;
                bytes = 0;
            }
        }
        if (requests > 0) {
            count(group, -requests, -bytes);
        }
    }

    // ---- flushes ----

    @Override
    public Optional<Flush> openFlush(QueueGroup group) {
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
    @Override
    public boolean claimFlush(Flush flush, Instant expectedLease) {
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
            retryingConflicts(
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
    @Override
    public boolean flushWritten(Flush written) {
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
        return transact(
                items,
                "queue "
                        + written.group().queue()
                        + ": recording flush "
                        + written.flushId()
                        + " as written");
    }

    /** The unanswered partition holds written flushes only, sorted by when they were opened. */
    @Override
    public List<Flush> unanswered(int limit) {
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
            start = nextStart(page);
            if (start == null) {
                break;
            }
        }
        return out;
    }

    /** WRITTEN → answered once: the flush's unanswered marker is deleted while it says WRITTEN. */
    @Override
    public boolean flushAnswered(Flush flush) {
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

    // ---- answers ----

    @Override
    public Set<String> answered(QueueName queue, Collection<String> requestIds) {
        List<String> ids = List.copyOf(new java.util.LinkedHashSet<>(requestIds));
        Set<String> out = new HashSet<>();
        for (int from = 0; from < ids.size(); from += BATCH_GET_KEYS) {
            List<Map<String, AttributeValue>> keys = new ArrayList<>();
            for (String id : ids.subList(from, Math.min(ids.size(), from + BATCH_GET_KEYS))) {
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
                    backOff(attempt, "queue " + queue + ": reading answered ids");
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
    @Override
    public void markAnswered(QueueName queue, Collection<String> requestIds, String jobId) {
        Instant now = clock.instant();
        for (String id : requestIds) {
            Map<String, AttributeValue> values = new HashMap<>();
            values.put(":type", s("queue-request"));
            values.put(":queue", s(queue.id()));
            values.put(":id", s(id));
            values.put(":true", AttributeValue.fromBool(true));
            values.put(":now", time(now));
            values.put(":expires", n(now.plus(ID_RETENTION_ANSWERED).getEpochSecond()));
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

    @Override
    public Optional<RequestRecord> request(QueueName queue, String requestId) {
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
                new RequestRecord(
                        queue,
                        requestId,
                        time(item, "arrivedAt"),
                        a != null && Boolean.TRUE.equals(a.bool()),
                        item.get("jobId") == null ? null : item.get("jobId").s()));
    }
}
