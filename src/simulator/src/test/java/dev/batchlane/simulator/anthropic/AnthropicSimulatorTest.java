package dev.batchlane.simulator.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.simulator.openai.OpenApiSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The simulator as a client sees it over HTTP, its answers checked against Anthropic's OpenAPI
 * document.
 */
class AnthropicSimulatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private AnthropicSimulator sim;

    @BeforeEach
    void start() {
        sim = AnthropicSimulator.builder().stepDuration(Duration.ZERO).seed(3).start();
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(sim.baseUrl() + path))
                        .header("x-api-key", "k")
                        .header("anthropic-version", "2023-06-01")
                        .header("content-type", "application/json");
        b.method(
                method,
                body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String requests(int n) {
        List<String> r = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            r.add(
                    "{\"custom_id\":\"r-"
                            + i
                            + "\",\"params\":{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":8,"
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi "
                            + i
                            + "\"}]}}");
        }
        return "{\"requests\":[" + String.join(",", r) + "]}";
    }

    @Test
    void batch_goesFromInProgressToEnded_andListsEveryRequestOnceShuffled_withFailuresOnDemand()
            throws Exception {
        sim.failLines(id -> id.equals("r-3"), "invalid_request_error", "prompt is too long");
        JsonNode created = JSON.readTree(call("POST", "/v1/messages/batches", requests(20)).body());
        assertThat(created.get("processing_status").asText()).isEqualTo("in_progress");
        assertThat(created.get("results_url").isNull()).isTrue();
        String id = created.get("id").asText();
        assertThat(id).startsWith("msgbatch_");

        JsonNode ended = JSON.readTree(call("GET", "/v1/messages/batches/" + id, null).body());
        assertThat(ended.get("processing_status").asText()).isEqualTo("ended");
        assertThat(ended.at("/request_counts/succeeded").asInt()).isEqualTo(19);
        assertThat(ended.at("/request_counts/errored").asInt()).isEqualTo(1);

        String[] lines =
                call("GET", "/v1/messages/batches/" + id + "/results", null).body().split("\n");
        Set<String> ids = new HashSet<>();
        List<String> order = new ArrayList<>();
        for (String l : lines) {
            JsonNode n = JSON.readTree(l);
            assertThat(ids.add(n.get("custom_id").asText())).isTrue();
            order.add(n.get("custom_id").asText());
        }
        assertThat(ids).hasSize(20);
        assertThat(order)
                .isNotEqualTo(
                        order.stream()
                                .sorted(
                                        (a, b) ->
                                                Integer.compare(
                                                        Integer.parseInt(a.substring(2)),
                                                        Integer.parseInt(b.substring(2))))
                                .toList());
        assertThat(call("DELETE", "/v1/messages/batches/" + id, null).statusCode()).isEqualTo(200);
        assertThat(sim.liveBatchIds()).isEmpty();
    }

    @Test
    void structuralProblems_areRefusedAtCreate_asAnthropicDoes() throws Exception {
        String badId =
                "{\"requests\":[{\"custom_id\":\"has space\",\"params\":{\"model\":\"m\"}}]}";
        HttpResponse<String> r = call("POST", "/v1/messages/batches", badId);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).at("/error/type").asText())
                .isEqualTo("invalid_request_error");
        HttpResponse<String> noKey =
                http.send(
                        HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/v1/messages/batches/x"))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(noKey.statusCode()).isEqualTo(401);
        assertThat(sim.createCount()).isZero();
    }

    @Test
    void answers_conformToTheOfficialSpec() throws Exception {
        var dir = OpenApiSpec.specsDir();
        assumeTrue(
                dir.isPresent()
                        && dir.get().resolve("anthropic-message-batches.yaml").toFile().isFile(),
                "../shared/specs/anthropic-message-batches.yaml is not beside the repository; the provider's document is not copied into it");
        OpenApiSpec spec = OpenApiSpec.load(dir.get().resolve("anthropic-message-batches.yaml"));
        sim.expireNextBatches(1, 0.5);
        sim.failLines(id -> id.equals("r-1"), "overloaded_error", "Overloaded");
        JsonNode created = JSON.readTree(call("POST", "/v1/messages/batches", requests(6)).body());
        assertThat(spec.validate("MessageBatch", created)).isEmpty();
        String id = created.get("id").asText();
        JsonNode ended = JSON.readTree(call("GET", "/v1/messages/batches/" + id, null).body());
        assertThat(spec.validate("MessageBatch", ended)).isEmpty();
        for (String l :
                call("GET", "/v1/messages/batches/" + id + "/results", null).body().split("\n")) {
            assertThat(spec.validate("MessageBatchIndividualResponse", JSON.readTree(l)))
                    .as(l)
                    .isEmpty();
        }
        JsonNode deleted = JSON.readTree(call("DELETE", "/v1/messages/batches/" + id, null).body());
        assertThat(spec.validate("DeleteMessageBatchResponse", deleted)).isEmpty();
        // the validator does reject what breaks the schema
        assertThat(
                        spec.validate(
                                "MessageBatch",
                                JSON.readTree("{\"id\":\"x\",\"type\":\"message_batch\"}")))
                .isNotEmpty();
    }

    @Test
    void
            queueLimit_refusesACreateBeyondIt_with429RateLimitError_andCreatesNothing_untilABatchHasEnded()
                    throws Exception {
        sim.setQueueLimit(25);
        HttpResponse<String> first = call("POST", "/v1/messages/batches", requests(20));
        assertThat(first.statusCode()).isEqualTo(200);

        HttpResponse<String> refused = call("POST", "/v1/messages/batches", requests(10));
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(JSON.readTree(refused.body()).at("/error/type").asText())
                .isEqualTo("rate_limit_error");
        assertThat(refused.headers().firstValue("retry-after")).isPresent();
        assertThat(sim.createCount()).as("nothing created by the refused call").isEqualTo(1);
        assertThat(sim.liveBatchIds()).hasSize(1);
        assertThat(call("POST", "/v1/messages/batches", requests(5)).statusCode())
                .as("room for 5")
                .isEqualTo(200);

        // once the first batch ends, its requests leave the queue
        call("GET", "/v1/messages/batches/" + JSON.readTree(first.body()).get("id").asText(), null);
        assertThat(call("POST", "/v1/messages/batches", requests(10)).statusCode()).isEqualTo(200);
        assertThat(sim.queueRefusals()).isEqualTo(1);
        assertThat(sim.queuePeak()).isEqualTo(25);
    }

    /**
     * Two jobs' files reuse their ids (r-0…): Anthropic takes both batches, lists them newest first
     * a page at a time, and serves results only once a batch has ended, so a look-up cannot tell
     * them apart before.
     */
    @Test
    void twoBatchesWithTheSameIds_areBothTaken_listedNewestFirstByPage_resultsOnlyOnceEnded()
            throws Exception {
        sim.setStepDuration(Duration.ofHours(1));
        String first =
                JSON.readTree(call("POST", "/v1/messages/batches", requests(3)).body())
                        .get("id")
                        .asText();
        String second =
                JSON.readTree(call("POST", "/v1/messages/batches", requests(3)).body())
                        .get("id")
                        .asText();
        assertThat(sim.batchesHolding("r-0")).isEqualTo(2);

        JsonNode page1 = JSON.readTree(call("GET", "/v1/messages/batches?limit=1", null).body());
        assertThat(page1.get("data").get(0).get("id").asText()).isEqualTo(second);
        assertThat(page1.get("has_more").asBoolean()).isTrue();
        JsonNode page2 =
                JSON.readTree(
                        call(
                                        "GET",
                                        "/v1/messages/batches?limit=1&after_id="
                                                + page1.get("last_id").asText(),
                                        null)
                                .body());
        assertThat(page2.get("data").get(0).get("id").asText()).isEqualTo(first);
        assertThat(page2.get("has_more").asBoolean()).isFalse();

        HttpResponse<String> early =
                call("GET", "/v1/messages/batches/" + first + "/results", null);
        assertThat(early.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(early.body()).path("error").path("type").asText())
                .isEqualTo("invalid_request_error");
    }
}
