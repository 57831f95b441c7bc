package dev.batchlane.aws.queue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.batchlane.core.lane.LaneNames;
import dev.batchlane.core.queue.Answer;
import dev.batchlane.core.queue.AnswerSink;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntUnaryOperator;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResultEntry;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResultEntry;

/**
 * Sends each answer to the SQS queue its request named (SendMessageBatch), or, when it named none,
 * as a {@code Batchlane Request Answered} event on the lane's EventBridge bus (PutEvents). The
 * clients are built by the caller. An answer that could not be sent is handed back, never thrown:
 * one reply queue that is gone or refuses must not hold back the answers bound elsewhere.
 */
public final class AwsAnswerSink implements AnswerSink {
    /** SendMessageBatch and PutEvents both take at most 10 entries a call. */
    static final int MAX_ENTRIES_PER_CALL = 10;

    /**
     * SQS's largest message, and its largest SendMessageBatch: the messages of one call together,
     * body and attributes counted. 256 KiB is the long-standing limit that ElasticMQ's strict mode
     * enforces too; answers stay under it by design ({@link Answer#MAX_CARRIED_BYTES}).
     */
    static final int MAX_SQS_BYTES = 256 * 1024;

    /** EventBridge's largest PutEvents entry, and its largest request, all entries together. */
    static final int MAX_EVENT_BYTES = 256 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final System.Logger LOG = System.getLogger(AwsAnswerSink.class.getName());

    private final SqsClient sqs;
    private final EventBridgeClient events;
    private final String eventBus;

    public AwsAnswerSink(SqsClient sqs, EventBridgeClient events, String eventBus) {
        this.sqs = sqs;
        this.events = events;
        this.eventBus = eventBus;
    }

    @Override
    public List<Answer> send(List<Answer> answers) {
        boolean[] unsent = new boolean[answers.size()];
        Map<String, List<Integer>> byReplyQueue = new LinkedHashMap<>();
        List<Integer> asEvents = new ArrayList<>();
        for (int i = 0; i < answers.size(); i++) {
            String replyTo = answers.get(i).replyTo();
            if (replyTo == null || replyTo.isBlank()) {
                asEvents.add(i);
            } else {
                byReplyQueue.computeIfAbsent(replyTo, q -> new ArrayList<>()).add(i);
            }
        }
        byReplyQueue.forEach(
                (queueUrl, indexes) -> sendToQueue(queueUrl, indexes, answers, unsent));
        publish(asEvents, answers, unsent);
        List<Answer> notSent = new ArrayList<>();
        for (int i = 0; i < unsent.length; i++) {
            if (unsent[i]) {
                notSent.add(answers.get(i));
            }
        }
        return notSent;
    }

    // ---- SQS ----

    private void sendToQueue(
            String queueUrl, List<Integer> indexes, List<Answer> answers, boolean[] unsent) {
        IntUnaryOperator size = i -> messageBytes(answers.get(i));
        List<Integer> fitting = dropOversized(indexes, answers, size, MAX_SQS_BYTES, unsent);
        List<List<Integer>> batches = pack(fitting, size, MAX_SQS_BYTES);
        for (int b = 0; b < batches.size(); b++) {
            List<Integer> batch = batches.get(b);
            List<SendMessageBatchRequestEntry> entries = new ArrayList<>(batch.size());
            for (int k = 0; k < batch.size(); k++) {
                entries.add(message(Integer.toString(k), answers.get(batch.get(k))));
            }
            SendMessageBatchResponse response;
            try {
                response = sqs.sendMessageBatch(r -> r.queueUrl(queueUrl).entries(entries));
            } catch (QueueDoesNotExistException e) {
                // The rest of this queue's batches would meet the same answer.
                List<Integer> rest = new ArrayList<>();
                batches.subList(b, batches.size()).forEach(rest::addAll);
                rest.forEach(i -> unsent[i] = true);
                LOG.log(
                        Level.WARNING,
                        "answers of queue {0}: reply queue {1} does not exist; {2} answer(s) not"
                                + " sent",
                        queuesOf(rest, answers),
                        queueUrl,
                        rest.size());
                return;
            } catch (RuntimeException e) {
                // Whatever the call met (throttling, a denied role, a reply-to that is no queue
                // URL), the answers bound elsewhere still go out.
                batch.forEach(i -> unsent[i] = true);
                LOG.log(
                        Level.WARNING,
                        "answers of queue {0}: SendMessageBatch to reply queue {1} failed ({2});"
                                + " {3} answer(s) not sent",
                        queuesOf(batch, answers),
                        queueUrl,
                        e.getClass().getSimpleName(),
                        batch.size());
                continue;
            }
            // Only what SQS names as sent counts: an entry neither sent nor failed is sent again.
            Set<String> sent = new HashSet<>();
            for (SendMessageBatchResultEntry ok : response.successful()) {
                sent.add(ok.id());
            }
            List<Integer> refused = new ArrayList<>();
            for (int k = 0; k < batch.size(); k++) {
                if (!sent.contains(Integer.toString(k))) {
                    unsent[batch.get(k)] = true;
                    refused.add(batch.get(k));
                }
            }
            if (!refused.isEmpty()) {
                Set<String> codes = new TreeSet<>();
                for (BatchResultErrorEntry f : response.failed()) {
                    codes.add(f.code());
                }
                LOG.log(
                        Level.WARNING,
                        "answers of queue {0}: reply queue {1} refused {2} answer(s) ({3})",
                        queuesOf(refused, answers),
                        queueUrl,
                        refused.size(),
                        codes.isEmpty() ? "no reason given" : String.join(", ", codes));
            }
        }
    }

