package dev.batchlane.aws.dynamo;

import dev.batchlane.core.queue.Flush;
import dev.batchlane.core.queue.GroupDepth;
import dev.batchlane.core.queue.QueueBuffer;
import dev.batchlane.core.queue.QueueGroup;
import dev.batchlane.core.queue.QueueName;
import dev.batchlane.core.queue.QueuedRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

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
 *
 * <p><b>Limits of the layout.</b> Every enqueue adds to its group's record, and every group's
 * record is in one partition: the lane's enqueue rate is bounded by what one item takes (about
 * 1,000 small writes a second), far above what a batch lane's queues receive. A group's record
 * stays when the group empties (groups are few: a model, an endpoint and a file's settings), and
 * each listing reads one page of one request per group.
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

    private final DynamoQueueWaiting waiting;
    private final DynamoQueueFlushes flushes;
    private final DynamoQueueIds ids;
    private final DynamoQueueSpend spend;

    public DynamoQueueBuffer(DynamoDbClient dynamo, String table, Clock clock) {
        this(dynamo, table, clock, WAITING_PAGE);
    }

    /** With smaller pages, so a test sees the paging without megabytes of requests. */
    DynamoQueueBuffer(DynamoDbClient dynamo, String table, Clock clock, int waitingPage) {
        QueueWrites writes = new QueueWrites(dynamo);
        this.waiting = new DynamoQueueWaiting(dynamo, table, writes, waitingPage);
        this.flushes = new DynamoQueueFlushes(dynamo, table, writes);
        this.ids = new DynamoQueueIds(dynamo, table, clock);
        this.spend = new DynamoQueueSpend(dynamo, table);
    }

    @Override
    public boolean enqueue(QueuedRequest request) {
        return waiting.enqueue(request);
    }

    @Override
    public List<GroupDepth> groups() {
        return waiting.groups();
    }

    @Override
    public Iterable<QueuedRequest> waiting(QueueGroup group, int limit) {
        return waiting.waiting(group, limit);
    }

    @Override
    public void removeWaiting(QueueGroup group, Collection<QueuedRequest> flushed) {
        waiting.removeWaiting(group, flushed);
    }

    @Override
    public Optional<Flush> openFlush(QueueGroup group) {
        return flushes.openFlush(group);
    }

    @Override
    public boolean claimFlush(Flush flush, Instant expectedLease) {
        return flushes.claimFlush(flush, expectedLease);
    }

    @Override
    public boolean flushWritten(Flush written) {
        return flushes.flushWritten(written);
    }

    @Override
    public List<Flush> unanswered(int limit) {
        return flushes.unanswered(limit);
    }

    @Override
    public boolean flushAnswered(Flush flush) {
        return flushes.flushAnswered(flush);
    }

    @Override
    public Set<String> answered(QueueName queue, Collection<String> requestIds) {
        return ids.answered(queue, requestIds);
    }

    @Override
    public void markAnswered(QueueName queue, Collection<String> requestIds, String jobId) {
        ids.markAnswered(queue, requestIds, jobId);
    }

    @Override
    public Optional<RequestRecord> request(QueueName queue, String requestId) {
        return ids.request(queue, requestId);
    }

    @Override
    public java.math.BigDecimal spent(QueueName queue, java.time.LocalDate day) {
        return spend.spent(queue, day);
    }

    @Override
    public void addSpent(QueueName queue, java.time.LocalDate day, java.math.BigDecimal usd) {
        spend.add(queue, day, usd);
    }
}
