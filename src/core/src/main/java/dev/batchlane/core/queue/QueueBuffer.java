package dev.batchlane.core.queue;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The durable buffer between enqueue and flush, and the records of flushes and answers. Every
 * change is a conditional write, so a request delivered twice, two flushers, or a retried answer
 * step each do their work once.
 */
public interface QueueBuffer {

    /**
     * Keeps {@code request} unless its id is already known in its queue: the id's record and the
     * waiting entry are written together, or neither is.
     *
     * @return false when the id was already known (a duplicate delivery); nothing was written
     */
    boolean enqueue(QueuedRequest request);

    /** Every group with requests waiting, with its depth. */
    List<GroupDepth> groups();

    /** Up to {@code limit} waiting requests of {@code group}, oldest first, read page by page. */
    Iterable<QueuedRequest> waiting(QueueGroup group, int limit);

    /** Removes flushed requests from the waiting entries of their group (idempotent). */
    void removeWaiting(QueueGroup group, Collection<QueuedRequest> flushed);

    /** The group's open flush, if one is being written (or was, by a flusher that died). */
    Optional<Flush> openFlush(QueueGroup group);

    /**
     * Opens {@code flush} for its group, or takes over the group's open flush whose lease ended
     * ({@code expectedLease}: the lease the caller read; null to open a new one).
     *
     * @return false when another flusher holds the group
     */
    boolean claimFlush(Flush flush, Instant expectedLease);

    /**
     * The flush's file is written and its requests removed: records it as WRITTEN with its job and
     * frees the group for the next flush (conditional on the flush being OPEN).
     */
    boolean flushWritten(Flush written);

    /** Written flushes whose requests are not all answered yet, oldest first. */
    List<Flush> unanswered(int limit);

    /** The flush's every request is answered (conditional on WRITTEN). */
    boolean flushAnswered(Flush flush);

    /** Of {@code requestIds} in {@code queue}, those already answered. */
    Set<String> answered(QueueName queue, Collection<String> requestIds);

    /** Records each request of {@code queue} as answered by {@code jobId} (null: rejected). */
    void markAnswered(QueueName queue, Collection<String> requestIds, String jobId);

    /** What the flushes of {@code queue} were projected to cost on {@code day} (UTC), so far. */
    java.math.BigDecimal spent(QueueName queue, java.time.LocalDate day);

    /** Adds a written flush's projected cost to its queue's day. */
    void addSpent(QueueName queue, java.time.LocalDate day, java.math.BigDecimal usd);

    /** What the buffer knows of one request, for a lookup by queue and id. */
    Optional<RequestRecord> request(QueueName queue, String requestId);

    /** A request's record: when it arrived, whether it is answered, and by which job. */
    record RequestRecord(
            QueueName queue, String requestId, Instant arrivedAt, boolean answered, String jobId) {}
}
