package dev.batchlane.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.simulator.MutableClock;
import dev.batchlane.simulator.openai.Dialect;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import dev.batchlane.simulator.openai.RecordedRequest;
import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Each vendor's adapter against the simulator playing that vendor, over real HTTP: the simulator
 * refuses what the vendor refuses (a bearer-less Azure call, metadata on a Together create, a
 * Mistral job without a model, OpenAI's paths at Mistral), so these runs fail if the profile is
 * wrong.
 */
class VendorProviderTest {
    private static final Duration STEP = Duration.ofSeconds(1);
    private static final Map<String, String> METADATA =
            Map.of("batchlane_job_id", "job-1", "batchlane_shard", "0");

    private final MutableClock clock = new MutableClock(Instant.parse("2026-09-01T10:00:00Z"));
    private final HttpClient http = HttpClient.newHttpClient();
    private OpenAiSimulator sim;

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close();
        }
    }

    private OpenAiSimulator start(Dialect dialect) {
        sim = OpenAiSimulator.builder().dialect(dialect).clock(clock).stepDuration(STEP).start();
        return sim;
    }

    private OpenAiConfig config() {
        return new OpenAiConfig(sim.baseUri(), "key-0123", Duration.ofSeconds(10));
    }

    @Test
    void azure_apiKeyHeaderUnderOpenaiV1_runsABatchAndCleansUpTheEmptyErrorFile() {
        start(Dialect.AZURE);
        OpenAiProvider azure =
                new OpenAiProvider(Vendor.azure(null, Vendor.Auth.API_KEY), config(), http);

        List<LineResult> results =
                run(
                        azure,
                        fullLines(3, "/chat/completions", "gpt-4o-mini-batch"),
                        "/chat/completions");

        assertThat(results)
                .extracting(LineResult::outcome)
                .containsOnly(Outcome.SUCCEEDED)
                .hasSize(3);
        assertThat(sim.requestLog())
                .extracting(RecordedRequest::path)
                .allMatch(p -> p.startsWith("/openai/v1/"));
        assertThat(sim.liveFileIds())
                .as("input, output and the zero-byte error file are all deleted")
                .isEmpty();
    }

    @Test
    void azure_completedBatch_hasAnErrorFileEvenWhenNothingFailed() {
        start(Dialect.AZURE);
        OpenAiProvider azure =
                new OpenAiProvider(Vendor.azure(null, Vendor.Auth.API_KEY), config(), http);
        Submission s =
                azure.submit(
                        payload(fullLines(2, "/chat/completions", "dep")),
                        "/chat/completions",
                        METADATA);

        BatchView ended = untilEnded(azure, s.batchId());

        assertThat(ended.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(ended.errorFileId()).isNotNull();
        List<LineResult> results = new ArrayList<>();
        azure.streamResults(ended, results::add);
        assertThat(results).hasSize(2);
    }

    @Test
    void azure_batchStillRunningAfter24Hours_isNotExpired_whereOpenAisWouldBe() {
        start(Dialect.AZURE);
        OpenAiProvider azure =
                new OpenAiProvider(Vendor.azure(null, Vendor.Auth.API_KEY), config(), http);
        Submission s =
                azure.submit(
                        payload(fullLines(2, "/chat/completions", "dep")),
                        "/chat/completions",
                        METADATA);
        clock.advance(Duration.ofHours(25));

        assertThat(azure.retrieve(s.batchId()).state()).isEqualTo(BatchState.RUNNING);
        assertThat(untilEnded(azure, s.batchId()).state()).isEqualTo(BatchState.COMPLETED);

        sim.close();
        start(Dialect.OPENAI);
        OpenAiProvider openai = new OpenAiProvider(config(), http);
        Submission o =
                openai.submit(
                        payload(fullLines(2, "/v1/chat/completions", "gpt-4o-mini")),
                        "/v1/chat/completions",
                        METADATA);
        clock.advance(Duration.ofHours(25));
        assertThat(openai.retrieve(o.batchId()).state()).isEqualTo(BatchState.EXPIRED);
    }

    @Test
    void azure_datedSurface_sendsApiVersionOnEveryCall() {
        start(Dialect.AZURE);
        String base = sim.baseUrl().replace("/openai/v1", "/openai");
        OpenAiProvider azure =
                new OpenAiProvider(
                        Vendor.azure("2024-10-21", Vendor.Auth.BEARER),
                        new OpenAiConfig(
                                java.net.URI.create(base), "entra-token", Duration.ofSeconds(10)),
                        http);

        List<LineResult> results =
                run(azure, fullLines(2, "/chat/completions", "dep"), "/chat/completions");

        assertThat(results).hasSize(2);
        assertThat(sim.requestLog())
                .extracting(RecordedRequest::path)
                .allMatch(p -> p.startsWith("/openai/") && !p.startsWith("/openai/v1"));
    }

    @Test
    void azure_withoutApiVersionOnTheDatedSurface_isNotFound() {
        start(Dialect.AZURE);
        String base = sim.baseUrl().replace("/openai/v1", "/openai");
        OpenAiProvider azure =
                new OpenAiProvider(
                        Vendor.azure(null, Vendor.Auth.API_KEY),
                        new OpenAiConfig(java.net.URI.create(base), "k", Duration.ofSeconds(10)),
                        http);

        ProviderException e =
                catchThrowableOfType(
                        () -> azure.upload(payload(fullLines(1, "/chat/completions", "d"))),
                        ProviderException.class);

        assertThat(e.statusCode()).isEqualTo(404);
    }

    @Test
    void groq_underOpenaiV1_runsABatch() {
        start(Dialect.GROQ);
        OpenAiProvider groq = new OpenAiProvider(Vendor.GROQ, config(), http);

        List<LineResult> results =
                run(
                        groq,
                        fullLines(4, "/v1/chat/completions", "llama-3.1-8b-instant"),
                        "/v1/chat/completions");

        assertThat(results)
                .extracting(LineResult::outcome)
                .containsOnly(Outcome.SUCCEEDED)
                .hasSize(4);
        assertThat(sim.liveFileIds()).isEmpty();
    }

    @Test
    void together_bodyOnlyLinesAndUpperCaseStatuses_runABatch() {
        start(Dialect.TOGETHER);
        OpenAiProvider together = new OpenAiProvider(Vendor.TOGETHER, config(), http);

        List<LineResult> results =
                run(
                        together,
                        bodyOnlyLines(3, "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
                        "/v1/chat/completions");

        assertThat(results)
                .extracting(LineResult::outcome)
                .containsOnly(Outcome.SUCCEEDED)
                .hasSize(3);
        assertThat(sim.liveFileIds()).isEmpty();
    }

    @Test
    void together_refusesOpenAiProfile_becauseOfPurposeAndMetadata() {
        start(Dialect.TOGETHER);
        OpenAiProvider openAiShaped = new OpenAiProvider(Vendor.OPENAI, config(), http);

        ProviderException e =
                catchThrowableOfType(
                        () -> openAiShaped.upload(payload(bodyOnlyLines(1, "m"))),
                        ProviderException.class);

        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.getMessage()).contains("purpose");
    }

    @Test
    void mistral_jobsApi_runsAJobWithTheModelOfTheLines() {
        start(Dialect.MISTRAL);
        MistralProvider mistral = new MistralProvider(config(), http);

        List<LineResult> results =
                run(mistral, bodyOnlyLines(5, "mistral-small-latest"), "/v1/chat/completions");

        assertThat(results)
                .extracting(LineResult::outcome)
                .containsOnly(Outcome.SUCCEEDED)
                .hasSize(5);
        assertThat(results.get(0).responseJson()).contains("mistral-small-latest");
        assertThat(sim.requestLog())
                .extracting(RecordedRequest::path)
                .anyMatch(p -> p.startsWith("/v1/batch/jobs/"))
                .noneMatch(p -> p.startsWith("/v1/batches"));
        assertThat(sim.liveFileIds()).isEmpty();
    }

    @Test
    void mistral_openAiBatchesPath_doesNotExist() {
        start(Dialect.MISTRAL);
        OpenAiProvider openAiShaped = new OpenAiProvider(Vendor.MISTRAL, config(), http);
        String fileId = openAiShaped.upload(payload(bodyOnlyLines(1, "m")));

        ProviderException e =
                catchThrowableOfType(
                        () -> openAiShaped.create(fileId, null, "/v1/chat/completions", Map.of()),
                        ProviderException.class);

        assertThat(e.statusCode()).isEqualTo(404);
    }

    @Test
    void mistral_cancel_endsTheJobCancelled() {
        start(Dialect.MISTRAL);
        MistralProvider mistral = new MistralProvider(config(), http);
        Payload payload = payload(bodyOnlyLines(2, "mistral-small-latest"));
        Submission s =
                mistral.create(mistral.upload(payload), payload, "/v1/chat/completions", METADATA);

        mistral.cancel(s.batchId());
        BatchView ended = untilEnded(mistral, s.batchId());

        assertThat(ended.state()).isEqualTo(BatchState.CANCELLED);
        assertThat(ended.providerStatus()).isEqualTo("CANCELLED");
    }

    @Test
    void mistral_flatErrorEnvelope_keepsMistralsMessage() {
        start(Dialect.MISTRAL);
        MistralProvider mistral = new MistralProvider(config(), http);

        ProviderException e =
                catchThrowableOfType(
                        () ->
                                mistral.create(
                                        "no-such-file",
                                        payload(bodyOnlyLines(1, "mistral-small-latest")),
                                        "/v1/chat/completions",
                                        METADATA),
                        ProviderException.class);

        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.getMessage()).contains("no-such-file").contains("does not exist");
    }

    @Test
    void mistral_unknownStatus_isRefusedNotGuessed() {
        ProviderException e =
                catchThrowableOfType(
                        () -> MistralProvider.state("j-1", "PAUSED"), ProviderException.class);

        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage()).contains("j-1").contains("PAUSED");
    }

    // ---- helpers --------------------------------------------------------------------------------

    private List<LineResult> run(BatchProvider provider, String lines, String endpoint) {
        Payload payload = payload(lines);
        String fileId = provider.upload(payload);
        Submission s = provider.create(fileId, payload, endpoint, METADATA);
        BatchView ended = untilEnded(provider, s.batchId());
        assertThat(ended.state())
                .as("batch %s: %s", ended.batchId(), ended.error())
                .isEqualTo(BatchState.COMPLETED);
        List<LineResult> results = new ArrayList<>();
        provider.streamResults(ended, results::add);
        provider.cleanup(fileId, ended.outputFileId(), ended.errorFileId());
        return results;
    }

    private BatchView untilEnded(BatchProvider provider, String batchId) {
        for (int i = 0; i < 10; i++) {
            clock.advance(STEP);
            BatchView view = provider.retrieve(batchId);
            if (view.state().terminal()) {
                return view;
            }
        }
        throw new AssertionError("batch " + batchId + " did not end within 10 steps");
    }

    private static Payload payload(String text) {
        byte[] content = text.getBytes(StandardCharsets.UTF_8);
        return new Payload(
                "job-1-part-00000.jsonl", content.length, () -> new ByteArrayInputStream(content));
    }

    private static String fullLines(int n, String url, String model) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("{\"custom_id\":\"r-")
                    .append(i)
                    .append("\",\"method\":\"POST\",\"url\":\"")
                    .append(url)
                    .append("\",\"body\":{\"model\":\"")
                    .append(model)
                    .append("\",\"messages\":[{\"role\":\"user\",\"content\":\"hi ")
                    .append(i)
                    .append("\"}]}}\n");
        }
        return sb.toString();
    }

    private static String bodyOnlyLines(int n, String model) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("{\"custom_id\":\"r-")
                    .append(i)
                    .append("\",\"body\":{\"model\":\"")
                    .append(model)
                    .append("\",\"messages\":[{\"role\":\"user\",\"content\":\"hi ")
                    .append(i)
                    .append("\"}]}}\n");
        }
        return sb.toString();
    }
}
