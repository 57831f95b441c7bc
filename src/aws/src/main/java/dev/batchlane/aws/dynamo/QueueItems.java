package dev.batchlane.aws.dynamo;

import static dev.batchlane.aws.dynamo.Attrs.n;
import static dev.batchlane.aws.dynamo.Attrs.num;
import static dev.batchlane.aws.dynamo.Attrs.putS;
import static dev.batchlane.aws.dynamo.Attrs.s;
import static dev.batchlane.aws.dynamo.Attrs.str;
import static dev.batchlane.aws.dynamo.TableSetup.PK;
import static dev.batchlane.aws.dynamo.TableSetup.SK;

import dev.batchlane.core.queue.Flush;
import dev.batchlane.core.queue.QueueGroup;
import dev.batchlane.core.queue.QueueName;
import dev.batchlane.core.queue.QueuedRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The queue lane's items in the lane's table, and their codec. Every item has its own {@code type},
 * which no stream filter passes (complete listens for {@code shard} and {@code job} only).
 *
 * <ul>
 *   <li>A request's id: ({@code QID#<queue>#<request id>}, {@code QID}), one partition per id, so
 *       intake's duplicate check spreads over the table.
 *   <li>A waiting request: ({@code QWAIT#<group id>}, {@link QueuedRequest#order()}), so one query
 *       reads a group's requests oldest first.
 *   <li>A group: ({@code QGROUPS}, {@code <group id>}): the group's fields, its counters, and its
 *       open flush while there is one. One partition for every group, read whole by a flush cycle.
 *   <li>A written, unanswered flush: ({@code QUNANSWERED}, opened-at millis {@code #} flush id),
 *       gone once answered, so answering reads only what is left to do, oldest first.
 * </ul>
 *
 * Instants are kept as ISO-8601 text (exact to the nanosecond), not milliseconds: a request's
 * {@code arrivedAt} read back must give the same {@link QueuedRequest#order()}, and a lease is
 * compared for equality in a condition.
 */
final class QueueItems {
    static final String TYPE = "type";
    static final String ID_SK = "QID";
    static final String GROUPS_PK = "QGROUPS";
    static final String UNANSWERED_PK = "QUNANSWERED";

    static final String FLUSH_ID = "flushId";
    static final String FLUSH_OPENED = "flushOpenedAt";
    static final String FLUSH_LEASE = "flushLeaseUntil";
    static final String REQUESTS = "requests";
    static final String BYTES = "bytes";
    static final String STATE = "state";
    static final String ANSWERED = "answered";

    /** DynamoDB's largest sort key, which a waiting entry's order (time and id) must fit. */
    private static final int MAX_SORT_KEY_BYTES = 1024;

    private QueueItems() {}

    static String idPk(QueueName queue, String requestId) {
        // A queue's id has no '#', so the id after the second '#' is the request's whole id.
        return "QID#" + queue.id() + "#" + requestId;
    }

    static String waitingPk(QueueGroup group) {
        return "QWAIT#" + group.id();
    }

    static String unansweredSk(Flush flush) {
        return String.format("%013d", flush.openedAt().toEpochMilli()) + "#" + flush.flushId();
    }

    static Map<String, AttributeValue> key(String pk, String sk) {
        return ItemKeys.key(pk, sk);
    }

    static Map<String, AttributeValue> groupKey(QueueGroup group) {
        return key(GROUPS_PK, group.id());
    }

    static AttributeValue time(Instant t) {
        return s(t.toString());
    }

    static Instant time(Map<String, AttributeValue> item, String name) {
        String v = str(item, name);
        return v == null ? null : Instant.parse(v);
    }

    static Map<String, AttributeValue> idItem(QueuedRequest r, Instant expiresAt) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put(PK, s(idPk(r.group().queue(), r.requestId())));
        m.put(SK, s(ID_SK));
        m.put(TYPE, s("queue-request"));
        m.put("queue", s(r.group().queue().id()));
        m.put("requestId", s(r.requestId()));
        m.put("groupId", s(r.group().id()));
        m.put("arrivedAt", time(r.arrivedAt()));
        m.put(ANSWERED, AttributeValue.fromBool(false));
        m.put(TableSetup.TTL, n(expiresAt.getEpochSecond()));
        return m;
    }

    static Map<String, AttributeValue> waitingItem(QueuedRequest r) {
        String order = r.order();
        if (order.getBytes(StandardCharsets.UTF_8).length > MAX_SORT_KEY_BYTES) {
            throw new IllegalArgumentException(
                    "queue "
                            + r.group().queue()
                            + ": request id '"
                            + r.requestId().substring(0, 40)
                            + "…' is too long to wait in the buffer (at most "
                            + (MAX_SORT_KEY_BYTES - 14)
                            + " bytes of UTF-8)");
        }
        Map<String, AttributeValue> m = new HashMap<>();
        m.put(PK, s(waitingPk(r.group())));
        m.put(SK, s(order));
        m.put(TYPE, s("queue-waiting"));
        m.put("requestId", s(r.requestId()));
        putS(m, "line", r.line());
        putS(m, "bodyKey", r.bodyKey());
        putS(m, "replyTo", r.replyTo());
        m.put("arrivedAt", time(r.arrivedAt()));
        m.put(BYTES, n(r.bytes()));
        m.put("inputTokens", n(r.inputTokens()));
        m.put("maxOutputTokens", n(r.maxOutputTokens()));
        return m;
    }

    static QueuedRequest waiting(QueueGroup group, Map<String, AttributeValue> m) {
        return new QueuedRequest(
                group,
                str(m, "requestId"),
                str(m, "line"),
                str(m, "bodyKey"),
                str(m, "replyTo"),
                time(m, "arrivedAt"),
                num(m, BYTES),
                num(m, "inputTokens"),
                num(m, "maxOutputTokens"));
    }

    /** The group's own fields, as attribute values a SET writes on every update of its item. */
    static Map<String, AttributeValue> groupFields(QueueGroup g) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put(":type", s("queue-group"));
        m.put(":provider", s(g.queue().provider()));
        m.put(":queueName", s(g.queue().name()));
        m.put(":model", g.model() == null ? AttributeValue.fromNul(true) : s(g.model()));
        m.put(":endpoint", g.endpoint() == null ? AttributeValue.fromNul(true) : s(g.endpoint()));
        Map<String, AttributeValue> meta = new HashMap<>();
        g.metadata().forEach((k, v) -> meta.put(k, s(v)));
        m.put(":metadata", AttributeValue.fromM(meta));
        return m;
    }

    static final String SET_GROUP_FIELDS =
            "#type = :type, provider = :provider, queueName = :queueName, model = :model,"
                    + " endpoint = :endpoint, metadata = :metadata";

    static QueueGroup group(Map<String, AttributeValue> m) {
        Map<String, String> meta = new HashMap<>();
        AttributeValue mv = m.get("metadata");
        if (mv != null && mv.hasM()) {
            mv.m().forEach((k, v) -> meta.put(k, v.s()));
        }
        return new QueueGroup(
                new QueueName(str(m, "provider"), str(m, "queueName")),
                str(m, "model"),
                str(m, "endpoint"),
                meta);
    }

    static Map<String, AttributeValue> unansweredItem(Flush f) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put(PK, s(UNANSWERED_PK));
        m.put(SK, s(unansweredSk(f)));
        m.put(TYPE, s("queue-flush"));
        m.put(STATE, s(Flush.State.WRITTEN.name()));
        m.put(FLUSH_ID, s(f.flushId()));
        m.put("groupId", s(f.group().id()));
        m.put("provider", s(f.group().queue().provider()));
        m.put("queueName", s(f.group().queue().name()));
        putS(m, "model", f.group().model());
        putS(m, "endpoint", f.group().endpoint());
        Map<String, AttributeValue> meta = new HashMap<>();
        f.group().metadata().forEach((k, v) -> meta.put(k, s(v)));
        m.put("metadata", AttributeValue.fromM(meta));
        m.put(FLUSH_OPENED, time(f.openedAt()));
        if (f.leaseUntil() != null) {
            m.put(FLUSH_LEASE, time(f.leaseUntil()));
        }
        putS(m, "jobId", f.jobId());
        m.put(REQUESTS, n(f.requests()));
        m.put(BYTES, n(f.bytes()));
        return m;
    }

    static Flush unanswered(Map<String, AttributeValue> m) {
        return new Flush(
                str(m, FLUSH_ID),
                group(m),
                Flush.State.valueOf(str(m, STATE)),
                time(m, FLUSH_OPENED),
                time(m, FLUSH_LEASE),
                str(m, "jobId"),
                num(m, REQUESTS),
                num(m, BYTES));
    }
}
