package dev.batchlane.simulator.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.simulator.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Failures of lines and batches: on demand, by validation, and by expiry. */
class BatchFailuresTest {
    private static final Instant START = Instant.parse("2026-09-01T10:00:00Z");

    private MutableClock clock;
    private OpenAiSimulator sim;
    private SimClient client;

    @BeforeEach
    void start() {
        clock = new MutableClock(START);
        sim = OpenAiSimulator.builder().clock(clock).stepDuration(Duration.ZERO).start();
        client = new SimClient(sim.baseUrl());
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    @Test
    void failLines_landInTheErrorFileWithTheConfiguredStatusAndBody() {
        sim.failLines(
                id -> id.equals("req-2"),
                429,
                "rate_limit_exceeded",
                "Too many tokens for this line.");
        sim.failLines(id -> id.equals("req-4"), 503, null, null);

        JsonNode batch = client.pollToTerminal(client.submit(Jsonl.chat(5), Jsonl.CHAT));
        List<JsonNode> errors = client.download(batch.get("error_file_id").asText());

        assertThat(errors).hasSize(2);
        JsonNode limited =
                errors.stream()
                        .filter(l -> l.get("custom_id").asText().equals("req-2"))
                        .findFirst()
                        .orElseThrow();
        assertThat(limited.get("id").asText()).startsWith("batch_req_");
        assertThat(limited.get("error").isNull()).isTrue();
        assertThat(limited.at("/response/status_code").asInt()).isEqualTo(429);
        assertThat(limited.at("/response/request_id").asText()).startsWith("req_");
        assertThat(limited.at("/response/body/error/message").asText())
                .isEqualTo("Too many tokens for this line.");
        assertThat(limited.at("/response/body/error/code").asText())
                .isEqualTo("rate_limit_exceeded");
        assertThat(limited.at("/response/body/error/type").asText()).isEqualTo("requests");
        assertThat(limited.at("/response/body/error").has("param")).isTrue();
        JsonNode unavailable =
                errors.stream()
                        .filter(l -> l.get("custom_id").asText().equals("req-4"))
                        .findFirst()
                        .orElseThrow();
        assertThat(unavailable.at("/response/status_code").asInt()).isEqualTo(503);
        assertThat(unavailable.at("/response/body/error/type").asText()).isEqualTo("server_error");
        assertThat(batch.get("status").asText()).isEqualTo("completed");
        assertThat(batch.at("/request_counts/failed").asInt()).isEqualTo(2);
    }

    @Test
    void failFraction_failsAboutThatShare_choosingTheSameLinesForTheSameSeed() {
        sim.failFraction(0.3, 99);
        JsonNode first = client.pollToTerminal(client.submit(Jsonl.chat(200), Jsonl.CHAT));
        Set<String> failedFirst = customIds(client.download(first.get("error_file_id").asText()));
        JsonNode second = client.pollToTerminal(client.submit(Jsonl.chat(200), Jsonl.CHAT));
        Set<String> failedSecond = customIds(client.download(second.get("error_file_id").asText()));

        assertThat(failedFirst).hasSizeBetween(40, 80).isEqualTo(failedSecond);
        assertThat(client.download(first.get("error_file_id").asText()))
                .allSatisfy(
                        line ->
                                assertThat(line.at("/response/status_code").asInt())
                                        .isEqualTo(500));
        assertThat(first.at("/request_counts/failed").asInt()).isEqualTo(failedFirst.size());
    }

    @Test
    void expireNextBatches_expiresInsteadOfFinalizing_withPartialResults() {
        sim.expireNextBatches(1, 0.4);
        String id = client.submit(Jsonl.chat(10), Jsonl.CHAT);

        List<String> statuses =
                Stream.of(1, 2)
                        .map(
                                i -> {
                                    clock.advance(Duration.ofSeconds(1));
                                    return client.getBatch(id).json().get("status").asText();
                                })
                        .toList();
        JsonNode expired = client.getBatch(id).json();
        List<JsonNode> output = client.download(expired.get("output_file_id").asText());
        List<JsonNode> errors = client.download(expired.get("error_file_id").asText());

        assertThat(statuses).containsExactly("in_progress", "expired");
        assertThat(expired.get("expired_at").asLong()).isEqualTo(START.getEpochSecond() + 2);
        assertThat(expired.get("finalizing_at").isNull()).isTrue();
        assertThat(output).hasSize(4);
        assertThat(errors)
                .hasSize(6)
                .allSatisfy(
                        line -> {
                            assertThat(line.get("response").isNull()).isTrue();
                            assertThat(line.at("/error/code").asText()).isEqualTo("batch_expired");
                            assertThat(line.at("/error/message").asText())
                                    .isEqualTo(
                                            "This request could not be executed before the completion window expired.");
                        });
        assertThat(customIds(output)).doesNotContainAnyElementsOf(customIds(errors));
        assertThat(expired.at("/request_counts/completed").asInt()).isEqualTo(4);
        assertThat(expired.at("/usage/output_tokens").asInt()).isEqualTo(4 * 16);

        String next = client.submit(Jsonl.chat(1), Jsonl.CHAT);
        assertThat(client.pollToTerminal(next).get("status").asText()).isEqualTo("completed");
    }

    @Test
    void expireNextBatches_withNothingDone_hasOnlyAnErrorFile() {
        sim.expireNextBatches(1, 0.0);

        JsonNode expired = client.pollToTerminal(client.submit(Jsonl.chat(3), Jsonl.CHAT));

        assertThat(expired.get("status").asText()).isEqualTo("expired");
        assertThat(expired.get("output_file_id").isNull()).isTrue();
        assertThat(client.download(expired.get("error_file_id").asText())).hasSize(3);
    }

    @Test
    void batchWhoseWindowClosesOnTheClock_expires() {
        sim.setStepDuration(Duration.ofHours(1));
        String id = client.submit(Jsonl.chat(2), Jsonl.CHAT);
        clock.advance(Duration.ofHours(1));
        client.getBatch(id);

        clock.advance(Duration.ofHours(24));
        JsonNode batch = client.getBatch(id).json();

        assertThat(batch.get("status").asText()).isEqualTo("expired");
        assertThat(client.download(batch.get("error_file_id").asText()))
                .extracting(line -> line.at("/error/code").asText())
                .containsOnly("batch_expired");
    }

    static Stream<Arguments> invalidInputFiles() {
        String ok = Jsonl.chatLine("a", "hi", null);
        return Stream.of(
                Arguments.of(ok + "\n{not json\n", "invalid_json_line", 2),
                Arguments.of(ok + "\n" + ok + "\n", "duplicate_custom_id", 2),
                Arguments.of(
                        ok.replace("/v1/chat/completions", "/v1/embeddings"), "url_mismatch", 1),
                Arguments.of(
                        "{\"custom_id\":\"a\",\"method\":\"POST\",\"body\":{}}",
                        "missing_required_parameter",
                        1),
                Arguments.of(
                        "\n\n"
                                + "{\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}",
                        "missing_required_parameter",
                        3),
                Arguments.of(
                        ok + "\n" + Jsonl.chatLine("b", "hi", null).replace(Jsonl.MODEL, "gpt-4o"),
                        "model_mismatch",
                        2),
                Arguments.of("\n  \n", "empty_file", null));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("invalidInputFiles")
    void invalidInputLine_failsTheBatchAtValidation_withCodeAndLine(
            String jsonl, String code, Integer line) {
        String id = client.submit(jsonl, Jsonl.CHAT);

        clock.advance(Duration.ofSeconds(3));
        JsonNode batch = client.getBatch(id).json();

        assertThat(batch.get("status").asText()).isEqualTo("failed");
        assertThat(batch.get("failed_at").asLong()).isEqualTo(START.getEpochSecond() + 3);
        assertThat(batch.get("in_progress_at").isNull()).isTrue();
        assertThat(batch.get("output_file_id").isNull()).isTrue();
        assertThat(batch.get("error_file_id").isNull()).isTrue();
        assertThat(batch.at("/errors/object").asText()).isEqualTo("list");
        JsonNode error = batch.at("/errors/data/0");
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).isNotBlank();
        if (line == null) {
            assertThat(error.get("line").isNull()).isTrue();
        } else {
            assertThat(error.get("line").asInt()).isEqualTo(line);
        }
        assertThat(client.getBatch(id).json().get("status").asText()).isEqualTo("failed");
        assertThat(sim.liveFileIds()).hasSize(1);
    }

    @Test
    void validation_reportsEveryBadLine() {
        String jsonl = "oops\n" + Jsonl.chatLine("a", "hi", null) + "\n{\"custom_id\":\"b\"}\n";

        JsonNode batch = client.pollToTerminal(client.submit(jsonl, Jsonl.CHAT));

        assertThat(batch.at("/errors/data"))
                .extracting(e -> e.get("line").asInt())
                .containsExactly(1, 3);
        assertThat(batch.at("/errors/data/1/param").asText()).isEqualTo("method");
    }

    @Test
    void validation_acceptsCrlfLineEndingsAndAByteOrderMark() {
        String jsonl =
                "\uFEFF"
                        + Jsonl.chatLine("a", "hi", null)
                        + "\r\n"
                        + Jsonl.chatLine("b", "hi", null)
                        + "\r\n";

        JsonNode batch = client.pollToTerminal(client.submit(jsonl, Jsonl.CHAT));

        assertThat(batch.get("status").asText()).isEqualTo("completed");
        assertThat(batch.at("/request_counts/completed").asInt()).isEqualTo(2);
    }

    @Test
    void failNextBatchValidations_failsAValidBatchWithTheGivenError() {
        sim.failNextBatchValidations(
                1, "token_limit_exceeded", "Enqueued token limit reached for gpt-4o-mini.");

        JsonNode failed = client.pollToTerminal(client.submit(Jsonl.chat(2), Jsonl.CHAT));
        JsonNode next = client.pollToTerminal(client.submit(Jsonl.chat(2), Jsonl.CHAT));

        assertThat(failed.get("status").asText()).isEqualTo("failed");
        assertThat(failed.at("/errors/data/0/code").asText()).isEqualTo("token_limit_exceeded");
        assertThat(next.get("status").asText()).isEqualTo("completed");
        assertThat(sim.batches())
                .extracting(BatchSnapshot::errorCodes)
                .containsExactly(List.of("token_limit_exceeded"), List.of());
    }

    private static Set<String> customIds(List<JsonNode> lines) {
        return lines.stream()
                .map(line -> line.get("custom_id").asText())
                .collect(Collectors.toSet());
    }
}
