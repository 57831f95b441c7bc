package dev.batchlane.core.queue;

import java.time.Instant;

/**
 * One accepted request waiting in the buffer: its line exactly as the application sent it (or, when
 * too big to keep inline, the key of the object that holds it), where its answer goes, and what the
 * flush needs to decide sizes.
 *
 * @param replyTo the SQS queue URL the answer is sent to; null: the answer is an event
 * @param bodyKey null when {@code line} holds the request; else the object holding it
 * @param order a per-group sort position: arrival, then id, so the oldest flush first
 */
public record QueuedRequest(
        QueueGroup group,
        String requestId,
        String line,
        String bodyKey,
        String replyTo,
        Instant arrivedAt,
        long bytes,
        long inputTokens,
        long maxOutputTokens) {

    /** The buffer's sort key within the group: arrival to the millisecond, then the id. */
    public String order() {
        return String.format("%013d", arrivedAt.toEpochMilli()) + "#" + requestId;
    }
}
