package dev.batchlane.simulator.openai;

import static dev.batchlane.simulator.openai.FilesApiTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.simulator.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class BatchLifecycleTest {
    private static final Instant START = Instant.parse("2026-09-01T10:00:00Z");
    private static final Duration TICK = Duration.ofSeconds(5);

    private MutableClock clock;
    private OpenAiSimulator sim;
    private SimClient client;

    @BeforeEach
    void start() {
        clock = new MutableClock(START);
        sim = OpenAiSimulator.builder().clock(clock).stepDuration(Duration.ZERO).seed(1234).start();
        client = new SimClient(sim.baseUrl());
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    @Test
    void createBatch_thenRetrieve_progressesThroughStatusesToCompleted() {
        String inputFileId = client.uploadJsonl(Jsonl.chat(4));
        JsonNode created =
                client.createBatch(inputFileId, Jsonl.CHAT, Map.of("job", "j-42", "shard", "3"))
                        .json();
        String id = created.get("id").asText();
        long t0 = START.getEpochSecond();

        List<JsonNode> seen = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clock.advance(TICK);
            seen.add(client.getBatch(id).json());
        }

        assertThat(id).startsWith("batch_");
        assertThat(created.get("object").asText()).isEqualTo("batch");
        assertThat(created.get("status").asText()).isEqualTo("validating");
        assertThat(created.get("input_file_id").asText()).isEqualTo(inputFileId);
        assertThat(created.get("endpoint").asText()).isEqualTo(Jsonl.CHAT);
        assertThat(created.get("completion_window").asText()).isEqualTo("24h");
        assertThat(created.get("created_at").asLong()).isEqualTo(t0);
        assertThat(created.get("expires_at").asLong()).isEqualTo(t0 + 86_400);
        assertThat(created.get("in_progress_at").isNull()).isTrue();
        assertThat(created.get("output_file_id").isNull()).isTrue();
        assertThat(created.get("metadata"))
                .isEqualTo(SimClient.JSON.valueToTree(Map.of("job", "j-42", "shard", "3")));
        assertThat(seen)
                .extracting(b -> b.get("status").asText())
                .containsExactly("in_progress", "finalizing", "completed");

        JsonNode inProgress = seen.get(0);
        assertThat(inProgress.get("in_progress_at").asLong()).isEqualTo(t0 + 5);
        assertThat(inProgress.get("model").asText()).isEqualTo(Jsonl.MODEL);
        assertThat(inProgress.at("/request_counts/total").asInt()).isEqualTo(4);
        assertThat(inProgress.at("/request_counts/completed").asInt()).isZero();
        assertThat(inProgress.get("usage").isNull()).isTrue();

        JsonNode completed = seen.get(2);
        assertThat(completed.get("finalizing_at").asLong()).isEqualTo(t0 + 10);
        assertThat(completed.get("completed_at").asLong()).isEqualTo(t0 + 15);
        assertThat(completed.get("id").asText()).isEqualTo(id);
        assertThat(completed.get("metadata")).isEqualTo(created.get("metadata"));
        assertThat(completed.at("/request_counts/completed").asInt()).isEqualTo(4);
        assertThat(completed.at("/request_counts/failed").asInt()).isZero();
        assertThat(completed.get("output_file_id").asText()).startsWith("file-");
        assertThat(completed.get("error_file_id").isNull()).isTrue();
        assertThat(completed.get("errors").isNull()).isTrue();
        for (String never : List.of("failed_at", "expired_at", "cancelling_at", "cancelled_at")) {
            assertThat(completed.get(never).isNull()).as(never).isTrue();
        }
        assertThat(sim.batch(id))
                .get()
                .extracting(BatchSnapshot::status)
                .isEqualTo(BatchStatus.COMPLETED);
    }

    @Test
    void retrieveBatch_beforeStepDurationHasPassed_doesNotAdvance() {
        sim.setStepDuration(Duration.ofMinutes(1));
        String id = client.submit(Jsonl.chat(1), Jsonl.CHAT);

        String early = client.getBatch(id).json().get("status").asText();
        clock.advance(Duration.ofSeconds(59));
        String stillEarly = client.getBatch(id).json().get("status").asText();
        clock.advance(Duration.ofSeconds(1));
        String onTime = client.getBatch(id).json().get("status").asText();
        String sameInstant = client.getBatch(id).json().get("status").asText();

        assertThat(List.of(early, stillEarly, onTime, sameInstant))
                .containsExactly("validating", "validating", "in_progress", "in_progress");
    }

    @Test
    void completedBatch_outputAndErrorFiles_containEveryCustomIdExactlyOnce() {
        sim.failLines(
                id -> id.equals("req-3") || id.equals("req-17"),
                500,
                "server_error",
                "simulated outage");
        String id = client.submit(Jsonl.chat(40), Jsonl.CHAT);

        JsonNode batch = client.pollToTerminal(id);
        List<JsonNode> output = client.download(batch.get("output_file_id").asText());
        List<JsonNode> errors = client.download(batch.get("error_file_id").asText());

        List<String> all =
                Stream.concat(output.stream(), errors.stream())
                        .map(line -> line.get("custom_id").asText())
                        .toList();
        assertThat(all).hasSize(40).containsExactlyInAnyOrderElementsOf(Jsonl.ids(40));
        assertThat(errors)
                .extracting(line -> line.get("custom_id").asText())
                .containsExactlyInAnyOrder("req-3", "req-17");
        assertThat(batch.at("/request_counts/completed").asInt()).isEqualTo(38);
        assertThat(batch.at("/request_counts/failed").asInt()).isEqualTo(2);
    }

    @Test
    void completedBatch_outputLine_isAChatCompletionWithDeterministicUsage() {
        String jsonl =
                Jsonl.chatLine("plain", "abcdefghij", null)
                        + "\n"
                        + Jsonl.chatLine("capped", "abcd", 5)
                        + "\n";
        String id = client.submit(jsonl, Jsonl.CHAT);

        JsonNode batch = client.pollToTerminal(id);
        Map<String, JsonNode> byId =
                client.download(batch.get("output_file_id").asText()).stream()
                        .collect(
                                Collectors.toMap(
                                        line -> line.get("custom_id").asText(), line -> line));

        JsonNode plain = byId.get("plain");
        assertThat(plain.get("id").asText()).startsWith("batch_req_");
        assertThat(plain.get("error").isNull()).isTrue();
        assertThat(plain.at("/response/status_code").asInt()).isEqualTo(200);
        assertThat(plain.at("/response/request_id").asText()).startsWith("req_");
        JsonNode body = plain.at("/response/body");
        assertThat(body.get("id").asText()).startsWith("chatcmpl-");
        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        assertThat(body.get("created").asLong()).isEqualTo(START.getEpochSecond());
        assertThat(body.get("model").asText()).isEqualTo(Jsonl.MODEL);
        assertThat(body.at("/choices/0/index").asInt()).isZero();
        assertThat(body.at("/choices/0/message/role").asText()).isEqualTo("assistant");
        assertThat(body.at("/choices/0/message/content").asText()).isNotBlank();
        assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        // ceil(10 chars / 4) + 3 for the one message = 6; 16 completion tokens when uncapped.
        assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(6);
        assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(16);
        assertThat(body.at("/usage/total_tokens").asInt()).isEqualTo(22);
        assertThat(body.at("/usage/prompt_tokens_details/cached_tokens").asInt()).isZero();

        JsonNode capped = byId.get("capped").at("/response/body");
        assertThat(capped.at("/usage/prompt_tokens").asInt()).isEqualTo(4);
        assertThat(capped.at("/usage/completion_tokens").asInt()).isEqualTo(5);
        assertThat(capped.at("/choices/0/finish_reason").asText()).isEqualTo("length");

        JsonNode usage = batch.get("usage");
        assertThat(usage.get("input_tokens").asLong()).isEqualTo(10);
        assertThat(usage.at("/input_tokens_details/cached_tokens").asLong()).isZero();
        assertThat(usage.get("output_tokens").asLong()).isEqualTo(21);
        assertThat(usage.at("/output_tokens_details/reasoning_tokens").asLong()).isZero();
        assertThat(usage.get("total_tokens").asLong()).isEqualTo(31);
        assertThat(sim.knownUsage()).isEqualTo(new KnownUsage(10, 0, 21));
    }

    @Test
    void cachedInputFraction_isReportedInLineAndBatchUsage() {
        sim.setCachedInputFraction(0.5);
        String id = client.submit(Jsonl.chatLine("a", "x".repeat(40), null) + "\n", Jsonl.CHAT);

        JsonNode batch = client.pollToTerminal(id);
        JsonNode line = client.download(batch.get("output_file_id").asText()).get(0);

        // 40 chars -> 10 tokens + 3 = 13 prompt tokens, floor(13 * 0.5) = 6 cached.
        assertThat(line.at("/response/body/usage/prompt_tokens_details/cached_tokens").asInt())
                .isEqualTo(6);
        assertThat(batch.at("/usage/input_tokens_details/cached_tokens").asInt()).isEqualTo(6);
        assertThat(sim.knownUsage()).isEqualTo(new KnownUsage(13, 6, 16));
    }

    @Test
    void outputOrder_isShuffledRelativeToInput_andReproducibleWithTheSameSeed() {
        String jsonl = Jsonl.chat(50);
        List<String> first = outputOrder(client, jsonl);
        List<String> again;
        try (OpenAiSimulator twin =
                OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(1234).start()) {
            again = outputOrder(new SimClient(twin.baseUrl()), jsonl);
        }

        assertThat(first).containsExactlyInAnyOrderElementsOf(Jsonl.ids(50));
        assertThat(first).isNotEqualTo(Jsonl.ids(50));
        assertThat(again).isEqualTo(first);
    }

    private static List<String> outputOrder(SimClient client, String jsonl) {
        JsonNode batch = client.pollToTerminal(client.submit(jsonl, Jsonl.CHAT));
        return client.download(batch.get("output_file_id").asText()).stream()
                .map(line -> line.get("custom_id").asText())
                .toList();
    }

    @Test
    void embeddingsBatch_returnsEmbeddingListsWithPromptUsage() {
        ObjectNode body = SimClient.JSON.createObjectNode().put("model", "text-embedding-3-small");
        body.putArray("input").add("abcd").add("efgh");
        String id =
                client.submit(Jsonl.line("emb-1", "/v1/embeddings", body) + "\n", "/v1/embeddings");

        JsonNode batch = client.pollToTerminal(id);
        JsonNode response =
                client.download(batch.get("output_file_id").asText()).get(0).at("/response/body");

        assertThat(response.get("object").asText()).isEqualTo("list");
        assertThat(response.get("model").asText()).isEqualTo("text-embedding-3-small");
        assertThat(response.get("data")).hasSize(2);
        assertThat(response.at("/data/1/object").asText()).isEqualTo("embedding");
        assertThat(response.at("/data/1/index").asInt()).isEqualTo(1);
        assertThat(response.at("/data/0/embedding")).isNotEmpty().allMatch(JsonNode::isNumber);
        assertThat(response.at("/usage/prompt_tokens").asInt()).isEqualTo(2);
        assertThat(response.at("/usage/total_tokens").asInt()).isEqualTo(2);
        assertThat(batch.at("/usage/output_tokens").asInt()).isZero();
    }

    @Test
    void responsesBatch_returnsResponseObjectsWithResponsesUsage() {
        ObjectNode body =
                SimClient.JSON
                        .createObjectNode()
                        .put("model", "gpt-5-mini")
                        .put("input", "abcdefgh");
        body.put("max_output_tokens", 100);
        String id = client.submit(Jsonl.line("r-1", "/v1/responses", body) + "\n", "/v1/responses");

        JsonNode batch = client.pollToTerminal(id);
        JsonNode response =
                client.download(batch.get("output_file_id").asText()).get(0).at("/response/body");

        assertThat(response.get("object").asText()).isEqualTo("response");
        assertThat(response.get("id").asText()).startsWith("resp_");
        assertThat(response.get("status").asText()).isEqualTo("completed");
        assertThat(response.at("/output/0/content/0/type").asText()).isEqualTo("output_text");
        // ceil(8 / 4) + 3 for the one input item = 5.
        assertThat(response.at("/usage/input_tokens").asInt()).isEqualTo(5);
        assertThat(response.at("/usage/input_tokens_details/cached_tokens").asInt()).isZero();
        assertThat(response.at("/usage/output_tokens").asInt()).isEqualTo(16);
        assertThat(response.at("/usage/total_tokens").asInt()).isEqualTo(21);
        assertThat(batch.get("model").asText()).isEqualTo("gpt-5-mini");
    }

    @Test
    void lineWithoutModel_failsAloneWith400InTheErrorFile() {
        ObjectNode noModel = SimClient.JSON.createObjectNode();
        noModel.putArray("messages").addObject().put("role", "user").put("content", "hi");
        String jsonl =
                Jsonl.chatLine("ok", "hi", null)
                        + "\n"
                        + Jsonl.line("bad", Jsonl.CHAT, noModel)
                        + "\n";

        JsonNode batch = client.pollToTerminal(client.submit(jsonl, Jsonl.CHAT));
        List<JsonNode> errors = client.download(batch.get("error_file_id").asText());

        assertThat(batch.get("status").asText()).isEqualTo("completed");
        assertThat(errors)
                .singleElement()
                .satisfies(
                        line -> {
                            assertThat(line.get("custom_id").asText()).isEqualTo("bad");
                            assertThat(line.at("/response/status_code").asInt()).isEqualTo(400);
                            assertThat(line.at("/response/body/error/type").asText())
                                    .isEqualTo("invalid_request_error");
                        });
    }

    @Test
    void deletingTheInputFileAfterCreate_doesNotBreakTheBatch() {
        String inputFileId = client.uploadJsonl(Jsonl.chat(3));
        String id = client.createBatch(inputFileId, Jsonl.CHAT, null).json().get("id").asText();

        client.delete("/files/" + inputFileId);
        JsonNode batch = client.pollToTerminal(id);

        assertThat(batch.get("status").asText()).isEqualTo("completed");
        assertThat(client.download(batch.get("output_file_id").asText())).hasSize(3);
    }

    @Test
    void resultFiles_areBatchOutputFilesNamedAfterTheBatch_andCanBeDeleted() {
        sim.failLines(id -> id.equals("req-1"), 400, "invalid_value", "no");
        String inputFileId = client.uploadJsonl(Jsonl.chat(2));
        String id = client.createBatch(inputFileId, Jsonl.CHAT, null).json().get("id").asText();
        JsonNode batch = client.pollToTerminal(id);
        String outputId = batch.get("output_file_id").asText();
        String errorId = batch.get("error_file_id").asText();

        JsonNode output = client.get("/files/" + outputId).json();
        JsonNode error = client.get("/files/" + errorId).json();

        assertThat(output.get("purpose").asText()).isEqualTo("batch_output");
        assertThat(output.get("filename").asText()).isEqualTo(id + "_output.jsonl");
        assertThat(error.get("filename").asText()).isEqualTo(id + "_error.jsonl");
        assertThat(output.get("bytes").asLong())
                .isEqualTo(client.get("/files/" + outputId + "/content").body().length);
        assertThat(sim.liveFileIds()).containsExactlyInAnyOrder(inputFileId, outputId, errorId);
        for (String file : List.of(inputFileId, outputId, errorId)) {
            assertThat(client.delete("/files/" + file).status()).isEqualTo(200);
        }
        assertThat(sim.liveFileIds()).isEmpty();
    }

    @Test
    void cancelBatch_inProgress_isCancellingThenCancelledWithPartialResults() {
        sim.setFractionCompletedBeforeCancel(0.25);
        String id = client.submit(Jsonl.chat(8), Jsonl.CHAT);
        client.getBatch(id);
        clock.advance(TICK);

        JsonNode cancelling = client.post("/batches/" + id + "/cancel", "").json();
        clock.advance(TICK);
        JsonNode cancelled = client.getBatch(id).json();
        List<JsonNode> output = client.download(cancelled.get("output_file_id").asText());
        List<JsonNode> errors = client.download(cancelled.get("error_file_id").asText());

        assertThat(cancelling.get("status").asText()).isEqualTo("cancelling");
        assertThat(cancelling.get("cancelling_at").asLong()).isEqualTo(START.getEpochSecond() + 5);
        assertThat(cancelled.get("status").asText()).isEqualTo("cancelled");
        assertThat(cancelled.get("cancelled_at").asLong()).isEqualTo(START.getEpochSecond() + 10);
        assertThat(output).hasSize(2);
        assertThat(errors)
                .hasSize(6)
                .allSatisfy(
                        line -> {
                            assertThat(line.get("response").isNull()).isTrue();
                            assertThat(line.at("/error/code").asText())
                                    .isEqualTo("batch_cancelled");
                        });
        assertThat(cancelled.at("/request_counts/completed").asInt()).isEqualTo(2);
    }

    @Test
    void cancelBatch_whileValidating_endsCancelledWithoutFiles() {
        String id = client.submit(Jsonl.chat(2), Jsonl.CHAT);

        client.post("/batches/" + id + "/cancel", "");
        JsonNode cancelled = client.getBatch(id).json();

        assertThat(cancelled.get("status").asText()).isEqualTo("cancelled");
        assertThat(cancelled.get("output_file_id").isNull()).isTrue();
        assertThat(cancelled.get("error_file_id").isNull()).isTrue();
    }

    @Test
    void cancelBatch_completedOrUnknown_isRejected() {
        String id = client.submit(Jsonl.chat(1), Jsonl.CHAT);
        client.pollToTerminal(id);

        assertError(client.post("/batches/" + id + "/cancel", ""), 400, "invalid_request_error");
        assertError(client.post("/batches/batch_nope/cancel", ""), 404, "invalid_request_error");
    }

    @Test
    void listBatches_newestFirst_paginatesWithAfterAndLimit() {
        List<String> ids =
                IntStream.range(0, 5)
                        .mapToObj(i -> client.submit(Jsonl.chat(1), Jsonl.CHAT))
                        .toList();

        JsonNode first = client.get("/batches?limit=2").json();
        JsonNode second =
                client.get("/batches?limit=2&after=" + first.get("last_id").asText()).json();
        JsonNode rest = client.get("/batches?after=" + second.get("last_id").asText()).json();

        assertThat(first.get("object").asText()).isEqualTo("list");
        assertThat(first.get("data"))
                .extracting(b -> b.get("id").asText())
                .containsExactly(ids.get(4), ids.get(3));
        assertThat(first.get("first_id").asText()).isEqualTo(ids.get(4));
        assertThat(first.get("has_more").asBoolean()).isTrue();
        assertThat(second.get("data"))
                .extracting(b -> b.get("id").asText())
                .containsExactly(ids.get(2), ids.get(1));
        assertThat(rest.get("data"))
                .extracting(b -> b.get("id").asText())
                .containsExactly(ids.get(0));
        assertThat(rest.get("has_more").asBoolean()).isFalse();
        assertError(client.get("/batches?limit=101"), 400, "invalid_request_error");
        assertThat(sim.batches()).extracting(BatchSnapshot::id).containsExactlyElementsOf(ids);
    }

    @Test
    void listBatches_doesNotAdvanceBatches() {
        String id = client.submit(Jsonl.chat(1), Jsonl.CHAT);

        client.get("/batches");
        client.get("/batches");

        assertThat(sim.batch(id))
                .get()
                .extracting(BatchSnapshot::status)
                .isEqualTo(BatchStatus.VALIDATING);
    }

    @Test
    void retrieveBatch_unknownId_answers404() {
        assertError(client.getBatch("batch_unknown"), 404, "invalid_request_error");
    }

    static Stream<Arguments> invalidCreateRequests() {
        String seventeen =
                IntStream.range(0, 17)
                        .mapToObj(i -> "\"k" + i + "\":\"v\"")
                        .collect(Collectors.joining(",", "{", "}"));
        return Stream.of(
                Arguments.of(
                        "{\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}",
                        "input_file_id"),
                Arguments.of(
                        "{\"input_file_id\":\"%s\",\"completion_window\":\"24h\"}", "endpoint"),
                Arguments.of(
                        "{\"input_file_id\":\"%s\",\"endpoint\":\"/v1/chat/completions\"}",
                        "completion_window"),
                Arguments.of(
                        "{\"input_file_id\":\"%s\",\"endpoint\":\"/v1/audio\",\"completion_window\":\"24h\"}",
                        "endpoint"),
                Arguments.of(
                        "{\"input_file_id\":\"%s\",\"endpoint\":\"/v1/chat/completions\","
                                + "\"completion_window\":\"48h\"}",
                        "completion_window"),
                Arguments.of(
                        "{\"input_file_id\":\"%s\",\"endpoint\":\"/v1/chat/completions\","
                                + "\"completion_window\":\"24h\",\"metadata\":"
                                + seventeen
                                + "}",
                        "metadata"),
                Arguments.of(
                        "{\"input_file_id\":\"%s\",\"endpoint\":\"/v1/chat/completions\","
                                + "\"completion_window\":\"24h\",\"metadata\":{\"n\":1}}",
                        "metadata"),
                Arguments.of(
                        "{\"input_file_id\":\"file-missing\",\"endpoint\":\"/v1/chat/completions\","
                                + "\"completion_window\":\"24h\"}",
                        "input_file_id"),
                Arguments.of(
                        "{\"input_file_id\":\"%s\",\"endpoint\":\"/v1/chat/completions\","
                                + "\"completion_window\":\"24h\",\"priority\":1}",
                        "priority"),
                Arguments.of(
                        "{\"input_file_id\":\"%s\",\"endpoint\":\"/v1/chat/completions\","
                                + "\"completion_window\":\"24h\",\"output_expires_after\":{\"anchor\":\"created_at\","
                                + "\"seconds\":60}}",
                        "output_expires_after.seconds"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("invalidCreateRequests")
    void createBatch_invalidRequest_isRejectedWith400NamingTheParameter(
            String template, String param) {
        String inputFileId = client.uploadJsonl(Jsonl.chat(1));

        SimClient.Response response = client.post("/batches", template.replace("%s", inputFileId));

        assertError(response, 400, "invalid_request_error");
        assertThat(response.json().at("/error/param").asText()).isEqualTo(param);
        assertThat(sim.batches()).isEmpty();
    }

    @Test
    void createBatch_notJson_isRejectedWith400() {
        assertError(client.post("/batches", "input_file_id=x"), 400, "invalid_request_error");
    }

    @Test
    void createBatch_onABatchOutputFile_isRejected() {
        JsonNode done = client.pollToTerminal(client.submit(Jsonl.chat(1), Jsonl.CHAT));

        SimClient.Response response =
                client.createBatch(done.get("output_file_id").asText(), Jsonl.CHAT, null);

        assertError(response, 400, "invalid_request_error");
        assertThat(response.json().at("/error/message").asText()).contains("batch_output");
    }

    @Test
    void outputExpiresAfter_setsTheResultFilesExpiry() {
        String inputFileId = client.uploadJsonl(Jsonl.chat(1));
        String body =
                "{\"input_file_id\":\""
                        + inputFileId
                        + "\",\"endpoint\":\"/v1/chat/completions\","
                        + "\"completion_window\":\"24h\",\"output_expires_after\":{\"anchor\":\"created_at\",\"seconds\":3600}}";
        String id = client.post("/batches", body).json().get("id").asText();

        JsonNode batch = client.pollToTerminal(id);
        JsonNode output = client.get("/files/" + batch.get("output_file_id").asText()).json();

        assertThat(output.get("expires_at").asLong())
                .isEqualTo(output.get("created_at").asLong() + 3600);
    }

    @Test
    void outputExpiresAfter_thirtyDays_theMostTheApiAllows_isAccepted() {
        String inputFileId = client.uploadJsonl(Jsonl.chat(1));
        String body =
                "{\"input_file_id\":\""
                        + inputFileId
                        + "\",\"endpoint\":\"/v1/chat/completions\","
                        + "\"completion_window\":\"24h\",\"output_expires_after\":{\"anchor\":\"created_at\",\"seconds\":2592000}}";
        String id = client.post("/batches", body).json().get("id").asText();

        JsonNode batch = client.pollToTerminal(id);
        JsonNode output = client.get("/files/" + batch.get("output_file_id").asText()).json();

        assertThat(output.get("expires_at").asLong())
                .isEqualTo(output.get("created_at").asLong() + 2_592_000);
    }

    @Test
    void createBatch_outputExpiryAboveThirtyDays_isRejectedAsTheApiDoes() {
        String inputFileId = client.uploadJsonl(Jsonl.chat(1));
        String body =
                "{\"input_file_id\":\""
                        + inputFileId
                        + "\",\"endpoint\":\"/v1/chat/completions\","
                        + "\"completion_window\":\"24h\",\"output_expires_after\":{\"anchor\":\"created_at\",\"seconds\":2592001}}";

        SimClient.Response response = client.post("/batches", body);

        assertError(response, 400, "invalid_request_error");
        assertThat(response.json().at("/error/param").asText())
                .isEqualTo("output_expires_after.seconds");
        assertThat(response.json().at("/error/message").asText())
                .contains("between 3600 and 2592000")
                .contains("2592001");
        assertThat(sim.batches()).isEmpty();
    }

    @Test
    void reset_forgetsFilesBatchesFaultsAndCounters() {
        sim.failLines(id -> true, 500, null, null);
        client.pollToTerminal(client.submit(Jsonl.chat(2), Jsonl.CHAT));

        sim.reset();
        JsonNode after = client.pollToTerminal(client.submit(Jsonl.chat(2), Jsonl.CHAT));

        assertThat(after.get("error_file_id").isNull()).isTrue();
        assertThat(sim.batches()).hasSize(1);
        assertThat(sim.uploadCount()).isEqualTo(1);
        assertThat(sim.liveFileIds()).hasSize(2);
        assertThat(sim.requestLog()).extracting(RecordedRequest::path).startsWith("/v1/files");
        assertThat(sim.knownUsage().outputTokens()).isEqualTo(32);
    }

    /**
     * A create under an enqueued-token limit holds the engine's monitor and then reads each
     * batch's; a retrieve that finishes a batch holds that batch's. Finishing must not then wait
     * for the engine's, or the two deadlock (fifty files dropped at once in the fault suite did:
     * every later call to the simulator hung).
     */
    @Test
    void retrieveThatFinishesABatch_completesWhileAnotherCallHoldsTheEngine() throws Exception {
        String id = client.submit(Jsonl.chat(2), Jsonl.CHAT);
        for (int i = 0;
                i < 5 && !client.getBatch(id).json().get("status").asText().equals("finalizing");
                i++) {}
        var other = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            synchronized (sim.engine()) {
                var finishing = other.submit(() -> client.getBatch(id).json());
                assertThat(
                                finishing
                                        .get(60, java.util.concurrent.TimeUnit.SECONDS)
                                        .get("status")
                                        .asText())
                        .isEqualTo("completed");
            }
        } finally {
            other.shutdownNow();
        }
    }
}
