package dev.batchlane.core.queue;

import dev.batchlane.core.lane.Deadline;
import java.lang.System.Logger.Level;
import java.util.List;

/**
 * The queue's share of each poll cycle: flush the groups that are due, then answer the flushes
 * whose jobs ended. A failure here is logged and left for the next cycle; it never stops poll's
 * work on shards.
 */
public final class QueueService {
    private static final System.Logger LOG = System.getLogger(QueueService.class.getName());

    private final QueueFlusher flusher;
    private final QueueAnswers answers;

    public QueueService(QueueFlusher flusher, QueueAnswers answers) {
        this.flusher = flusher;
        this.answers = answers;
    }

    /** What one cycle did: flushes written, the requests they took, answers sent. */
    public record Cycle(int flushes, long requestsFlushed, long answersSent) {}

    public Cycle run(Deadline deadline) {
        int flushes = 0;
        long flushed = 0;
        long sent = 0;
        try {
            List<Flush> written = flusher.flushDue(deadline);
            flushes = (int) written.stream().filter(f -> f.requests() > 0).count();
            flushed = written.stream().mapToLong(Flush::requests).sum();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "queue: flushing failed; the next cycle tries again", e);
        }
        try {
            sent = answers.answerEnded(deadline);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "queue: answering failed; the next cycle tries again", e);
        }
        Cycle cycle = new Cycle(flushes, flushed, sent);
        if (flushes > 0 || sent > 0) {
            LOG.log(Level.INFO, "queue: {0}", cycle);
        }
        return cycle;
    }
}
