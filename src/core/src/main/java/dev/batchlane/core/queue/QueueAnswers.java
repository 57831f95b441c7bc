package dev.batchlane.core.queue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.core.ingest.LineReader;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.lane.Deadline;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneNames;
import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Answers the requests of flushes whose job has ended, one answer per request: each joined line of
 * the job's results goes to its request's reply queue or out as an event (and is kept under {@code
 * answers/}); a flush whose file was rejected answers each of its requests with the rule. Requests
 * already answered (recorded per request) are skipped, so a repeated step sends nothing twice
 * except what it sent just before dying.
 */
public final class QueueAnswers {
    private static final System.Logger LOG = System.getLogger(QueueAnswers.class.getName());

    /** Answers kept and sent per step: SQS sends ten per call, the table reads a hundred. */
    static final int CHUNK = 100;

    private static final int MAX_RESULT_LINE = 64 * 1024 * 1024;

    static final int UNANSWERED_PER_CYCLE = 1000;

    private final QueueBuffer buffer;
    private final ObjectStore objects;
    private final JobStore store;
    private final AnswerDelivery delivery;
    private final QueueFlusher records;
    private final Clock clock;
    private final LaneMetrics metrics;

    public QueueAnswers(
            QueueBuffer buffer,
            ObjectStore objects,
            JobStore store,
            AnswerDelivery delivery,
            QueueFlusher records,
            Clock clock,
            LaneMetrics metrics) {
        this.buffer = buffer;
        this.objects = objects;
        this.store = store;
        this.delivery = delivery;
        this.records = records;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** Answers every flush whose job ended, while {@code deadline} allows; returns answers sent. */
    public long answerEnded(Deadline deadline) {
        long sent = 0;
        // Enough that flushes whose jobs still run (read and skipped) never hide ended ones.
        for (Flush flush : buffer.unanswered(UNANSWERED_PER_CYCLE)) {
            if (!deadline.allows(clock, Duration.ofMinutes(1))) {
                break;
            }
            if (flush.jobId() == null) {
                buffer.flushAnswered(flush); // an empty flush: nothing to answer
                continue;
            }
            Optional<Job> job = store.job(flush.jobId());
            if (job.isEmpty()
                    || job.get().status() == JobStatus.INGESTING
                    || job.get().status() == JobStatus.RUNNING) {
                continue;
            }
            sent += answer(flush, job.get());
        }
        return sent;
    }

    private long answer(Flush flush, Job job) {
        QueueName queue = flush.group().queue();
        Map<String, String> replyTo = new LinkedHashMap<>();
        records.readRecord(
                flush,
                QueueKeys.flushRecord(flush),
                false,
                (r, line) -> replyTo.put(r.requestId(), r.replyTo()));
        // Every request of the flush, kept before the answered ones leave replyTo, so the check
        // at the end needs no second read of the record.
        List<String> requestIds = List.copyOf(replyTo.keySet());
        long sent = 0;
        List<AnswerDelivery.Pending> chunk = new ArrayList<>();
        if (job.status() == JobStatus.COMPLETED) {
            for (String part : parts(job.jobId())) {
                try (InputStream in = objects.open(part)) {
                    LineReader reader = new LineReader(in, MAX_RESULT_LINE);
                    LineReader.Line l;
                    while ((l = reader.next()) != null) {
                        if (l.blank()) {
                            continue;
                        }
                        String text = new String(l.bytes(), 0, l.length(), StandardCharsets.UTF_8);
                        JsonNode id = AnswerDelivery.JSON.readTree(text).get("custom_id");
                        if (id == null || !replyTo.containsKey(id.asText())) {
                            continue;
                        }
                        chunk.add(
                                new AnswerDelivery.Pending(
                                        queue, id.asText(), replyTo.remove(id.asText()), text));
                        if (chunk.size() >= CHUNK) {
                            sent += deliver(queue, job.jobId(), chunk);
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(
                            "queue " + queue + ": reading " + part + " failed", e);
                }
            }
        }
        // Requests with no line left: a rejected flush's, or (never expected) a line the results
        // lack; each is answered with the reason rather than left waiting.
        Map<String, JsonNode> violations =
                job.status() == JobStatus.REJECTED ? rejections(job) : Map.of();
        JsonNode fileLevel = violations.get("");
        for (Map.Entry<String, String> left : replyTo.entrySet()) {
            JsonNode v = violations.getOrDefault(left.getKey(), fileLevel);
            String code =
                    job.status() == JobStatus.REJECTED
                            ? v == null ? "flush_rejected" : v.path("code").asText()
                            : "missing_result";
            String message =
                    job.status() == JobStatus.REJECTED
                            ? "the batch this request joined (job "
                                    + job.jobId()
                                    + ") was rejected"
                                    + (v == null ? "" : ": " + v.path("message").asText())
                            : "job " + job.jobId() + " ended without a line for this request";
            chunk.add(
                    new AnswerDelivery.Pending(
                            queue,
                            left.getKey(),
                            left.getValue(),
                            AnswerDelivery.refusal(left.getKey(), queue.id(), code, message)));
            if (chunk.size() >= CHUNK) {
                sent += deliver(queue, job.jobId(), chunk);
            }
        }
        sent += deliver(queue, job.jobId(), chunk);
        Set<String> unsent = unsentOf(queue, requestIds);
        if (unsent.isEmpty()) {
            buffer.flushAnswered(flush);
        } else {
            LOG.log(
                    Level.WARNING,
                    "queue {0}: {1} answers of flush {2} could not be sent; trying next cycle",
                    queue,
                    unsent.size(),
                    flush.flushId());
        }
        return sent;
    }

    /** Of {@code ids}, those not recorded as answered. */
    private Set<String> unsentOf(QueueName queue, List<String> ids) {
        Set<String> left = new java.util.HashSet<>();
        for (int i = 0; i < ids.size(); i += CHUNK) {
            List<String> some = ids.subList(i, Math.min(ids.size(), i + CHUNK));
            Set<String> done = buffer.answered(queue, some);
            for (String id : some) {
                if (!done.contains(id)) {
                    left.add(id);
                }
            }
        }
        return left;
    }

    private long deliver(QueueName queue, String jobId, List<AnswerDelivery.Pending> chunk) {
        if (chunk.isEmpty()) {
            return 0;
        }
        Set<String> done =
                buffer.answered(
                        queue, chunk.stream().map(AnswerDelivery.Pending::requestId).toList());
        List<AnswerDelivery.Pending> todo =
                chunk.stream().filter(p -> !done.contains(p.requestId())).toList();
        chunk.clear();
        if (todo.isEmpty()) {
            return 0;
        }
        List<String> sent = delivery.deliver(todo);
        buffer.markAnswered(queue, sent, jobId);
        metrics.answersSent(queue.id(), sent.size());
        return sent.size();
    }

    private List<String> parts(String jobId) {
        String prefix = LaneNames.PREFIX_RESULTS + jobId + "/part-";
        List<String> parts = new ArrayList<>(objects.list(prefix));
        parts.sort(String::compareTo);
        return parts;
    }

    /** A rejected flush's violations by request id; "" holds the first one about the file. */
    private Map<String, JsonNode> rejections(Job job) {
        Map<String, JsonNode> byId = new HashMap<>();
        Optional<Keys.Drop> drop = Keys.parseInbox(job.inputKey());
        if (drop.isEmpty()) {
            return byId;
        }
        String errors = Keys.rejectedErrors(drop.get().provider(), drop.get().name(), job.jobId());
        if (objects.head(errors).isEmpty()) {
            return byId;
        }
        try (InputStream in = objects.open(errors)) {
            LineReader reader = new LineReader(in, MAX_RESULT_LINE);
            LineReader.Line l;
            while ((l = reader.next()) != null) {
                if (l.blank()) {
                    continue;
                }
                JsonNode v = AnswerDelivery.JSON.readTree(l.bytes(), 0, l.length());
                String id = v.path("custom_id").isTextual() ? v.get("custom_id").asText() : "";
                byId.putIfAbsent(id, v);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "queue: reading the rejection of job " + job.jobId() + " failed", e);
        }
        return byId;
    }
}
