package dev.batchlane.core.queue;

import java.time.Instant;

/**
 * One flush of a group: the requests it took become one file under {@code inbox/}, hence one job.
 * Its record is written before anything else, so a flusher that dies leaves a flush the next one
 * finishes (same id, same file) rather than a second file with the same requests.
 *
 * @param leaseUntil until when the flusher that opened (or took over) the flush works on it alone;
 *     after it, poll takes it over
 * @param jobId the job the flush's file became, once written (null before)
 * @param requests how many requests the file holds, once written
 */
public record Flush(
        String flushId,
        QueueGroup group,
        State state,
        Instant openedAt,
        Instant leaseUntil,
        String jobId,
        long requests,
        long bytes) {

    public enum State {
        /** Opened: requests are being chosen and written. */
        OPEN,
        /** Its file is in the inbox and its requests left the buffer; answers are not all sent. */
        WRITTEN,
        /** Every request of the flush was answered. */
        ANSWERED
    }

    public static Flush open(String flushId, QueueGroup group, Instant now, Instant leaseUntil) {
        return new Flush(flushId, group, State.OPEN, now, leaseUntil, null, 0, 0);
    }

    public Flush written(String jobId, long requests, long bytes) {
        return new Flush(
                flushId, group, State.WRITTEN, openedAt, leaseUntil, jobId, requests, bytes);
    }

    public Flush leasedUntil(Instant until) {
        return new Flush(flushId, group, state, openedAt, until, jobId, requests, bytes);
    }
}
