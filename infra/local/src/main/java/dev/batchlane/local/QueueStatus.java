package dev.batchlane.local;

import dev.batchlane.core.queue.GroupDepth;
import dev.batchlane.core.queue.QueueName;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The queue lane's buffer as the CLI shows it: per queue, its depth and its oldest wait. */
record QueueStatus(QueueName queue, long requests, Instant oldest) {

    /** The groups of each queue added up (a queue holds a group per model and endpoint). */
    static List<QueueStatus> of(List<GroupDepth> groups) {
        Map<String, QueueStatus> byQueue = new TreeMap<>();
        for (GroupDepth g : groups) {
            QueueName q = g.group().queue();
            QueueStatus before = byQueue.get(q.id());
            long requests = g.requests() + (before == null ? 0 : before.requests());
            Instant oldest = before == null ? g.oldest() : earlier(before.oldest(), g.oldest());
            byQueue.put(q.id(), new QueueStatus(q, requests, oldest));
        }
        return new ArrayList<>(byQueue.values());
    }

    private static Instant earlier(Instant a, Instant b) {
        return a == null ? b : b == null ? a : a.isBefore(b) ? a : b;
    }

    /** {@code openai/tickets 37 waiting, the oldest for 12 s}. */
    String line(Instant now) {
        return queue
                + "  "
                + requests
                + " waiting"
                + (oldest == null
                        ? ""
                        : ", the oldest for "
                                + Math.max(0, Duration.between(oldest, now).toSeconds())
                                + " s");
    }

    /** Every queue with requests waiting, on one line; empty when none waits. */
    static String describe(List<GroupDepth> groups, Instant now) {
        List<String> parts = new ArrayList<>();
        for (QueueStatus s : of(groups)) {
            if (s.requests() > 0) {
                parts.add(s.line(now));
            }
        }
        return String.join("; ", parts);
    }
}