    /**
     * The answer's body and the attributes a receiver matches and de-duplicates by; an attribute
     * without a value is left out, as SQS refuses empty ones.
     */
    static SendMessageBatchRequestEntry message(String id, Answer a) {
        Map<String, MessageAttributeValue> attributes = new LinkedHashMap<>();
        attributes.put(LaneNames.ANSWER_ATTRIBUTE_QUEUE, text(a.queue().id()));
        if (a.requestId() != null && !a.requestId().isEmpty()) {
            attributes.put(LaneNames.ANSWER_ATTRIBUTE_REQUEST_ID, text(a.requestId()));
        }
        if (a.outcome() != null && !a.outcome().isEmpty()) {
            attributes.put(LaneNames.ANSWER_ATTRIBUTE_OUTCOME, text(a.outcome()));
        }
        return SendMessageBatchRequestEntry.builder()
                .id(id)
                .messageBody(a.body())
                .messageAttributes(attributes)
                .build();
    }

    private static MessageAttributeValue text(String value) {
        return MessageAttributeValue.builder().dataType("String").stringValue(value).build();
    }

    /** A message's size as SQS counts it: the body, and each attribute's name, type and value. */
    static int messageBytes(Answer a) {
        int bytes = utf8(a.body());
        for (Map.Entry<String, MessageAttributeValue> e :
                message("0", a).messageAttributes().entrySet()) {
            bytes += utf8(e.getKey()) + utf8(e.getValue().dataType());
            bytes += utf8(e.getValue().stringValue());
        }
        return bytes;
    }

    // ---- EventBridge ----

    private void publish(List<Integer> indexes, List<Answer> answers, boolean[] unsent) {
        if (indexes.isEmpty()) {
            return;
        }
        Map<Integer, PutEventsRequestEntry> entries = new LinkedHashMap<>();
        for (int i : indexes) {
            entries.put(i, event(answers.get(i), eventBus));
        }
        IntUnaryOperator size = i -> eventBytes(entries.get(i));
        List<Integer> fitting = dropOversized(indexes, answers, size, MAX_EVENT_BYTES, unsent);
        for (List<Integer> batch : pack(fitting, size, MAX_EVENT_BYTES)) {
            List<PutEventsRequestEntry> request = new ArrayList<>(batch.size());
            batch.forEach(i -> request.add(entries.get(i)));
            PutEventsResponse response;
            try {
                response = events.putEvents(r -> r.entries(request));
            } catch (RuntimeException e) {
                batch.forEach(i -> unsent[i] = true);
                LOG.log(
                        Level.WARNING,
                        "answers of queue {0}: PutEvents to bus {1} failed ({2}); {3} answer(s) not"
                                + " sent",
                        queuesOf(batch, answers),
                        eventBus,
                        e.getClass().getSimpleName(),
                        batch.size());
                continue;
            }
            Integer failed = response.failedEntryCount();
            if (failed == null || failed == 0) {
                continue;
            }
            // PutEvents answers 200 even when it refuses entries; each result lines up with its
            // entry, and a result list that does not line up cannot tell which went through.
            List<PutEventsResultEntry> results = response.entries();
            boolean aligned = results.size() == batch.size();
            List<Integer> refused = new ArrayList<>();
            Set<String> codes = new TreeSet<>();
            for (int k = 0; k < batch.size(); k++) {
                if (!aligned || results.get(k).errorCode() != null) {
                    unsent[batch.get(k)] = true;
                    refused.add(batch.get(k));
                    if (aligned) {
                        codes.add(results.get(k).errorCode());
                    }
                }
            }
            LOG.log(
                    Level.WARNING,
                    "answers of queue {0}: bus {1} refused {2} answer event(s) ({3})",
                    queuesOf(refused, answers),
                    eventBus,
                    refused.size(),
                    codes.isEmpty() ? "no reason given" : String.join(", ", codes));
        }
    }

