package dev.batchlane.provider.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.batchlane.core.ingest.FileValidator;
import dev.batchlane.core.ingest.Violation;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.simulator.anthropic.AnthropicSimulator;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The adapter against the Anthropic simulator over HTTP, and its line rules through the validator.
 */
class AnthropicProviderTest {
    private AnthropicSimulator sim;
    private AnthropicProvider provider;

    @BeforeEach
    void start() {
        sim = AnthropicSimulator.builder().stepDuration(Duration.ZERO).seed(5).start();
        provider =
                new AnthropicProvider(
                        new AnthropicConfig(
                                URI.create(sim.baseUrl()),
                                "sk-ant-test",
                                null,
                                Duration.ofSeconds(10)),
                        HttpClient.newHttpClient());
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private static String line(String id, String params) {
        return "{\"custom_id\":\"" + id + "\",\"params\":" + params + "}";
    }

    private static final String OK =
            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private List<Violation> validate(String... lines) throws Exception {
        List<Violation> all = new ArrayList<>();
        new FileValidator(new AnthropicContract(), AnthropicContract.LIMITS)
                .validate(
                        new ByteArrayInputStream(
                                (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8)),
                        all::add);
        return all;
    }

    @Test
    void contract_eachRuleHasItsCode_andNamesTheLine() throws Exception {
        List<Violation> v =
                validate(
                        line("ok-1", OK),
                        line("has space", OK),
                        line("no-params", "null"),
                        line(
                                "no-model",
                                "{\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
                        line(
                                "zero-max",
                                "{\"model\":\"m\",\"max_tokens\":0,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
                        line("no-messages", "{\"model\":\"m\",\"max_tokens\":8,\"messages\":[]}"),
                        line(
                                "streams",
                                "{\"model\":\"m\",\"max_tokens\":8,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
                        "{\"custom_id\":\"extra\",\"params\":" + OK + ",\"url\":\"/v1/messages\"}",
                        line("x".repeat(65), OK));
        assertThat(v)
                .extracting(Violation::line, Violation::code)
                .containsExactly(
                        tuple(2L, "custom_id_invalid"),
                        tuple(3L, "params_invalid"),
                        tuple(4L, "model_missing"),
                        tuple(5L, "max_tokens_invalid"),
                        tuple(6L, "messages_invalid"),
                        tuple(7L, "stream_not_supported"),
                        tuple(8L, "unknown_field"),
                        tuple(9L, "custom_id_invalid"));
        assertThat(v).allSatisfy(x -> assertThat(x.message()).contains("line " + x.line()));
        assertThat(
                        validate(
                                line("a", OK),
                                line("b", OK.replace("claude-sonnet-4-5", "claude-haiku-4-5"))))
                .as("Anthropic takes several models in one batch")
                .isEmpty();
    }

    @Test
    void submit_streamsTheStagedLinesAsTheRequestsArray_andResultsComeBackJoinable() {
        sim.failLines(id -> id.equals("r-2"), "invalid_request_error", "prompt is too long");
        StringBuilder staged = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            staged.append(line("r-" + i, OK)).append('\n');
        }
        byte[] bytes = staged.toString().getBytes(StandardCharsets.UTF_8);
        var submission =
                provider.submit(
                        new Payload("s.jsonl", bytes.length, () -> new ByteArrayInputStream(bytes)),
                        "/v1/messages",
                        Map.of());
        assertThat(submission.batchId()).startsWith("msgbatch_");
        assertThat(sim.createCount()).isEqualTo(1);

        BatchView view = provider.retrieve(submission.batchId());
        assertThat(view.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(view.counts().total()).isEqualTo(50);
        List<LineResult> results = new ArrayList<>();
        provider.streamResults(view, results::add);
        assertThat(results).extracting(LineResult::customId).hasSize(50).doesNotHaveDuplicates();
        LineResult failed =
                results.stream().filter(r -> r.customId().equals("r-2")).findFirst().orElseThrow();
        assertThat(failed.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(failed.statusCode()).isEqualTo(400);
        assertThat(failed.errorJson()).contains("prompt is too long");
        assertThat(failed.errorCode())
                .as("the type, read from the error, decides retries")
                .isEqualTo("invalid_request_error");
        LineResult ok =
                results.stream().filter(r -> r.customId().equals("r-1")).findFirst().orElseThrow();
        assertThat(ok.outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(ok.usage().outputTokens()).isEqualTo(8);

        provider.cleanup(null, view.outputFileId(), null);
        assertThat(sim.liveBatchIds()).isEmpty();
        provider.cleanup(null, view.outputFileId(), null); // gone already is fine
    }

    /**
     * The 256 MB cap is on the create call's body, decimal, as the 413 counts it: a full shard plus
     * the {"requests":[…]} framing the adapter wraps around it stays at or under 256,000,000 bytes,
     * and 100,000 requests.
     */
    @Test
    void fullShard_withItsRequestBodyFraming_fitsTheDocumentedLimitInDecimalBytes()
            throws Exception {
        String staged = line("a", OK) + "\n" + line("b", OK) + "\n" + line("c", OK) + "\n";
        byte[] bytes = staged.getBytes(StandardCharsets.UTF_8);
        byte[] body;
        try (var in =
                AnthropicProvider.requestsBody(
                        new Payload(
                                "s.jsonl", bytes.length, () -> new ByteArrayInputStream(bytes)))) {
            body = in.readAllBytes();
        }
        long framing = body.length - bytes.length;
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(body).get("requests"))
                .hasSize(3);
        assertThat(framing).isEqualTo(AnthropicContract.BODY_FRAMING_BYTES);

        assertThat(AnthropicContract.LIMITS.maxBytesPerShard() + framing)
                .isLessThanOrEqualTo(256_000_000L);
        assertThat(AnthropicContract.LIMITS.maxBytesPerShard() + framing)
                .isGreaterThan(255_000_000L);
        assertThat(AnthropicContract.LIMITS.maxRequestsPerShard()).isEqualTo(100_000);
    }

    @Test
    void expiredBatch_reportsExpiredLines() {
        sim.expireNextBatches(1, 0.5);
        byte[] bytes =
                (line("a", OK) + "\n" + line("b", OK) + "\n").getBytes(StandardCharsets.UTF_8);
        String id =
                provider.submit(
                                new Payload(
                                        "e.jsonl",
                                        bytes.length,
                                        () -> new ByteArrayInputStream(bytes)),
                                "/v1/messages",
                                Map.of())
                        .batchId();
        List<LineResult> results = new ArrayList<>();
        provider.streamResults(provider.retrieve(id), results::add);
        assertThat(results)
                .extracting(LineResult::outcome)
                .containsExactlyInAnyOrder(Outcome.SUCCEEDED, Outcome.EXPIRED);
    }

    @Test
    void httpErrors_sayWhetherTheyPass() {
        sim.failNextCalls("retrieve", 429, 1);
        assertThatThrownBy(() -> provider.retrieve("msgbatch_x"))
                .isInstanceOf(ProviderException.class)
                .satisfies(
                        e -> {
                            ProviderException p = (ProviderException) e;
                            assertThat(p.statusCode()).isEqualTo(429);
                            assertThat(p.retryable()).isTrue();
                            assertThat(p.retryAfter()).contains(Duration.ofSeconds(1));
                        });
        sim.failNextCalls("retrieve", 529, 1);
        assertThatThrownBy(() -> provider.retrieve("msgbatch_x"))
                .satisfies(e -> assertThat(((ProviderException) e).retryable()).isTrue());
        assertThatThrownBy(() -> provider.retrieve("msgbatch_x"))
                .satisfies(
                        e -> {
                            assertThat(((ProviderException) e).statusCode()).isEqualTo(404);
                            assertThat(((ProviderException) e).retryable()).isFalse();
                        });
    }

    /**
     * An unreadable result line is handled as OpenAI's are: skipped, its request later joined as
     * having no result, the other lines delivered; the line's text (a model's answer) is logged
     * nowhere, not even in the warning that names the batch and the line number.
     */
    @Test
    void unreadableResultLine_isSkippedLikeOpenAis_andItsTextReachesNoLog() throws Exception {
        String good =
                "{\"custom_id\":\"a\",\"result\":{\"type\":\"succeeded\",\"message\":{\"model\":"
                        + "\"claude-haiku-4-5-20251001\",\"content\":[],\"usage\":{\"input_tokens\":3,\"output_tokens\":2}}}}";
        String garbled =
                "{\"custom_id\":\"b\",\"result\":{\"type\":\"succeeded\",\"message\":{\"content\":"
                        + "\"SECRET-MODEL-ANSWER";
        String noId =
                "{\"result\":{\"type\":\"succeeded\",\"message\":{\"content\":\"SECRET-MODEL-ANSWER\"}}}";
        String body =
                good + "\n" + garbled + "\n" + noId + "\n" + good.replace("\"a\"", "\"c\"") + "\n";
        var server =
                com.sun.net.httpserver.HttpServer.create(
                        new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(
                "/v1/messages/batches/msgbatch_1/results",
                exchange -> {
                    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(200, bytes.length);
                    exchange.getResponseBody().write(bytes);
                    exchange.close();
                });
        server.start();
        var logged = new java.util.concurrent.CopyOnWriteArrayList<String>();
        var logger =
                java.util.logging.Logger.getLogger(dev.batchlane.http.ProviderHttp.class.getName());
        var handler =
                new java.util.logging.Handler() {
                    @Override
                    public void publish(java.util.logging.LogRecord r) {
                        logged.add(new java.util.logging.SimpleFormatter().formatMessage(r));
                    }

                    @Override
                    public void flush() {}

                    @Override
                    public void close() {}
                };
        logger.addHandler(handler);
        try {
            var local =
                    new AnthropicProvider(
                            new AnthropicConfig(
                                    URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
                                    "sk-ant-test",
                                    null,
                                    Duration.ofSeconds(10)),
                            HttpClient.newHttpClient());
            List<LineResult> results = new ArrayList<>();

            local.streamResults(
                    new BatchView(
                            "msgbatch_1",
                            BatchState.COMPLETED,
                            "ended",
                            null,
                            "msgbatch_1",
                            null,
                            null),
                    results::add);

            assertThat(results).extracting(LineResult::customId).containsExactly("a", "c");
            assertThat(results.get(0).model()).isEqualTo("claude-haiku-4-5-20251001");
            assertThat(logged)
                    .anySatisfy(m -> assertThat(m).contains("msgbatch_1").contains("line 2"));
            assertThat(logged).noneSatisfy(m -> assertThat(m).contains("SECRET"));
        } finally {
            logger.removeHandler(handler);
            server.stop(0);
        }
    }

    /**
     * Anthropic's error types, read by the adapter as passing or final; the core's resubmission
     * rule reads only that.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "rate_limit_error,PASSING",
        "api_error,PASSING",
        "overloaded_error,PASSING",
        "timeout_error,PASSING",
        "invalid_request_error,FINAL",
        "not_found_error,FINAL",
        "billing_error,FINAL",
        "some_new_error,FINAL"
    })
    void erroredLine_isClassifiedByAnthropicsErrorType(
            String type, dev.batchlane.core.provider.FailureKind kind) {
        dev.batchlane.core.provider.LineResult line =
                AnthropicResultLines.parse(
                        "{\"custom_id\":\"a\",\"result\":{\"type\":\"errored\",\"error\":{\"type\":\"error\","
                                + "\"error\":{\"type\":\""
                                + type
                                + "\",\"message\":\"m\"}}}}");

        assertThat(line.outcome()).isEqualTo(dev.batchlane.core.provider.Outcome.FAILED);
        assertThat(line.failureKind()).isEqualTo(kind);
    }
}
