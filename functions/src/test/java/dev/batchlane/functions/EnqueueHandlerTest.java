package dev.batchlane.functions;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.queue.Answer;
import dev.batchlane.core.queue.AnswerSink;
import dev.batchlane.core.queue.GroupDepth;
import dev.batchlane.core.queue.QueueBuffer;
import dev.batchlane.core.queue.QueueName;
import dev.batchlane.core.queue.QueuedRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The enqueue function as deployed: an SQS batch of the intake queue and an S3 drop under queue/,
 * as Lambda delivers them, through the event server into the real intake and the queue buffer in
 * the lane's table. Answers are caught at the lane's answer port (no SQS emulator runs here): which
 * messages become which requests, which are answered at once with their rule, and which come back
 * in the partial batch response.
 */
@QuarkusTest
@TestProfile(EnqueueHandlerTest.EnqueueFunction.class)
@QuarkusTestResource(value = LocalLane.class, restrictToAnnotatedClass = false)
@org.junit.jupiter.api.extension.ExtendWith(LaneBackend.Available.class)
class EnqueueHandlerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final QueueName TICKETS = new QueueName("openai", "tickets");
    private static final QueueName RETRIES = new QueueName("openai", "retries");
    private static final QueueName DROPS = new QueueName("openai", "drops");
    private static final String REPLIES =
            "https://sqs.us-east-1.amazonaws.com/123456789012/batchlane-replies-tickets";

    /** A reply queue that cannot be reached: the sink cannot even try, so it throws. */
    private static final String UNREACHABLE =
            "https://sqs.us-east-1.amazonaws.com/123456789012/batchlane-replies-gone";

    public static class EnqueueFunction implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.lambda.handler", "enqueue", "batchlane.providers", "openai");
        }

        @Override
        public Set<Class<?>> getEnabledAlternatives() {
            return Set.of(RecordingSink.class);
        }
    }

    /** Every answer handed to the port, as a reply queue or the bus would receive it. */
    @Alternative
    @Singleton
    public static class RecordingSink implements AnswerSink {
        final List<Answer> received = Collections.synchronizedList(new ArrayList<>());

        @Override
        public List<Answer> send(List<Answer> answers) {
            if (answers.stream().anyMatch(a -> UNREACHABLE.equals(a.replyTo()))) {
                throw new IllegalStateException("reply queue " + UNREACHABLE + " is gone");
            }
            received.addAll(answers);
            return List.of();
        }
    }

    @LocalLane.Inject LocalLane.Parts lane;

    @Inject QueueBuffer buffer;

    @Inject RecordingSink sink;

    private List<Answer> sent;

    @BeforeEach
    void clearAnswers() {
        sink.received.clear();
        sent = sink.received;
    }

    /** Posts {@code event} to the function as Lambda would; returns its answer. */
    private static JsonNode invoke(JsonNode event) throws Exception {
        return JSON.readTree(
                given().contentType("application/json")
                        .body(event.toString())
                        .when()
                        .post()
                        .then()
                        .statusCode(200)
                        .extract()
                        .asString());
    }

    private static List<String> failures(JsonNode response) {
        List<String> ids = new ArrayList<>();
        response.path("batchItemFailures").forEach(f -> ids.add(f.path("itemIdentifier").asText()));
        return ids;
    }

    /** One chat request line with id {@code id}. */
    static String request(String id) {
        return "{\"custom_id\":\""
                + id
                + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"gpt-4o-mini\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi "
                + id
                + "\"}]}}";
    }

    @Test
    void sqsBatch_keepsEachRequestInItsQueueWithItsReplyQueueAndSettings() throws Exception {
        JsonNode response =
                invoke(
                        sqs(
                                message(
                                        "m-1",
                                        request("a"),
                                        Map.of(
                                                "provider", "openai",
                                                "queue", "tickets",
                                                "reply-to", REPLIES,
                                                "model-id", "tuned-1")),
                                message(
                                        "m-2",
                                        request("b"),
                                        Map.of("provider", "openai", "queue", "tickets")),
                                message("m-3", request("c"), Map.of("provider", "openai"))));

        assertThat(failures(response)).isEmpty();
        QueuedRequest a = waiting(TICKETS, "a");
        assertThat(a.replyTo()).isEqualTo(REPLIES);
        // reply-to is where the answer goes, not a setting: only model-id reaches the group.
        assertThat(a.group().metadata()).isEqualTo(Map.of("model-id", "tuned-1"));
        assertThat(a.line()).isEqualTo(request("a"));
        QueuedRequest b = waiting(TICKETS, "b");
        assertThat(b.replyTo()).isNull();
        assertThat(b.group().metadata()).isEmpty();
        // No queue attribute: the provider's default queue.
        assertThat(waiting(new QueueName("openai", "default"), "c")).isNotNull();
        assertThat(sent).isEmpty();
    }

    @Test
    void messageWithoutProvider_isAnsweredWithTheRule_andIsNotAFailure() throws Exception {
        JsonNode response =
                invoke(
                        sqs(
                                message(
                                        "m-1",
                                        request("lost"),
                                        Map.of("queue", "tickets", "reply-to", REPLIES))));

        assertThat(failures(response)).isEmpty();
        assertThat(waitingAnywhere("lost")).isEmpty();
        assertThat(sent).hasSize(1);
        Answer answer = sent.get(0);
        assertThat(answer.replyTo()).isEqualTo(REPLIES);
        assertThat(answer.outcome()).isEqualTo("rejected");
        JsonNode body = JSON.readTree(answer.body());
        // The sender matches the answer by its own id, read from the body it sent.
        assertThat(body.get("custom_id").asText()).isEqualTo("lost");
        assertThat(body.at("/error/code").asText()).isEqualTo("missing_provider");
        assertThat(body.at("/error/message").asText())
                .contains("message m-1")
                .contains("'provider'")
                .contains("is required")
                .contains("[openai]");
    }

    @Test
    void badQueueName_andUnknownProvider_areAnsweredAtOnce_notRetried() throws Exception {
        JsonNode response =
                invoke(
                        sqs(
                                message(
                                        "m-1",
                                        request("x"),
                                        Map.of(
                                                "provider",
                                                "openai",
                                                "queue",
                                                "Tickets!",
                                                "reply-to",
                                                REPLIES)),
                                message(
                                        "m-2",
                                        request("y"),
                                        Map.of("provider", "acme", "reply-to", REPLIES))));

        assertThat(failures(response)).isEmpty();
        assertThat(sent).hasSize(2);
        JsonNode badName = JSON.readTree(sent.get(0).body());
        assertThat(badName.at("/error/code").asText()).isEqualTo("invalid_queue");
        assertThat(badName.at("/error/message").asText()).contains("m-1").contains("'Tickets!'");
        // Refused by the intake before the line is read, so by its queue, not its id.
        JsonNode unknown = JSON.readTree(sent.get(1).body());
        assertThat(unknown.get("queue").asText()).isEqualTo("acme/default");
        assertThat(unknown.at("/error/code").asText()).isEqualTo("unknown_provider");
        assertThat(unknown.at("/error/message").asText()).contains("'acme'").contains("[openai]");
    }

    @Test
    void onlyTheMessageWhoseHandlingThrew_comesBackInThePartialBatchResponse() throws Exception {
        JsonNode response =
                invoke(
                        sqs(
                                message(
                                        "m-ok",
                                        request("ok"),
                                        Map.of("provider", "openai", "queue", "retries")),
                                // Refused (no provider), and its answer cannot be attempted: SQS
                                // must deliver it again rather than delete it unanswered.
                                message(
                                        "m-unanswerable",
                                        request("z"),
                                        Map.of("reply-to", UNREACHABLE)),
                                // A second delivery of a kept request is a duplicate, not a
                                // failure.
                                message(
                                        "m-again",
                                        request("ok"),
                                        Map.of("provider", "openai", "queue", "retries"))));

        assertThat(failures(response)).containsExactly("m-unanswerable");
        assertThat(response.toString())
                .isEqualTo("{\"batchItemFailures\":[{\"itemIdentifier\":\"m-unanswerable\"}]}");
        assertThat(buffer.groups())
                .filteredOn(g -> g.group().queue().equals(RETRIES))
                .extracting(GroupDepth::requests)
                .containsExactly(1L);
        assertThat(waitingAnywhere("z")).isEmpty();
    }

    @Test
    void s3Drop_underQueue_takesEveryLineWithTheObjectsMetadata_andDeletesTheFile()
            throws Exception {
        String key = "queue/openai/drops/two requests.jsonl";
        lane.s3()
                .putObject(
                        b ->
                                b.bucket(LocalLane.BUCKET)
                                        .key(key)
                                        .metadata(
                                                Map.of("reply-to", REPLIES, "model-id", "tuned-1")),
                        RequestBody.fromString(request("f1") + "\n" + request("f2") + "\n"));
        var head = lane.s3().headObject(b -> b.bucket(LocalLane.BUCKET).key(key));

        JsonNode response = invoke(JSON.readTree(lane.objectCreated(key, head)));

        assertThat(failures(response)).isEmpty();
        assertThat(waiting(DROPS, "f1").replyTo()).isEqualTo(REPLIES);
        assertThat(waiting(DROPS, "f2").group().metadata())
                .isEqualTo(Map.of("model-id", "tuned-1"));
        // Taken: a repeated event finds it gone.
        assertThat(lane.s3().listObjectsV2(b -> b.bucket(LocalLane.BUCKET).prefix(key)).contents())
                .isEmpty();
    }

    private java.util.Optional<QueuedRequest> waitingAnywhere(String id) {
        return buffer.groups().stream()
                .flatMap(
                        g ->
                                StreamSupport.stream(
                                        buffer.waiting(g.group(), 1000).spliterator(), false))
                .filter(r -> r.requestId().equals(id))
                .findFirst();
    }

    private QueuedRequest waiting(QueueName queue, String id) {
        return buffer.groups().stream()
                .filter(g -> g.group().queue().equals(queue))
                .flatMap(
                        g ->
                                StreamSupport.stream(
                                        buffer.waiting(g.group(), 100).spliterator(), false))
                .filter(r -> r.requestId().equals(id))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no request " + id + " waits in " + queue));
    }

    /** The SQS event of sqs-enqueue.json, its records replaced by {@code messages}. */
    private static JsonNode sqs(JsonNode... messages) throws Exception {
        var event = (ObjectNode) template();
        var records = event.putArray("Records");
        for (JsonNode m : messages) {
            records.add(m);
        }
        return event;
    }

    /** One record shaped as in sqs-enqueue.json, with its id, body and String attributes. */
    private static JsonNode message(String id, String body, Map<String, String> attributes)
            throws Exception {
        var record = (ObjectNode) template().get("Records").get(0).deepCopy();
        record.put("messageId", id);
        record.put("body", body);
        var attrs = record.putObject("messageAttributes");
        new LinkedHashMap<>(attributes)
                .forEach(
                        (name, value) -> {
                            var a = attrs.putObject(name);
                            a.put("stringValue", value);
                            a.putArray("stringListValues");
                            a.putArray("binaryListValues");
                            a.put("dataType", "String");
                        });
        return record;
    }

    private static JsonNode template() throws Exception {
        return JSON.readTree(Events.read("sqs-enqueue.json"));
    }
}