    /**
     * The event: the queue and request id to match by, the outcome, and the answer as JSON (not a
     * string within a string), so that rules can filter on its fields.
     */
    static PutEventsRequestEntry event(Answer a, String eventBus) {
        ObjectNode detail = JSON.createObjectNode();
        detail.put("queue", a.queue().id());
        detail.put("custom_id", a.requestId());
        detail.put("outcome", a.outcome());
        detail.set("answer", answerJson(a));
        return PutEventsRequestEntry.builder()
                .source(LaneNames.EVENT_SOURCE)
                .detailType(LaneNames.EVENT_REQUEST_ANSWERED)
                .detail(detail.toString())
                .eventBusName(eventBus)
                .build();
    }

    private static JsonNode answerJson(Answer a) {
        try {
            JsonNode parsed = a.body() == null ? null : JSON.readTree(a.body());
            if (parsed != null && !parsed.isMissingNode()) {
                return parsed;
            }
        } catch (JsonProcessingException e) {
            // handled below
        }
        // Answers are the lane's own JSON lines; should one not parse, the event still carries
        // it (as text) rather than holding it back for ever.
        LOG.log(
                Level.WARNING,
                "queue {0}, request {1}: the answer is not JSON; the event carries it as text",
                a.queue().id(),
                a.requestId());
        return a.body() == null ? JSON.nullNode() : TextNode.valueOf(a.body());
    }

    /** An entry's size as EventBridge counts it: source, detail type and detail. */
    static int eventBytes(PutEventsRequestEntry e) {
        return utf8(e.source()) + utf8(e.detailType()) + utf8(e.detail());
    }

    // ---- shared ----

    /**
     * AnswerDelivery sends a pointer in place of an answer too big to carry, so an oversized one
     * means that limit and this one have parted ways: it is logged (its size, never its text) and
     * handed back.
     */
    private static List<Integer> dropOversized(
            List<Integer> indexes,
            List<Answer> answers,
            IntUnaryOperator size,
            int max,
            boolean[] unsent) {
        List<Integer> fitting = new ArrayList<>(indexes.size());
        for (int i : indexes) {
            int bytes = size.applyAsInt(i);
            if (bytes > max) {
                unsent[i] = true;
                Answer a = answers.get(i);
                LOG.log(
                        Level.ERROR,
                        "queue {0}, request {1}: the answer is {2} bytes, over the {3} a message"
                                + " carries; not sent",
                        a.queue().id(),
                        a.requestId(),
                        Integer.toString(bytes),
                        Integer.toString(max));
            } else {
                fitting.add(i);
            }
        }
        return fitting;
    }

    /** Consecutive groups of at most 10 entries whose sizes add up to at most {@code maxBytes}. */
    static List<List<Integer>> pack(List<Integer> indexes, IntUnaryOperator size, int maxBytes) {
        List<List<Integer>> batches = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        int bytes = 0;
        for (int i : indexes) {
            int s = size.applyAsInt(i);
            if (!current.isEmpty()
                    && (current.size() == MAX_ENTRIES_PER_CALL || bytes + s > maxBytes)) {
                batches.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(i);
            bytes += s;
        }
        if (!current.isEmpty()) {
            batches.add(current);
        }
        return batches;
    }

    private static String queuesOf(List<Integer> indexes, List<Answer> answers) {
        Set<String> queues = new LinkedHashSet<>();
        indexes.forEach(i -> queues.add(answers.get(i).queue().id()));
        return String.join(", ", queues);
    }

    private static int utf8(String s) {
        return s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
    }
}
