package dev.batchlane.aws.queue;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.batchlane.core.queue.Answer;
import dev.batchlane.core.queue.QueueName;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Answers without a reply queue: the PutEvents calls as EventBridge receives them, captured by a
 * loopback endpoint that answers as EventBridge does.
 */
class AwsAnswerSinkEventsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final QueueName TICKETS = new QueueName("openai", "tickets");
    private HttpServer server;
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private final List<String> targets = new CopyOnWriteArrayList<>();
    private volatile int status = 200;

    /** EventBridge's answer to a request: by default every entry accepted. */
    private volatile Function<JsonNode, String> answer = AwsAnswerSinkEventsTest::allAccepted;

    private EventBridgeClient events;
    private SqsClient unusedSqs;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(
                "/",
                ex -> {
                    targets.add(ex.getRequestHeaders().getFirst("X-Amz-Target"));
                    JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
                    requests.add(body);
                    byte[] out = answer.apply(body).getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
                    ex.sendResponseHeaders(status, out.length);
                    try (OutputStream o = ex.getResponseBody()) {
                        o.write(out);
                    }
                });
        server.start();
        var credentials =
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDLOCAL", "secret"));
        events =
                EventBridgeClient.builder()
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .credentialsProvider(credentials)
                        .region(Region.EU_WEST_1)
                        .endpointOverride(
                                URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
                        .build();
        // No answer here names a reply queue; a call to this endpoint (nothing listens) fails.
        unusedSqs =
                SqsClient.builder()
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .credentialsProvider(credentials)
                        .region(Region.EU_WEST_1)
                        .endpointOverride(URI.create("http://127.0.0.1:9"))
                        .build();
    }

    @AfterEach
    void stop() {
        events.close();
        unusedSqs.close();
        server.stop(0);
    }

    private AwsAnswerSink sink() {
        return new AwsAnswerSink(unusedSqs, events, "batchlane");
    }

    private static String allAccepted(JsonNode request) {
        StringBuilder entries = new StringBuilder();
        for (int i = 0; i < request.get("Entries").size(); i++) {
            entries.append(i == 0 ? "" : ",").append("{\"EventId\":\"e-").append(i).append("\"}");
        }
        return "{\"FailedEntryCount\":0,\"Entries\":[" + entries + "]}";
    }

    private static Answer answer(String id, String outcome) {
        return new Answer(
                TICKETS,
                id,
                null,
                "{\"custom_id\":\""
                        + id
                        + "\",\"outcome\":\""
                        + outcome
                        + "\",\"response\":{\"n\":1}}",
                outcome);
    }

    private List<JsonNode> entriesSent() {
        List<JsonNode> all = new ArrayList<>();
        requests.forEach(r -> r.get("Entries").forEach(all::add));
        return all;
    }

    @Test
    void anAnswerWithoutReplyQueue_isARequestAnsweredEventOnTheBus_withTheAnswerAsJson()
            throws Exception {
        assertThat(sink().send(List.of(answer("r-1", "succeeded")))).isEmpty();

        assertThat(targets).containsExactly("AWSEvents.PutEvents");
        JsonNode entry = requests.get(0).get("Entries").get(0);
        assertThat(entry.get("Source").asText()).isEqualTo("batchlane");
        assertThat(entry.get("DetailType").asText()).isEqualTo("Batchlane Request Answered");
        assertThat(entry.get("EventBusName").asText()).isEqualTo("batchlane");
        JsonNode detail = JSON.readTree(entry.get("Detail").asText());
        assertThat(detail.get("queue").asText()).isEqualTo("openai/tickets");
        assertThat(detail.get("custom_id").asText()).isEqualTo("r-1");
        assertThat(detail.get("outcome").asText()).isEqualTo("succeeded");
        // an object rules can match on, not a string holding JSON
        assertThat(detail.get("answer").isObject()).isTrue();
        assertThat(detail.at("/answer/response/n").asInt()).isEqualTo(1);
        assertThat(detail.at("/answer/custom_id").asText()).isEqualTo("r-1");
    }

    @Test
    void moreThanTenAnswers_arePutInCallsOfAtMostTen() {
        List<Answer> answers = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            answers.add(answer("r-" + i, "succeeded"));
        }

        assertThat(sink().send(answers)).isEmpty();

        assertThat(requests).extracting(r -> r.get("Entries").size()).containsExactly(10, 10, 3);
        assertThat(entriesSent())
                .extracting(e -> JSON.readTree(e.get("Detail").asText()).get("custom_id").asText())
                .hasSize(23)
                .doesNotHaveDuplicates();
    }

    @Test
    void entriesTheBusRefuses_areReturnedNotSent_andOnlyThose() {
        // PutEvents answers 200 and names each refused entry in its place.
        answer =
                r ->
                        "{\"FailedEntryCount\":1,\"Entries\":[{\"EventId\":\"e-0\"},"
                                + "{\"ErrorCode\":\"InternalFailure\",\"ErrorMessage\":\"try again\"},"
                                + "{\"EventId\":\"e-2\"}]}";
        Answer refused = answer("r-2", "failed");

        List<Answer> notSent =
                sink().send(
                                List.of(
                                        answer("r-1", "succeeded"),
                                        refused,
                                        answer("r-3", "succeeded")));

        assertThat(notSent).containsExactly(refused);
    }

    @Test
    void aCallThatFails_returnsItsAnswersNotSent_withoutThrowing() {
        status = 400;
        answer =
                r ->
                        "{\"__type\":\"AccessDeniedException\",\"message\":\"not authorized to"
                                + " perform: events:PutEvents\"}";
        List<Answer> answers = List.of(answer("r-1", "succeeded"), answer("r-2", "succeeded"));

        assertThat(sink().send(answers)).containsExactlyElementsOf(answers);
    }

    @Test
    void anAnswerOverTheEventSizeLimit_isReturnedNotSent_andTheOthersArePut() throws Exception {
        Answer oversized =
                new Answer(
                        TICKETS,
                        "r-big",
                        null,
                        "{\"text\":\"" + "x".repeat(300 * 1024) + "\"}",
                        "succeeded");

        List<Answer> notSent = sink().send(List.of(oversized, answer("r-1", "succeeded")));

        assertThat(notSent).containsExactly(oversized);
        assertThat(entriesSent()).hasSize(1);
        assertThat(
                        JSON.readTree(entriesSent().get(0).get("Detail").asText())
                                .get("custom_id")
                                .asText())
                .isEqualTo("r-1");
    }

    /** PutEvents takes 256 KB per call, all entries together; large answers share fewer calls. */
    @Test
    void largeAnswers_arePutInCallsWithinTheRequestSizeLimit() {
        List<Answer> answers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            answers.add(
                    new Answer(
                            TICKETS,
                            "r-" + i,
                            null,
                            "{\"text\":\"" + "x".repeat(100 * 1024) + "\"}",
                            "succeeded"));
        }

        assertThat(sink().send(answers)).isEmpty();

        assertThat(requests).extracting(r -> r.get("Entries").size()).containsExactly(2, 2, 1);
    }

    @Test
    void aRefusalWithoutRequestId_isPutWithANullCustomId() throws Exception {
        Answer refusal =
                new Answer(
                        TICKETS,
                        null,
                        null,
                        "{\"custom_id\":null,\"outcome\":\"rejected\",\"error\":{\"code\":\"invalid_json\"}}",
                        "rejected");

        assertThat(sink().send(List.of(refusal))).isEmpty();

        JsonNode detail = JSON.readTree(entriesSent().get(0).get("Detail").asText());
        assertThat(detail.get("custom_id").isNull()).isTrue();
        assertThat(detail.at("/answer/error/code").asText()).isEqualTo("invalid_json");
    }
}
