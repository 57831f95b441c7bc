package dev.batchlane.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.provider.Usage;
import dev.batchlane.simulator.MutableClock;
import dev.batchlane.simulator.openai.BatchSnapshot;
import dev.batchlane.simulator.openai.KnownUsage;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import dev.batchlane.simulator.openai.RecordedRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The adapter against the OpenAI simulator over real HTTP: no mocks, so multipart framing, headers,
 * status codes and result files are exercised the way OpenAI would see and send them. The
 * simulator's clock is moved by hand, one status step at a time.
 */
class OpenAiProviderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration STEP = Duration.ofSeconds(1);
    private static final String API_KEY = "sk-test-0123456789-secret";
    private static final String CHAT = "/v1/chat/completions";

    private final MutableClock clock = new MutableClock(Instant.parse("2026-09-01T10:00:00Z"));
    private final HttpClient http = HttpClient.newHttpClient();
    private OpenAiSimulator sim;
    private OpenAiProvider provider;

    @BeforeEach
    void start() {
        sim = OpenAiSimulator.builder().clock(clock).stepDuration(STEP).start();
        provider = provider(Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    // ---- submit ---------------------------------------------------------------------------------

    @Test
    void submit_streamsTheFileAsAMultipartUpload_simulatorHoldsItByteForByte() {
        byte[] content =
                chatFile(
                        4000,
                        "gpt-4o-mini",
                        " — with non-ASCII text: é, 漢字, 🚀, and a long tail " + "x".repeat(400));
        assertThat(content.length).isGreaterThan(1_500_000);

        Submission s = provider.submit(payload("job-1-part-00000.jsonl", content), CHAT, Map.of());

        assertThat(s.inputFileId()).startsWith("file-");
        assertThat(sim.uploadCount()).isEqualTo(1);
        assertThat(download(s.inputFileId())).isEqualTo(content);
        JsonNode file = getJson("/files/" + s.inputFileId());
        assertThat(file.path("filename").asText()).isEqualTo("job-1-part-00000.jsonl");
        assertThat(file.path("purpose").asText()).isEqualTo("batch");
        assertThat(file.path("bytes").asLong()).isEqualTo(content.length);
    }

    @Test
    void submit_createsA24hBatchForTheEndpointFromTheUploadedFile_withMetadata() {
        Submission s =
                provider.submit(
                        payload("a.jsonl", chatFile(3, "gpt-4o-mini", "")),
                        CHAT,
                        Map.of("batchlane_job_id", "job-1", "batchlane_shard", "part-00000"));

        assertThat(s.batchId()).startsWith("batch_");
        assertThat(s.providerStatus()).isEqualTo("validating");
        BatchSnapshot batch = sim.batch(s.batchId()).orElseThrow();
        assertThat(batch.inputFileId()).isEqualTo(s.inputFileId());
        assertThat(batch.endpoint()).isEqualTo(CHAT);
        assertThat(batch.metadata())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("batchlane_job_id", "job-1", "batchlane_shard", "part-00000"));
        assertThat(getJson("/batches/" + s.batchId()).path("completion_window").asText())
                .isEqualTo("24h");
    }

    @Test
    void submit_opensThePayloadOnceAndClosesIt() {
        byte[] content = chatFile(10, "m", "");
        AtomicInteger opens = new AtomicInteger();
        AtomicInteger closes = new AtomicInteger();
        Payload payload =
                new Payload(
                        "p.jsonl",
                        content.length,
                        () -> {
                            opens.incrementAndGet();
                            return new ByteArrayInputStream(content) {
                                @Override
                                public void close() {
                                    closes.incrementAndGet();
                                }
                            };
                        });

        provider.submit(payload, CHAT, Map.of());

        assertThat(opens).hasValue(1);
        assertThat(closes.get()).isPositive();
    }

    @ParameterizedTest(name = "declared size off by {0}")
    @ValueSource(ints = {100, 1, -1, -100})
    void submit_payloadNotMatchingItsDeclaredSize_isNotRetryableAndLeavesNoFileBehind(int offBy)
            throws InterruptedException {
        byte[] content = chatFile(10, "m", "");
        Payload wrong =
                new Payload(
                        "p.jsonl", content.length + offBy, () -> new ByteArrayInputStream(content));

        ProviderException e =
                catchThrowableOfType(
                        ProviderException.class, () -> provider.submit(wrong, CHAT, Map.of()));

        // The simulator answers the broken upload only once the connection is gone; a file it
        // stored
        // would show up by then.
        for (int i = 0; i < 100 && sim.requestLog().isEmpty(); i++) {
            Thread.sleep(50);
        }
        assertThat(sim.requestLog()).extracting(RecordedRequest::path).containsExactly("/v1/files");
        assertThat(sim.liveFileIds()).isEmpty();
        assertThat(sim.batches()).isEmpty();
        assertThat(e.retryable()).isFalse();
        assertThat(e.statusCode()).isZero();
        assertThat(e.code()).isEqualTo("payload_size_mismatch");
        assertThat(e.getMessage())
                .startsWith(
                        "openai createFile failed: 0 payload_size_mismatch: payload p.jsonl holds ")
                .contains("declared " + (content.length + offBy));
    }

    @Test
    void submit_payloadThatCannotBeOpened_isRetryableIoError() {
        Payload unreadable =
                new Payload(
                        "p.jsonl",
                        10,
                        () -> {
                            throw new IOException("staging bucket unavailable");
                        });

        ProviderException e =
                catchThrowableOfType(
                        ProviderException.class, () -> provider.submit(unreadable, CHAT, Map.of()));

        assertThat(e.retryable()).isTrue();
        assertThat(e.statusCode()).isZero();
        assertThat(e.code()).isEqualTo("io_error");
        assertThat(sim.liveFileIds()).isEmpty();
    }

    @Test
    void submit_emptyPayload_isACallerMistake() {
        assertThatThrownBy(
                        () ->
                                provider.submit(
                                        new Payload(
                                                "e.jsonl",
                                                0,
                                                () -> new ByteArrayInputStream(new byte[0])),
                                        CHAT,
                                        Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("e.jsonl");
    }

    @Test
    void submit_uploadRateLimited_isRetryable429AndCreatesNothing() {
        sim.failNextCalls("createFile", 429, 1);

        ProviderException e = catchThrowableOfType(ProviderException.class, () -> submitChat(3));

        assertThat(e.retryable()).isTrue();
        assertThat(e.statusCode()).isEqualTo(429);
        assertThat(e.code()).isEqualTo("rate_limit_exceeded");
        assertThat(e.getMessage())
                .startsWith("openai createFile failed: 429 rate_limit_exceeded: Rate limit reached")
                .doesNotContain(API_KEY);
        assertThat(sim.batches()).isEmpty();
        assertThat(sim.liveFileIds()).isEmpty();
    }

    @Test
    void submit_batchCreationRefusedWith400_isNotRetryableAndDeletesTheUploadedFile() {
        sim.failNextCalls("createBatch", 400, 1);

        ProviderException e = catchThrowableOfType(ProviderException.class, () -> submitChat(3));

        assertThat(e.retryable()).isFalse();
        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.getMessage())
                .startsWith("openai createBatch failed: 400 invalid_request_error: ");
        assertThat(sim.uploadCount()).isEqualTo(1);
        assertThat(sim.liveFileIds()).isEmpty();
        assertThat(sim.requestLog())
                .extracting(RecordedRequest::method, RecordedRequest::status)
                .containsSubsequence(tuple("POST", 200), tuple("POST", 400), tuple("DELETE", 200));
    }

    @Test
    void submit_batchCreationFailsWith500_isRetryableAndDeletesTheUploadedFile() {
        sim.failNextCalls("createBatch", 500, 1);

        ProviderException e = catchThrowableOfType(ProviderException.class, () -> submitChat(3));

        assertThat(e.retryable()).isTrue();
        assertThat(e.statusCode()).isEqualTo(500);
        assertThat(e.code()).isEqualTo("server_error");
        assertThat(sim.liveFileIds()).isEmpty();
    }

    @Test
    void submit_endpointTheApiRejects_isNotRetryableWithTheProvidersCodeAndMessage() {
        ProviderException e =
                catchThrowableOfType(
                        ProviderException.class,
                        () ->
                                provider.submit(
                                        payload("a.jsonl", chatFile(2, "m", "")),
                                        "/v1/nope",
                                        Map.of()));

        assertThat(e.retryable()).isFalse();
        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.code()).isEqualTo("invalid_value");
        assertThat(e.getMessage())
                .startsWith(
                        "openai createBatch failed: 400 invalid_value: Invalid value for "
                                + "'endpoint'");
        assertThat(sim.liveFileIds()).isEmpty();
    }

    @Test
    void submit_batchCreationAnsweredWithATruncatedBody_isRetryableAndDeletesTheUploadedFile() {
        sim.malformNextCalls("createBatch", 1);

        ProviderException e = catchThrowableOfType(ProviderException.class, () -> submitChat(3));

        assertThat(e.retryable()).isTrue();
        assertThat(e.code()).isEqualTo("malformed_response");
        assertThat(sim.liveFileIds()).isEmpty();
    }

    // ---- retrieve -------------------------------------------------------------------------------

    @Test
    void retrieve_mapsEachStatusAsTheBatchProgressesToCompleted() {
        Submission s = submitChat(5);

        BatchView validating = provider.retrieve(s.batchId());
        assertThat(validating.state()).isEqualTo(BatchState.PENDING);
        assertThat(validating.providerStatus()).isEqualTo("validating");
        assertThat(validating.batchId()).isEqualTo(s.batchId());

        clock.advance(STEP);
        BatchView running = provider.retrieve(s.batchId());
        assertThat(running.state()).isEqualTo(BatchState.RUNNING);
        assertThat(running.providerStatus()).isEqualTo("in_progress");
        assertThat(running.counts()).isEqualTo(new BatchCounts(5, 0, 0));

        clock.advance(STEP);
        BatchView finalizing = provider.retrieve(s.batchId());
        assertThat(finalizing.state()).isEqualTo(BatchState.FINALIZING);
        assertThat(finalizing.providerStatus()).isEqualTo("finalizing");

        clock.advance(STEP);
        BatchView completed = provider.retrieve(s.batchId());
        assertThat(completed.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(completed.providerStatus()).isEqualTo("completed");
        assertThat(completed.counts()).isEqualTo(new BatchCounts(5, 5, 0));
        assertThat(completed.outputFileId()).startsWith("file-");
        assertThat(completed.errorFileId()).isNull();
        assertThat(completed.error()).isNull();
        for (BatchView view : List.of(validating, running, finalizing, completed)) {
            assertThat(view.error()).isNull();
        }
    }

    @Test
    void retrieve_inputFileOpenAiRejects_isFailedWithASummaryNamingTheFirstBadLine() {
        String good = chatLine("a", CHAT, "m");
        String wrongUrl = chatLine("b", "/v1/embeddings", "m");
        byte[] content = (good + "\n" + wrongUrl + "\n{oops\n").getBytes(StandardCharsets.UTF_8);
        Submission s = provider.submit(payload("bad.jsonl", content), CHAT, Map.of());

        BatchView failed = runToEnd(s.batchId());

        assertThat(failed.state()).isEqualTo(BatchState.FAILED);
        assertThat(failed.providerStatus()).isEqualTo("failed");
        assertThat(failed.error()).startsWith("line 2 url_mismatch: ").endsWith("; 1 more");
        assertThat(failed.outputFileId()).isNull();
        assertThat(failed.errorFileId()).isNull();
    }

    @Test
    void retrieve_batchFailedWithoutALine_summaryIsCodeAndMessage() {
        sim.failNextBatchValidations(
                1, "token_limit_exceeded", "Enqueued token limit reached for m.");
        Submission s = submitChat(2);

        BatchView failed = runToEnd(s.batchId());

        assertThat(failed.state()).isEqualTo(BatchState.FAILED);
        assertThat(failed.error())
                .isEqualTo("token_limit_exceeded: Enqueued token limit reached for m.");
    }

    @Test
    void retrieve_cancelledBatch_isCancellingThenCancelled() {
        Submission s = submitChat(4);
        clock.advance(STEP);
        assertThat(provider.retrieve(s.batchId()).state()).isEqualTo(BatchState.RUNNING);

        postJson("/batches/" + s.batchId() + "/cancel");
        BatchView cancelling = provider.retrieve(s.batchId());
        clock.advance(STEP);
        BatchView cancelled = provider.retrieve(s.batchId());

        assertThat(cancelling.state()).isEqualTo(BatchState.CANCELLING);
        assertThat(cancelling.providerStatus()).isEqualTo("cancelling");
        assertThat(cancelled.state()).isEqualTo(BatchState.CANCELLED);
        assertThat(cancelled.providerStatus()).isEqualTo("cancelled");
        assertThat(cancelled.error()).isNull();
    }

    @Test
    void retrieve_expiredBatch_isExpiredWithItsFiles() {
        sim.expireNextBatches(1, 0.5);
        Submission s = submitChat(6);

        BatchView expired = runToEnd(s.batchId());

        assertThat(expired.state()).isEqualTo(BatchState.EXPIRED);
        assertThat(expired.providerStatus()).isEqualTo("expired");
        assertThat(expired.outputFileId()).isNotNull();
        assertThat(expired.errorFileId()).isNotNull();
        assertThat(expired.error()).isNull();
    }

    @Test
    void retrieve_unknownBatch_isNotRetryable404() {
        ProviderException e =
                catchThrowableOfType(
                        ProviderException.class, () -> provider.retrieve("batch_missing"));

        assertThat(e.statusCode()).isEqualTo(404);
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage())
                .startsWith("openai retrieveBatch failed: 404 ")
                .contains("batch_missing");
    }

    @ParameterizedTest(name = "{0} -> retryable {1}")
    @CsvSource({
        "400,false",
        "401,false",
        "403,false",
        "404,false",
        "408,true",
        "409,true",
        "422,false",
        "429,true",
        "500,true",
        "502,true",
        "503,true",
        "504,true"
    })
    void retrieve_errorStatus_isRetryableOnlyForTimeoutConflictRateLimitAndServerErrors(
            int status, boolean retryable) {
        Submission s = submitChat(1);
        sim.failNextCalls("retrieveBatch", status, 1);

        ProviderException e =
                catchThrowableOfType(ProviderException.class, () -> provider.retrieve(s.batchId()));

        assertThat(e.statusCode()).isEqualTo(status);
        assertThat(e.retryable()).isEqualTo(retryable);
        assertThat(e.getMessage()).startsWith("openai retrieveBatch failed: " + status + " ");
        assertThat(provider.retrieve(s.batchId()).state()).isEqualTo(BatchState.PENDING);
    }

    @Test
    void retrieve_truncatedAnswer_isRetryableMalformedResponse() {
        Submission s = submitChat(1);
        sim.malformNextCalls("retrieveBatch", 1);

        ProviderException e =
                catchThrowableOfType(ProviderException.class, () -> provider.retrieve(s.batchId()));

        assertThat(e.retryable()).isTrue();
        assertThat(e.statusCode()).isEqualTo(200);
        assertThat(e.code()).isEqualTo("malformed_response");
    }

    @Test
    void retrieve_noAnswerWithinTheRequestTimeout_isRetryableTimeoutWithStatus0() {
        Submission s = submitChat(1);
        sim.setLatency(Duration.ofSeconds(2));

        ProviderException e =
                catchThrowableOfType(
                        ProviderException.class,
                        () -> provider(Duration.ofMillis(200)).retrieve(s.batchId()));

        assertThat(e.retryable()).isTrue();
        assertThat(e.statusCode()).isZero();
        assertThat(e.code()).isEqualTo("timeout");
        assertThat(e.getMessage()).startsWith("openai retrieveBatch failed: 0 timeout: ");
    }

    @Test
    void retrieve_nothingListening_isRetryableIoErrorWithStatus0() throws IOException {
        // The port is held, bound without listening, for the whole call: a port freed before the
        // call could be taken by another process (builds run side by side) and answer in its place.
        ProviderException e;
        try (Socket held = new Socket()) {
            held.setReuseAddress(false);
            held.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            OpenAiProvider nowhere =
                    new OpenAiProvider(
                            new OpenAiConfig(
                                    URI.create("http://127.0.0.1:" + held.getLocalPort() + "/v1"),
                                    API_KEY,
                                    Duration.ofSeconds(5)),
                            http);

            e = catchThrowableOfType(ProviderException.class, () -> nowhere.retrieve("batch_1"));
        }

        assertThat(e.retryable()).isTrue();
        assertThat(e.statusCode()).isZero();
        assertThat(e.code()).isEqualTo("io_error");
        assertThat(e.getCause()).isInstanceOf(IOException.class);
    }

    // ---- streamResults --------------------------------------------------------------------------

    @Test
    void streamResults_completedBatch_yieldsEveryCustomIdOnceWithOutcomesAndUsage() {
        sim.setCachedInputFraction(0.5);
        sim.failLines(id -> id.equals("req-3") || id.equals("req-7"), 500, "server_error", "boom");
        sim.failLines(
                id -> id.equals("req-11"),
                400,
                "invalid_value",
                "Invalid value for 'temperature'.");
        Submission s = submitChat(20);
        BatchView done = runToEnd(s.batchId());
        assertThat(done.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(done.counts()).isEqualTo(new BatchCounts(20, 17, 3));

        List<LineResult> results = results(done);

        assertThat(results)
                .extracting(LineResult::customId)
                .containsExactlyInAnyOrderElementsOf(ids(20));
        List<LineResult> succeeded =
                results.stream().filter(r -> r.outcome() == Outcome.SUCCEEDED).toList();
        assertThat(succeeded)
                .hasSize(17)
                .allSatisfy(
                        r -> {
                            assertThat(r.statusCode()).isEqualTo(200);
                            assertThat(r.errorJson()).isNull();
                            JsonNode body = json(r.responseJson());
                            assertThat(body.path("object").asText()).isEqualTo("chat.completion");
                            assertThat(
                                            body.path("choices")
                                                    .path(0)
                                                    .path("message")
                                                    .path("content")
                                                    .asText())
                                    .isEqualTo("Simulated reply to " + r.customId() + ".");
                            assertThat(r.usage()).isNotNull();
                            assertThat(r.usage().inputTokens())
                                    .isEqualTo(body.path("usage").path("prompt_tokens").asLong());
                            assertThat(r.usage().cachedInputTokens()).isPositive();
                            assertThat(r.usage().outputTokens())
                                    .isEqualTo(
                                            body.path("usage").path("completion_tokens").asLong());
                        });
        assertThat(sum(results)).isEqualTo(usage(sim.knownUsage()));
        assertThat(results)
                .filteredOn(r -> r.outcome() == Outcome.FAILED)
                .extracting(
                        LineResult::customId,
                        LineResult::statusCode,
                        r -> json(r.errorJson()).path("code").asText())
                .containsExactlyInAnyOrder(
                        tuple("req-3", 500, "server_error"),
                        tuple("req-7", 500, "server_error"),
                        tuple("req-11", 400, "invalid_value"));
        assertThat(results)
                .filteredOn(r -> r.outcome() == Outcome.FAILED)
                .allSatisfy(r -> assertThat(r.responseJson()).isNull());
        int lastSuccess = results.lastIndexOf(succeeded.get(succeeded.size() - 1));
        assertThat(results.subList(0, lastSuccess + 1))
                .as("the output file is read before the error file")
                .allSatisfy(r -> assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED));
    }

    @Test
    void streamResults_responsesBatch_readsInputCachedAndOutputTokens() {
        sim.setCachedInputFraction(0.5);
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            file.append("{\"custom_id\":\"r-")
                    .append(i)
                    .append(
                            "\",\"method\":\"POST\",\"url\":\"/v1/responses\","
                                    + "\"body\":{\"model\":\"gpt-4.1-mini\",\"input\":\"Write a haiku about batch number ")
                    .append(i)
                    .append("\",\"max_output_tokens\":8}}\n");
        }
        Submission s =
                provider.submit(
                        payload("r.jsonl", file.toString().getBytes(StandardCharsets.UTF_8)),
                        "/v1/responses",
                        Map.of());

        List<LineResult> results = results(runToEnd(s.batchId()));

        assertThat(results)
                .hasSize(4)
                .allSatisfy(
                        r -> {
                            assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
                            assertThat(json(r.responseJson()).path("object").asText())
                                    .isEqualTo("response");
                            assertThat(r.usage().outputTokens()).isEqualTo(8);
                            assertThat(r.usage().cachedInputTokens())
                                    .isPositive()
                                    .isLessThan(r.usage().inputTokens());
                        });
        assertThat(sum(results)).isEqualTo(usage(sim.knownUsage()));
    }

    @Test
    void streamResults_embeddingsBatch_hasInputTokensOnly() {
        String file =
                IntStream.range(0, 3)
                        .mapToObj(
                                i ->
                                        "{\"custom_id\":\"e-"
                                                + i
                                                + "\",\"method\":\"POST\","
                                                + "\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"text-embedding-3-small\",\"input\":\"text "
                                                + i
                                                + "\"}}\n")
                        .collect(Collectors.joining());
        Submission s =
                provider.submit(
                        payload("e.jsonl", file.getBytes(StandardCharsets.UTF_8)),
                        "/v1/embeddings",
                        Map.of());

        List<LineResult> results = results(runToEnd(s.batchId()));

        assertThat(results)
                .hasSize(3)
                .allSatisfy(
                        r -> {
                            assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
                            assertThat(r.usage().inputTokens()).isPositive();
                            assertThat(r.usage().cachedInputTokens()).isZero();
                            assertThat(r.usage().outputTokens()).isZero();
                        });
        assertThat(sum(results)).isEqualTo(usage(sim.knownUsage()));
    }

    @Test
    void streamResults_expiredBatch_yieldsExpiredLinesForTheRequestsThatNeverRan() {
        sim.expireNextBatches(1, 0.5);
        Submission s = submitChat(10);
        BatchView expired = runToEnd(s.batchId());

        List<LineResult> results = results(expired);

        assertThat(results)
                .extracting(LineResult::customId)
                .containsExactlyInAnyOrderElementsOf(ids(10));
        assertThat(results).filteredOn(r -> r.outcome() == Outcome.SUCCEEDED).hasSize(5);
        assertThat(results)
                .filteredOn(r -> r.outcome() == Outcome.EXPIRED)
                .hasSize(5)
                .allSatisfy(
                        r -> {
                            assertThat(r.statusCode()).isNull();
                            assertThat(r.responseJson()).isNull();
                            assertThat(json(r.errorJson()).path("code").asText())
                                    .isEqualTo("batch_expired");
                            assertThat(r.usage()).isNull();
                        });
    }

    @Test
    void streamResults_cancelledBatch_yieldsCancelledLinesForTheRequestsThatNeverRan() {
        Submission s = submitChat(8);
        clock.advance(STEP);
        provider.retrieve(s.batchId());
        postJson("/batches/" + s.batchId() + "/cancel");
        BatchView cancelled = runToEnd(s.batchId());

        List<LineResult> results = results(cancelled);

        assertThat(results)
                .extracting(LineResult::customId)
                .containsExactlyInAnyOrderElementsOf(ids(8));
        assertThat(results)
                .extracting(LineResult::outcome)
                .containsOnly(Outcome.SUCCEEDED, Outcome.CANCELLED);
        assertThat(results)
                .filteredOn(r -> r.outcome() == Outcome.CANCELLED)
                .hasSize(4)
                .allSatisfy(
                        r ->
                                assertThat(json(r.errorJson()).path("code").asText())
                                        .isEqualTo("batch_cancelled"));
    }

    @Test
    void streamResults_batchWithoutFiles_yieldsNothingAndCallsNothing() {
        int before = sim.requestLog().size();
        List<LineResult> results = new ArrayList<>();

        provider.streamResults(
                new BatchView(
                        "batch_x", BatchState.FAILED, "failed", BatchCounts.NONE, null, null, "x"),
                results::add);

        assertThat(results).isEmpty();
        assertThat(sim.requestLog()).hasSize(before);
    }

    @Test
    void streamResults_downloadFailsWith500_isRetryable() {
        Submission s = submitChat(2);
        BatchView done = runToEnd(s.batchId());
        sim.failNextCalls("downloadFile", 500, 1);
        List<LineResult> results = new ArrayList<>();

        ProviderException e =
                catchThrowableOfType(
                        ProviderException.class, () -> provider.streamResults(done, results::add));

        assertThat(e.retryable()).isTrue();
        assertThat(e.statusCode()).isEqualTo(500);
        assertThat(e.getMessage()).startsWith("openai downloadFile failed: 500 server_error: ");
        assertThat(results).isEmpty();
    }

    @Test
    void streamResults_deletedFile_isNotRetryable404() {
        Submission s = submitChat(2);
        BatchView done = runToEnd(s.batchId());
        provider.cleanup(null, done.outputFileId(), null);

        ProviderException e =
                catchThrowableOfType(
                        ProviderException.class, () -> provider.streamResults(done, r -> {}));

        assertThat(e.statusCode()).isEqualTo(404);
        assertThat(e.retryable()).isFalse();
    }

    // ---- cleanup --------------------------------------------------------------------------------

    @Test
    void cleanup_deletesInputOutputAndErrorFiles_simulatorHasNoLiveFilesLeft() {
        sim.failLines(id -> id.equals("req-1"), 500, "server_error", null);
        Submission s = submitChat(3);
        BatchView done = runToEnd(s.batchId());
        assertThat(done.outputFileId()).isNotNull();
        assertThat(done.errorFileId()).isNotNull();
        assertThat(sim.liveFileIds())
                .containsExactlyInAnyOrder(
                        s.inputFileId(), done.outputFileId(), done.errorFileId());

        provider.cleanup(s.inputFileId(), done.outputFileId(), done.errorFileId());

        assertThat(sim.liveFileIds()).isEmpty();
    }

    @Test
    void cleanup_filesAlreadyGone_tolerates404() {
        Submission s = submitChat(2);
        BatchView done = runToEnd(s.batchId());
        provider.cleanup(s.inputFileId(), done.outputFileId(), null);

        provider.cleanup(s.inputFileId(), done.outputFileId(), "file-never-existed");

        assertThat(sim.requestLog())
                .filteredOn(r -> r.method().equals("DELETE"))
                .extracting(RecordedRequest::status)
                .containsExactly(200, 200, 404, 404, 404);
        assertThat(sim.liveFileIds()).isEmpty();
    }

    @Test
    void cleanup_nothingToDelete_makesNoCalls() {
        provider.cleanup(null, null, null);

        assertThat(sim.requestLog()).isEmpty();
    }

    @Test
    void cleanup_oneDeleteFails_stillDeletesTheOthersThenThrows() {
        sim.failLines(id -> id.equals("req-0"), 500, "server_error", null);
        Submission s = submitChat(2);
        BatchView done = runToEnd(s.batchId());
        sim.failNextCalls("deleteFile", 503, 1);

        ProviderException e =
                catchThrowableOfType(
                        ProviderException.class,
                        () ->
                                provider.cleanup(
                                        s.inputFileId(), done.outputFileId(), done.errorFileId()));

        assertThat(e.statusCode()).isEqualTo(503);
        assertThat(e.retryable()).isTrue();
        assertThat(e.getMessage()).startsWith("openai deleteFile failed: 503 ");
        assertThat(sim.liveFileIds()).containsExactly(s.inputFileId());
    }

    // ---- configuration --------------------------------------------------------------------------

    @Test
    void provider_isNamedOpenaiAndUsesTheOpenAiContract() {
        assertThat(provider.name()).isEqualTo("openai");
        assertThat(provider.contract()).isInstanceOf(OpenAiContract.class);
    }

    @Test
    void config_toString_neverShowsTheApiKey() {
        OpenAiConfig config =
                new OpenAiConfig(
                        URI.create("https://api.openai.com/v1"), API_KEY, Duration.ofSeconds(30));

        assertThat(config.toString()).doesNotContain(API_KEY).contains("https://api.openai.com/v1");
    }

    @Test
    void config_invalidValues_areRejectedNamingTheSetting() {
        URI base = URI.create("https://api.openai.com/v1");
        assertThatThrownBy(() -> new OpenAiConfig(base, " ", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("apiKey");
        assertThatThrownBy(
                        () ->
                                new OpenAiConfig(
                                        URI.create("ftp://x/v1"), API_KEY, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("baseUrl");
        assertThatThrownBy(
                        () -> new OpenAiConfig(URI.create("/v1"), API_KEY, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("baseUrl");
        assertThatThrownBy(() -> new OpenAiConfig(base, API_KEY, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("requestTimeout");
    }

    @Test
    void config_baseUrlWithTrailingSlash_stillAddressesTheApi() {
        OpenAiProvider slash =
                new OpenAiProvider(
                        new OpenAiConfig(
                                URI.create(sim.baseUrl() + "/"), API_KEY, Duration.ofSeconds(10)),
                        http);

        Submission s = slash.submit(payload("a.jsonl", chatFile(1, "m", "")), CHAT, Map.of());

        assertThat(slash.retrieve(s.batchId()).state()).isEqualTo(BatchState.PENDING);
    }

    // ---- helpers --------------------------------------------------------------------------------

    private OpenAiProvider provider(Duration timeout) {
        return new OpenAiProvider(new OpenAiConfig(sim.baseUri(), API_KEY, timeout), http);
    }

    private Submission submitChat(int requests) {
        return provider.submit(
                payload("job-part.jsonl", chatFile(requests, "gpt-4o-mini", "")), CHAT, Map.of());
    }

    /** Moves the clock one step per retrieve until the batch has ended. */
    private BatchView runToEnd(String batchId) {
        for (int i = 0; i < 10; i++) {
            clock.advance(STEP);
            BatchView view = provider.retrieve(batchId);
            if (view.state().terminal()) {
                return view;
            }
        }
        return fail("batch " + batchId + " did not end within 10 steps");
    }

    private List<LineResult> results(BatchView view) {
        List<LineResult> results = new ArrayList<>();
        provider.streamResults(view, results::add);
        return results;
    }

    private static Payload payload(String name, byte[] content) {
        return new Payload(name, content.length, () -> new ByteArrayInputStream(content));
    }

    private static byte[] chatFile(int requests, String model, String extraText) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < requests; i++) {
            out.writeBytes(
                    (chatLine("req-" + i, CHAT, model, "Say hello number " + i + extraText) + "\n")
                            .getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    private static String chatLine(String id, String url, String model) {
        return chatLine(id, url, model, "hello");
    }

    private static String chatLine(String id, String url, String model, String text) {
        return "{\"custom_id\":\""
                + id
                + "\",\"method\":\"POST\",\"url\":\""
                + url
                + "\",\"body\":{\"model\":\""
                + model
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + text
                + "\"}]}}";
    }

    private static Set<String> ids(int requests) {
        return IntStream.range(0, requests).mapToObj(i -> "req-" + i).collect(Collectors.toSet());
    }

    private static Usage sum(List<LineResult> results) {
        return results.stream()
                .map(LineResult::usage)
                .filter(u -> u != null)
                .reduce(Usage.ZERO, Usage::plus);
    }

    private static Usage usage(KnownUsage known) {
        return new Usage(known.inputTokens(), known.cachedTokens(), known.outputTokens());
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<byte[]> call(HttpRequest.Builder request) {
        try {
            return http.send(
                    request.header("Authorization", "Bearer " + API_KEY).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private byte[] download(String fileId) {
        HttpResponse<byte[]> response =
                call(
                        HttpRequest.newBuilder(
                                URI.create(sim.baseUrl() + "/files/" + fileId + "/content")));
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private JsonNode getJson(String path) {
        HttpResponse<byte[]> response =
                call(HttpRequest.newBuilder(URI.create(sim.baseUrl() + path)));
        assertThat(response.statusCode()).isEqualTo(200);
        return json(new String(response.body(), StandardCharsets.UTF_8));
    }

    private void postJson(String path) {
        HttpResponse<byte[]> response =
                call(
                        HttpRequest.newBuilder(URI.create(sim.baseUrl() + path))
                                .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(response.statusCode()).isEqualTo(200);
    }
}
