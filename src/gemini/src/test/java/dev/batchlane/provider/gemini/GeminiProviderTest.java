package dev.batchlane.provider.gemini;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.provider.Usage;
import dev.batchlane.simulator.gemini.DiscoveryDocument;
import dev.batchlane.simulator.gemini.GeminiSimulator;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The adapter against the Gemini simulator over HTTP. When Google's discovery document is next to
 * the repository the simulator also holds every request and answer to it; without it the
 * simulator's own rules still apply.
 */
class GeminiProviderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ENDPOINT = "models/gemini-2.5-flash:batchGenerateContent";
    private static final Map<String, String> META =
            Map.of("batchlane_job_id", "job1", "batchlane_shard", "00001");
    private GeminiSimulator sim;
    private GeminiProvider provider;
    private final AtomicInteger opens = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        var builder =
                GeminiSimulator.builder().stepDuration(Duration.ZERO).apiKey("AIza-test").seed(5);
        var doc = DiscoveryDocument.find("gemini-batches.json");
        if (doc.isPresent()) {
            builder.discovery(DiscoveryDocument.load(doc.get()));
        }
        sim = builder.start();
        provider = provider("AIza-test");
    }

    private GeminiProvider provider(String key) {
        return new GeminiProvider(
                new GeminiConfig(
                        URI.create(sim.baseUrl()), key, Duration.ofSeconds(30), 256 * 1024),
                HttpClient.newHttpClient());
    }

    @AfterEach
    void stop() {
        assertThat(sim.conformanceProblems()).isEmpty();
        sim.close();
    }

    /** {@code n} lines of about {@code pad} characters each, as staged. */
    private Payload payload(int n, int pad) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("{\"key\":\"k-")
                    .append(i)
                    .append("\",\"request\":{\"contents\":[{\"parts\":[{\"text\":\"")
                    .append("p".repeat(pad))
                    .append(i)
                    .append("\"}]}],\"generationConfig\":{\"maxOutputTokens\":8}}}\n");
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        return new Payload(
                "job1-00001.jsonl",
                bytes.length,
                () -> {
                    opens.incrementAndGet();
                    return new ByteArrayInputStream(bytes);
                });
    }

    private static List<LineResult> results(GeminiProvider p, BatchView view) {
        List<LineResult> out = new ArrayList<>();
        p.streamResults(view, out::add);
        return out;
    }

    private BatchView runToEnd(String batch) {
        BatchView view = provider.retrieve(batch);
        for (int i = 0; i < 5 && !view.state().terminal(); i++) {
            view = provider.retrieve(batch);
        }
        return view;
    }

    @Test
    void shard_isUploadedInChunks_runAsABatch_joinedByKeyWithUsage_andEverythingIsDeletedAfter() {
        sim.failLines(k -> k.equals("k-2"), 8, "RESOURCE_EXHAUSTED", "quota");
        sim.failLines(k -> k.equals("k-3"), 3, "INVALID_ARGUMENT", "bad request");
        Payload payload = payload(40, 15_000); // about 600 KB: three chunks of 256 KiB at most
        String file = provider.upload(payload);
        assertThat(sim.requestLog())
                .filteredOn(l -> l.startsWith("POST /upload/v1beta/files"))
                .hasSize(4);
        Submission s = provider.create(file, payload, ENDPOINT, META);
        assertThat(s.batchId()).startsWith("batches/");
        assertThat(s.providerStatus()).isEqualTo("pending");
        assertThat(sim.createdDisplayNames()).containsExactly("batchlane-job1-00001");

        BatchView view = runToEnd(s.batchId());
        assertThat(view.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(view.providerStatus()).isEqualTo("succeeded");
        assertThat(view.counts().total()).isEqualTo(40);
        assertThat(view.counts().failed()).isEqualTo(2);
        assertThat(view.outputFileId()).startsWith("files/batch-");
        assertThat(view.errorFileId())
                .as("the batch travels as the second handle, for cleanup")
                .isEqualTo(s.batchId());

        List<LineResult> lines = results(provider, view);
        assertThat(lines).hasSize(40).extracting(LineResult::customId).doesNotHaveDuplicates();
        Map<String, LineResult> byKey = new HashMap<>();
        lines.forEach(l -> byKey.put(l.customId(), l));
        assertThat(byKey.get("k-2").outcome()).isEqualTo(Outcome.FAILED);
        assertThat(byKey.get("k-2").statusCode())
                .as("RESOURCE_EXHAUSTED is retried like a 429")
                .isEqualTo(429);
        assertThat(byKey.get("k-3").statusCode()).isEqualTo(400);
        assertThat(byKey.get("k-3").errorJson()).contains("bad request");
        Usage total =
                lines.stream()
                        .filter(l -> l.usage() != null)
                        .map(LineResult::usage)
                        .reduce(Usage.ZERO, Usage::plus);
        long[] known = sim.knownUsage();
        assertThat(total.inputTokens()).isEqualTo(known[0]);
        assertThat(total.outputTokens())
                .as("thinking tokens are billed as output")
                .isEqualTo(known[1] + known[2]);

        provider.cleanup(file, view.outputFileId(), view.errorFileId());
        assertThat(sim.liveBatchNames()).isEmpty();
        assertThat(sim.liveFileNames()).isEmpty();
        provider.cleanup(file, view.outputFileId(), view.errorFileId()); // gone already is fine
    }

    @Test
    void chunkWhoseAnswerIsLost_isResumedFromWhatTheSessionHolds_notSentAgain() {
        sim.loseNextAnswers("upload.chunk", 503, 1);
        Payload payload = payload(40, 15_000);
        String file = provider.upload(payload);
        // start, the first chunk (taken, answer lost), query, then only the two chunks not yet held
        assertThat(sim.requestLog()).filteredOn(l -> l.startsWith("POST /upload")).hasSize(5);
        assertThat(opens.get()).as("reopened once at the offset the session holds").isEqualTo(2);
        Submission s = provider.create(file, payload, ENDPOINT, META);
        assertThat(results(provider, runToEnd(s.batchId()))).hasSize(40);
    }

    @Test
    void createWhoseAnswerIsLost_isAdoptedByDisplayName_neverCreatedTwice() {
        Payload payload = payload(3, 10);
        String file = provider.upload(payload);
        sim.loseNextAnswers("create", 503, 1);
        Submission adopted = provider.create(file, payload, ENDPOINT, META);
        assertThat(sim.createdDisplayNames()).containsExactly("batchlane-job1-00001");

        // The look right after the failure fails too: the create throws, and the next attempt
        // adopts.
        Map<String, String> other = Map.of("batchlane_job_id", "job1", "batchlane_shard", "00002");
        sim.loseNextAnswers("create", 500, 1);
        sim.failCallsAfter("list", 1, 503, 1);
        assertThatThrownBy(() -> provider.create(file, payload, ENDPOINT, other))
                .isInstanceOf(ProviderException.class)
                .matches(e -> ((ProviderException) e).retryable());
        Submission second = provider.create(file, payload, ENDPOINT, other);
        assertThat(sim.createdDisplayNames())
                .containsExactly("batchlane-job1-00001", "batchlane-job1-00002");
        assertThat(second.batchId()).isNotEqualTo(adopted.batchId());
        assertThat(runToEnd(second.batchId()).state()).isEqualTo(BatchState.COMPLETED);
    }

    @Test
    void refusedCreate_isRetryableWithTheWaitGoogleAskedFor_andNothingIsMade() {
        Payload payload = payload(3, 10);
        String file = provider.upload(payload);
        sim.failNextCalls("create", 429, 1);
        assertThatThrownBy(() -> provider.create(file, payload, ENDPOINT, META))
                .isInstanceOfSatisfying(
                        ProviderException.class,
                        e -> {
                            assertThat(e.statusCode()).isEqualTo(429);
                            assertThat(e.code()).isEqualTo("RESOURCE_EXHAUSTED");
                            assertThat(e.retryable()).isTrue();
                            assertThat(e.retryAfter()).hasValue(Duration.ofSeconds(1));
                            assertThat(GeminiProvider.ambiguous(e)).isFalse();
                        });
        assertThat(sim.createdDisplayNames()).isEmpty();
        assertThatThrownBy(
                        () ->
                                provider.create(
                                        file, payload, "models/gpt-4o:batchGenerateContent", META))
                .isInstanceOfSatisfying(
                        ProviderException.class, e -> assertThat(e.retryable()).isFalse());
    }

    @Test
    void expiredBatch_endsExpiredWithNoResults_soEveryKeyIsResubmitted() {
        sim.expireNextBatches(1);
        Payload payload = payload(3, 10);
        Submission s = provider.submit(payload, ENDPOINT, META);
        BatchView view = runToEnd(s.batchId());
        assertThat(view.state()).isEqualTo(BatchState.EXPIRED);
        assertThat(view.providerStatus())
                .as("the word the core reads to mark unanswered requests expired")
                .isEqualTo("expired");
        assertThat(view.outputFileId()).isNull();
        assertThat(results(provider, view)).isEmpty();
        provider.cleanup(s.inputFileId(), null, view.errorFileId());
        assertThat(sim.liveBatchNames()).isEmpty();
        assertThat(sim.liveFileNames()).isEmpty();
    }

    @Test
    void cancelledBatch_endsCancelled() {
        Submission s = provider.submit(payload(3, 10), ENDPOINT, META);
        provider.cancel(s.batchId());
        BatchView view = runToEnd(s.batchId());
        assertThat(view.state()).isEqualTo(BatchState.CANCELLED);
        assertThat(view.providerStatus()).startsWith("cancel");
    }

    @Test
    void wrongKey_isRefusedForGood() {
        assertThatThrownBy(() -> provider("AIza-wrong").upload(payload(1, 1)))
                .isInstanceOfSatisfying(
                        ProviderException.class,
                        e -> {
                            assertThat(e.statusCode()).isEqualTo(400);
                            assertThat(e.retryable()).isFalse();
                            assertThat(e.getMessage()).doesNotContain("AIza-wrong");
                        });
    }

    @Test
    void everyWireState_mapsToOneLaneState_inBothSpellings() {
        Map<String, BatchState> expected =
                Map.of(
                        "UNSPECIFIED",
                        BatchState.PENDING,
                        "PENDING",
                        BatchState.PENDING,
                        "RUNNING",
                        BatchState.RUNNING,
                        "SUCCEEDED",
                        BatchState.COMPLETED,
                        "FAILED",
                        BatchState.FAILED,
                        "CANCELLED",
                        BatchState.CANCELLED,
                        "EXPIRED",
                        BatchState.EXPIRED);
        assertThat(expected).hasSize(GeminiBatchState.values().length);
        expected.forEach(
                (word, state) -> {
                    assertThat(
                                    GeminiBatchState.fromWire("batches/x", "BATCH_STATE_" + word)
                                            .state())
                            .isEqualTo(state);
                    assertThat(GeminiBatchState.fromWire("batches/x", "JOB_STATE_" + word).state())
                            .isEqualTo(state);
                });
        assertThatThrownBy(() -> GeminiBatchState.fromWire("batches/x", "BATCH_STATE_PAUSED"))
                .isInstanceOf(ProviderException.class)
                .hasMessageContaining("batches/x")
                .hasMessageContaining("PAUSED");
    }

    @Test
    void resultLines_readUsageMetadata_andTellResponsesFromStatuses() throws Exception {
        LineResult ok =
                GeminiResultLines.parse(
                        "{\"response\":{\"usageMetadata\":{\"promptTokenCount\":100,"
                                + "\"cachedContentTokenCount\":60,\"candidatesTokenCount\":20,\"thoughtsTokenCount\":30,"
                                + "\"toolUsePromptTokenCount\":5}},\"key\":\"a\"}");
        assertThat(ok.outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(ok.usage()).isEqualTo(new Usage(105, 60, 50));
        LineResult failed =
                GeminiResultLines.parse(
                        "{\"key\":\"b\",\"error\":{\"code\":14,\"message\":\"unavailable\"}}");
        assertThat(failed.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(failed.statusCode()).isEqualTo(503);
        assertThat(GeminiResultLines.parse("{\"response\":{}}")).as("no key").isNull();
        assertThat(GeminiResultLines.parse("{\"key\":\"c\",\"resp")).as("cut off").isNull();
        assertThat(JSON.readTree(ok.responseJson()).has("usageMetadata")).isTrue();
    }

    /**
     * A failed line's {@code google.rpc.Code}, read by the adapter as passing or final: Google's
     * transient codes pass, the request's own faults and UNIMPLEMENTED do not.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "4,PASSING",
        "8,PASSING",
        "10,PASSING",
        "13,PASSING",
        "14,PASSING",
        "2,PASSING",
        "3,FINAL",
        "5,FINAL",
        "7,FINAL",
        "9,FINAL",
        "12,FINAL",
        "16,FINAL",
        "429,PASSING",
        "400,FINAL"
    })
    void failedLine_isClassifiedByItsRpcCode(
            int code, dev.batchlane.core.provider.FailureKind kind) {
        dev.batchlane.core.provider.LineResult line =
                GeminiResultLines.parse(
                        "{\"key\":\"a\",\"error\":{\"code\":" + code + ",\"message\":\"m\"}}");

        assertThat(line.failureKind()).isEqualTo(kind);
    }
}
