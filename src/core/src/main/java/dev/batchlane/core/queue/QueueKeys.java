package dev.batchlane.core.queue;

import dev.batchlane.core.lane.LaneNames;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Where the queue lane keeps things in the bucket. */
public final class QueueKeys {
    private QueueKeys() {}

    /** The queue a drop under {@code queue/<provider>/<queue>/<name>} is for. */
    public static Optional<QueueName> queueOfDrop(String key) {
        if (!key.startsWith(LaneNames.PREFIX_QUEUE)) {
            return Optional.empty();
        }
        String[] parts = key.substring(LaneNames.PREFIX_QUEUE.length()).split("/", 3);
        if (parts.length < 3 || parts[2].isEmpty() || parts[2].endsWith("/")) {
            return Optional.empty();
        }
        try {
            return Optional.of(new QueueName(parts[0], parts[1]));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The file a flush drops: an ordinary inbox drop, so it becomes an ordinary job. */
    public static String inbox(Flush flush) {
        QueueName q = flush.group().queue();
        return LaneNames.PREFIX_INBOX
                + q.provider()
                + "/"
                + LaneNames.INBOX_QUEUED
                + q.name()
                + "/"
                + flush.flushId()
                + LaneNames.INBOX_SUFFIX;
    }

    /** What a flush took: one line per request, with where its answer goes. */
    public static String flushRecord(Flush flush) {
        QueueName q = flush.group().queue();
        return LaneNames.PREFIX_QUEUE_FLUSHES
                + q.provider()
                + "/"
                + q.name()
                + "/"
                + flush.flushId()
                + ".jsonl";
    }

    /** One request's answer, readable by queue and id. */
    public static String answer(QueueName queue, String requestId) {
        return LaneNames.PREFIX_ANSWERS
                + queue.provider()
                + "/"
                + queue.name()
                + "/"
                + encode(requestId)
                + ".json";
    }

    /**
     * A request too big for the table, kept until its flush is written. Each delivery writes its
     * own object (the key ends in a random part), so a duplicate delivery can remove what it wrote
     * without touching what the waiting request will run.
     */
    public static String body(QueueName queue, String requestId) {
        return LaneNames.PREFIX_QUEUE_BODIES
                + queue.provider()
                + "/"
                + queue.name()
                + "/"
                + encode(requestId)
                + "-"
                + java.util.UUID.randomUUID()
                + ".json";
    }

    /** An id as one safe path segment: ids are the application's own strings. */
    static String encode(String requestId) {
        return URLEncoder.encode(requestId, StandardCharsets.UTF_8).replace("*", "%2A");
    }
}
