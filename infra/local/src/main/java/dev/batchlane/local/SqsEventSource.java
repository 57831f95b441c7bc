package dev.batchlane.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchResponse;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * Lambda's SQS event source mapping for one queue and function: it receives up to the batch size,
 * invokes the function synchronously with the event Lambda builds ({@code Records[]} of {@code
 * aws:sqs} records), and deletes what the invocation handled. A failed invocation deletes nothing;
 * with {@code ReportBatchItemFailures} a response {@code {"batchItemFailures":[{"itemIdentifier":
 * messageId}]}} keeps the messages it names, which SQS hands out again once their visibility
 * timeout ends. As on Lambda, a response naming an id that is not in the batch (or an empty one)
 * fails the whole batch. The client receives and deletes with the function's own role, as the
 * mapping does.
 */
final class SqsEventSource {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the template says of the mapping (the CDK construct's SqsEventSource). */
    record Mapping(
            String queueUrl, String queueArn, int batchSize, boolean reportBatchItemFailures) {}

    /** What one poll did, for the log and the tests. */
    record Outcome(int received, int deleted, int kept, String error) {
        static final Outcome NOTHING = new Outcome(0, 0, 0, null);
    }

    private final SqsClient sqs;
    private final Mapping mapping;
    private final String region;
    private final RuntimeApi function;
    private final Consumer<String> log;
    private final int waitSeconds;

    /**
     * @param waitSeconds the long poll of each ReceiveMessage (Lambda waits 20 s; the local stack
     *     less, so that it stops promptly)
     */
    SqsEventSource(
            SqsClient sqs,
            Mapping mapping,
            String region,
            RuntimeApi function,
            Consumer<String> log,
            int waitSeconds) {
        this.sqs = sqs;
        this.mapping = mapping;
        this.region = region;
        this.function = function;
        this.log = log;
        this.waitSeconds = waitSeconds;
    }

    /** One receive, invoke and delete. */
    Outcome pollOnce() {
        List<Message> messages =
                sqs.receiveMessage(
                                b ->
                                        b.queueUrl(mapping.queueUrl())
                                                .maxNumberOfMessages(
                                                        Math.min(10, mapping.batchSize()))
                                                .waitTimeSeconds(waitSeconds)
                                                .messageSystemAttributeNames(
                                                        MessageSystemAttributeName.ALL)
                                                .messageAttributeNames("All"))
                        .messages();
        if (messages.isEmpty()) {
            return Outcome.NOTHING;
        }
        String response;
        try {
            response = function.invokeAndWait(event(messages));
        } catch (RuntimeApi.FunctionError | IllegalStateException e) {
            // Nothing is deleted: every message returns once its visibility timeout ends.
            log.accept(
                    "SQS event source: the function failed on "
                            + messages.size()
                            + " message(s) of "
                            + mapping.queueArn()
                            + "; they return after the visibility timeout: "
                            + abbreviate(e.getMessage()));
            return new Outcome(messages.size(), 0, messages.size(), e.getMessage());
        }
        Set<String> keep = failedItems(response, messages);
        List<Message> done = new ArrayList<>();
        for (Message m : messages) {
            if (!keep.contains(m.messageId())) {
                done.add(m);
            }
        }
        int deleted = delete(done);
        if (!keep.isEmpty()) {
            log.accept(
                    "SQS event source: "
                            + keep.size()
                            + " of "
                            + messages.size()
                            + " message(s) of "
                            + mapping.queueArn()
                            + " reported failed; they return after the visibility timeout");
        }
        return new Outcome(messages.size(), deleted, messages.size() - deleted, null);
    }

    /**
     * The message ids the function reported failed: none without ReportBatchItemFailures or without
     * failures; every one when the response names an id not in the batch, as Lambda then counts the
     * whole batch failed.
     */
    Set<String> failedItems(String response, List<Message> batch) {
        if (!mapping.reportBatchItemFailures() || response == null || response.isBlank()) {
            return Set.of();
        }
        Set<String> ids = new HashSet<>();
        batch.forEach(m -> ids.add(m.messageId()));
        JsonNode root;
        try {
            root = JSON.readTree(response);
        } catch (IOException e) {
            return Set.of();
        }
        JsonNode failures = root == null ? null : root.get("batchItemFailures");
        if (failures == null || failures.isNull() || !failures.isArray()) {
            return Set.of();
        }
        Set<String> failed = new HashSet<>();
        for (JsonNode f : failures) {
            String id = f.path("itemIdentifier").asText("");
            if (!ids.contains(id)) {
                log.accept(
                        "SQS event source: the response names itemIdentifier '"
                                + id
                                + "', not a message of the batch; the whole batch counts as failed");
                return ids;
            }
            failed.add(id);
        }
        return failed;
    }

    private int delete(List<Message> done) {
        if (done.isEmpty()) {
            return 0;
        }
        List<DeleteMessageBatchRequestEntry> entries = new ArrayList<>();
        for (int i = 0; i < done.size(); i++) {
            entries.add(
                    DeleteMessageBatchRequestEntry.builder()
                            .id(Integer.toString(i))
                            .receiptHandle(done.get(i).receiptHandle())
                            .build());
        }
        DeleteMessageBatchResponse r =
                sqs.deleteMessageBatch(b -> b.queueUrl(mapping.queueUrl()).entries(entries));
        if (!r.failed().isEmpty()) {
            log.accept(
                    "SQS event source: "
                            + r.failed().size()
                            + " message(s) of "
                            + mapping.queueArn()
                            + " could not be deleted and will be delivered again: "
                            + r.failed().get(0).code());
        }
        return r.successful().size();
    }

    /** The event Lambda sends for {@code messages}. */
    String event(List<Message> messages) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode records = root.putArray("Records");
        for (Message m : messages) {
            ObjectNode r = records.addObject();
            r.put("messageId", m.messageId());
            r.put("receiptHandle", m.receiptHandle());
            r.put("body", m.body());
            ObjectNode attributes = r.putObject("attributes");
            for (Map.Entry<String, String> a : m.attributesAsStrings().entrySet()) {
                attributes.put(a.getKey(), a.getValue());
            }
            ObjectNode messageAttributes = r.putObject("messageAttributes");
            for (Map.Entry<String, MessageAttributeValue> a : m.messageAttributes().entrySet()) {
                MessageAttributeValue v = a.getValue();
                ObjectNode value = messageAttributes.putObject(a.getKey());
                if (v.stringValue() != null) {
                    value.put("stringValue", v.stringValue());
                }
                if (v.binaryValue() != null) {
                    value.put(
                            "binaryValue",
                            Base64.getEncoder().encodeToString(v.binaryValue().asByteArray()));
                }
                ArrayNode strings = value.putArray("stringListValues");
                v.stringListValues().forEach(strings::add);
                ArrayNode binaries = value.putArray("binaryListValues");
                v.binaryListValues()
                        .forEach(
                                b ->
                                        binaries.add(
                                                Base64.getEncoder()
                                                        .encodeToString(b.asByteArray())));
                value.put("dataType", v.dataType());
            }
            r.put("md5OfBody", m.md5OfBody());
            if (m.md5OfMessageAttributes() != null) {
                r.put("md5OfMessageAttributes", m.md5OfMessageAttributes());
            }
            r.put("eventSource", "aws:sqs");
            r.put("eventSourceARN", mapping.queueArn());
            r.put("awsRegion", region);
        }
        return root.toString();
    }

    private static String abbreviate(String s) {
        return s == null || s.length() <= 400 ? String.valueOf(s) : s.substring(0, 400) + "…";
    }
}
