package dev.batchlane.functions.enqueue;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.ingest.Violation;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneNames;
import dev.batchlane.core.queue.AnswerDelivery;
import dev.batchlane.core.queue.QueueIntake;
import dev.batchlane.core.queue.QueueName;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the enqueue function's events into calls of {@link QueueIntake}: each SQS record is one
 * request (its body the provider's line, its message attributes where it goes and its settings),
 * each S3 record a dropped file of requests. A request that breaks a rule is answered and counts as
 * handled; only a record whose handling threw is reported back, so SQS delivers it again (and after
 * its receive count, to the dead-letter queue) while its batch-mates are deleted.
 */
public final class EnqueueEvents {
    private static final System.Logger LOG = System.getLogger(EnqueueEvents.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The queue a refusal is sent under when the message named no usable queue: a message without
     * its {@code provider} attribute belongs to no queue, but its answer still goes to its reply
     * queue (or out as an event) so the sender learns the rule.
     */
    static final QueueName UNADDRESSED = new QueueName("unaddressed", LaneNames.DEFAULT_QUEUE);

    private final QueueIntake intake;
    private final AnswerDelivery delivery;
    private final Collection<String> providers;
    private final LaneMetrics metrics;

    /**
     * @param providers the provider names the deployment runs, for the refusal of a message that
     *     names none
     */
    public EnqueueEvents(
            QueueIntake intake,
            AnswerDelivery delivery,
            Collection<String> providers,
            LaneMetrics metrics) {
        this.intake = intake;
        this.delivery = delivery;
        this.providers = List.copyOf(providers);
        this.metrics = metrics;
    }

    /**
     * Handles every record of {@code event}. An S3 record that fails throws (S3 invokes
     * asynchronously and Lambda retries the whole event); an SQS record that fails is listed.
     */
    public SQSBatchResponse handle(JsonNode event) {
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        for (JsonNode record : event.path("Records")) {
            String source = record.path("eventSource").asText("");
            switch (source) {
                case "aws:sqs" -> {
                    String messageId = record.path("messageId").asText();
                    try {
                        message(record);
                    } catch (RuntimeException e) {
                        // The exception's message names the queue and the rule, never the body.
                        LOG.log(
                                Level.ERROR,
                                "enqueue: message " + messageId + " failed; SQS delivers it again",
                                e);
                        failures.add(new SQSBatchResponse.BatchItemFailure(messageId));
                    }
                }
                case "aws:s3" -> intake.acceptFile(objectKey(record));
                default ->
                        throw new IllegalArgumentException(
                                "enqueue takes SQS messages and S3 events under "
                                        + LaneNames.PREFIX_QUEUE
                                        + "; a record has eventSource '"
                                        + source
                                        + "'");
            }
        }
        return new SQSBatchResponse(failures);
    }

    /** One message → one request; a message that names no usable queue is refused here. */
    QueueIntake.Receipt message(JsonNode record) {
        Map<String, String> attributes = stringAttributes(record.path("messageAttributes"));
        String provider = attributes.remove(LaneNames.MESSAGE_ATTRIBUTE_PROVIDER);
        String name = attributes.remove(LaneNames.MESSAGE_ATTRIBUTE_QUEUE);
        String replyTo = attributes.remove(LaneNames.MESSAGE_ATTRIBUTE_REPLY_TO);
        String queueName = name == null || name.isBlank() ? LaneNames.DEFAULT_QUEUE : name;
        String messageId = record.path("messageId").asText();
        String body = record.path("body").asText("");
        if (provider == null || provider.isBlank()) {
            return refuse(
                    messageId,
                    body,
                    replyTo,
                    "?/" + queueName,
                    "missing_provider",
                    "message "
                            + messageId
                            + ": the message attribute '"
                            + LaneNames.MESSAGE_ATTRIBUTE_PROVIDER
                            + "' (a String) is required and names the provider the request is"
                            + " for; the providers are "
                            + providers);
        }
        QueueName queue;
        try {
            queue = new QueueName(provider, queueName);
        } catch (IllegalArgumentException e) {
            return refuse(
                    messageId,
                    body,
                    replyTo,
                    provider + "/" + queueName,
                    "invalid_queue",
                    "message "
                            + messageId
                            + ": the attributes '"
                            + LaneNames.MESSAGE_ATTRIBUTE_PROVIDER
                            + "' and '"
                            + LaneNames.MESSAGE_ATTRIBUTE_QUEUE
                            + "' name no queue: "
                            + e.getMessage());
        }
        return intake.accept(
                new QueueIntake.Incoming(
                        queue, body.getBytes(StandardCharsets.UTF_8), 1, replyTo, attributes));
    }

    /**
     * Answers a message that belongs to no queue with the rule it broke. Nothing is kept under
     * {@code answers/}: that is keyed by queue, and there is none; the answer carries the request's
     * {@code custom_id} when its body has one, so the sender can match it.
     */
    private QueueIntake.Receipt refuse(
            String messageId,
            String body,
            String replyTo,
            String queueAsGiven,
            String code,
            String message) {
        String requestId = customId(body);
        metrics.requestEnqueued(UNADDRESSED.id(), false, false);
        LOG.log(Level.INFO, "enqueue: message {0} refused: {1}", messageId, code);
        delivery.deliverOrThrow(
                List.of(
                        new AnswerDelivery.Pending(
                                UNADDRESSED,
                                null,
                                replyTo,
                                AnswerDelivery.refusal(requestId, queueAsGiven, code, message))));
        return new QueueIntake.Receipt(
                QueueIntake.Verdict.REFUSED,
                requestId,
                List.of(new Violation(1, requestId, code, message)));
    }

    private static String customId(String body) {
        try {
            JsonNode id = JSON.readTree(body).get("custom_id");
            return id != null && id.isTextual() ? id.asText() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The String (and String.*) attributes by name; Number and Binary ones are no setting of the
     * lane.
     */
    private static Map<String, String> stringAttributes(JsonNode attributes) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = attributes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> a = it.next();
            JsonNode value = a.getValue();
            String type = value.path("dataType").asText("String");
            JsonNode text = value.get("stringValue");
            if (type.startsWith("String") && text != null && !text.isNull()) {
                out.put(a.getKey(), text.asText());
            }
        }
        return out;
    }

    /** S3 sends the key URL-encoded, a space as '+'. */
    static String objectKey(JsonNode record) {
        String encoded = record.path("s3").path("object").path("key").asText();
        return URLDecoder.decode(encoded, StandardCharsets.UTF_8);
    }
}
