package dev.batchlane.core.queue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.storage.ObjectStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Delivers answers: each is first kept under {@code answers/<provider>/<queue>/<id>.json} (where a
 * lookup by queue and id reads it), then sent to its reply queue or as an event; one too big for a
 * message is sent as a pointer to what was kept.
 */
public final class AnswerDelivery {
    static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectStore objects;
    private final AnswerSink sink;
    private final String bucket;

    public AnswerDelivery(ObjectStore objects, AnswerSink sink, String bucket) {
        this.objects = objects;
        this.sink = sink;
        this.bucket = bucket;
    }

    /** One answer to deliver: the joined line (a JSON object's text) and where it goes. */
    public record Pending(QueueName queue, String requestId, String replyTo, String line) {}

    /**
     * Keeps and sends {@code pending}; returns the ids that were sent (those that failed are sent
     * again on the next cycle).
     */
    public List<String> deliver(List<Pending> pending) {
        List<Answer> answers = new ArrayList<>(pending.size());
        for (Pending p : pending) {
            answers.add(prepare(p));
        }
        java.util.Set<Answer> failed = new java.util.HashSet<>(sink.send(answers));
        List<String> sent = new ArrayList<>();
        for (Answer a : answers) {
            if (!failed.contains(a) && a.requestId() != null) {
                sent.add(a.requestId());
            }
        }
        return sent;
    }

    /**
     * Delivers answers that have no second chance (a refusal at enqueue: nothing keeps the request
     * to answer it later), or throws, so the message or file that carried the request is delivered
     * again and answered then.
     */
    public void deliverOrThrow(List<Pending> pending) {
        List<Answer> answers = new ArrayList<>(pending.size());
        for (Pending p : pending) {
            answers.add(prepare(p));
        }
        List<Answer> failed = sink.send(answers);
        if (!failed.isEmpty()) {
            Answer a = failed.get(0);
            throw new IllegalStateException(
                    "queue "
                            + a.queue()
                            + ": the answer to request "
                            + (a.requestId() == null ? "(no id)" : a.requestId())
                            + " could not be sent to "
                            + (a.replyTo() == null ? "the event bus" : a.replyTo())
                            + "; the request is delivered again and answered then");
        }
    }

    /** Keeps the answer under {@code answers/} (when it has an id) and makes its message. */
    private Answer prepare(Pending p) {
        byte[] bytes = p.line().getBytes(StandardCharsets.UTF_8);
        String key = p.requestId() == null ? null : QueueKeys.answer(p.queue(), p.requestId());
        if (key != null) {
            objects.putBytes(key, bytes, "application/json");
        }
        String body =
                bytes.length <= Answer.MAX_CARRIED_BYTES || key == null
                        ? p.line()
                        : pointer(p, key);
        return new Answer(p.queue(), p.requestId(), p.replyTo(), body, outcomeOf(p));
    }

    private String pointer(Pending p, String key) {
        ObjectNode n = JSON.createObjectNode();
        n.put("custom_id", p.requestId());
        n.put("outcome", outcomeOf(p));
        n.put("answer", "s3://" + bucket + "/" + key);
        n.put("note", "the answer is larger than a message carries; read it at 'answer'");
        return n.toString();
    }

    static String outcomeOf(Pending p) {
        try {
            var node = JSON.readTree(p.line());
            var outcome = node == null ? null : node.get("outcome");
            return outcome == null ? "unknown" : outcome.asText();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /**
     * The answer to a request refused at enqueue: the rule it broke, in the joined line's shape.
     */
    public static String refusal(String requestId, String queue, String code, String message) {
        ObjectNode n = JSON.createObjectNode();
        if (requestId == null) {
            n.putNull("custom_id");
        } else {
            n.put("custom_id", requestId);
        }
        n.put("queue", queue);
        n.put("outcome", "rejected");
        n.putNull("response");
        ObjectNode error = n.putObject("error");
        error.put("code", code);
        error.put("message", message);
        n.putNull("usage");
        return n.toString();
    }
}
