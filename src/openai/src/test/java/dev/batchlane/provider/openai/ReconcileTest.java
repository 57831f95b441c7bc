package dev.batchlane.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderBusy;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.simulator.openai.LostAnswer;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import dev.batchlane.simulator.openai.Operation;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The adapter against the simulator when creations take effect and their answers are lost, and when
 * the provider's queue says "not now".
 */
class ReconcileTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LINE =
            "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                    + "\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}}\n";
    private static final Map<String, String> META =
            Map.of("batchlane_job_id", "job-1", "batchlane_shard", "00003");

    private OpenAiSimulator sim;
    private OpenAiProvider provider;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        sim = OpenAiSimulator.builder().stepDuration(Duration.ZERO).start();
        provider =
                new OpenAiProvider(
                        new OpenAiConfig(sim.baseUri(), "sk-test", Duration.ofSeconds(10)), http);
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private static Payload payload(String name) {
        byte[] bytes = LINE.getBytes(StandardCharsets.UTF_8);
        return new Payload(name, bytes.length, () -> new ByteArrayInputStream(bytes));
    }

    private CreationQuery query(CreationAttempt.Step step, Instant at, String inputFileId) {
        return new CreationQuery(
                "job-1",
                "00003",
                payload("job-1-00003.jsonl"),
                1,
                META,
                step,
                at,
                inputFileId,
                Set.of());
    }

    @Test
    void batchCreatedButAnswered502_isFoundByItsMetadata_andOnlyThatOne() {
        String file = provider.upload(payload("job-1-00003.jsonl"));
        // another shard's batch, made just before: not ours
        provider.create(
                file,
                null,
                "/v1/chat/completions",
                Map.of("batchlane_job_id", "job-1", "batchlane_shard", "00004"));
        Instant at = Instant.now();
        sim.loseNextAnswers(Operation.CREATE_BATCH, LostAnswer.BAD_GATEWAY, 1);

        assertThatThrownBy(() -> provider.create(file, null, "/v1/chat/completions", META))
                .isInstanceOfSatisfying(
                        ProviderException.class, e -> assertThat(e.mayHaveTakenEffect()).isTrue());
        assertThat(sim.batches()).hasSize(2);

        Reconciliation found = provider.findCreated(query(CreationAttempt.Step.CREATE, at, file));
        assertThat(found.found()).isEqualTo(Reconciliation.Found.BATCH);
        assertThat(found.batchId()).isEqualTo(sim.batches().get(1).id());
        assertThat(found.inputFileId()).isEqualTo(file);
    }

    @Test
    void noSuchBatch_isNothing_soTheCreationMayBeMadeAgain() {
        String file = provider.upload(payload("job-1-00003.jsonl"));
        sim.failNextCalls(Operation.CREATE_BATCH, 500, 1);
        Instant at = Instant.now();
        assertThatThrownBy(() -> provider.create(file, null, "/v1/chat/completions", META))
                .isInstanceOf(ProviderException.class);

        assertThat(provider.findCreated(query(CreationAttempt.Step.CREATE, at, file)).found())
                .isEqualTo(Reconciliation.Found.NOTHING);
    }

    @Test
    void uploadStoredButTheConnectionReset_isFoundByNameAndSize_andASecondSuchUploadIsDeleted() {
        Instant at = Instant.now();
        sim.loseNextAnswers(Operation.CREATE_FILE, LostAnswer.RESET, 2);
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> provider.upload(payload("job-1-00003.jsonl")))
                    .isInstanceOfSatisfying(
                            ProviderException.class,
                            e -> assertThat(e.mayHaveTakenEffect()).isTrue());
        }
        provider.upload(payload("job-1-00004.jsonl")); // another shard's
        assertThat(sim.liveFileIds()).hasSize(3);

        Reconciliation found = provider.findCreated(query(CreationAttempt.Step.UPLOAD, at, null));

        assertThat(found.found()).isEqualTo(Reconciliation.Found.FILE);
        assertThat(sim.liveFileIds())
                .as("the extra lost upload is deleted")
                .hasSize(2)
                .contains(found.inputFileId());
    }

    @Test
    void uploadsAndOutputsExpireByThemselves() throws Exception {
        String file = provider.upload(payload("job-1-00003.jsonl"));
        JsonNode f = get("files/" + file);
        assertThat(f.path("expires_at").asLong() - f.path("created_at").asLong())
                .isEqualTo(OpenAiProvider.INPUT_EXPIRES_AFTER_SECONDS);
        String batch = provider.create(file, null, "/v1/chat/completions", META).batchId();
        while (!provider.retrieve(batch).state().terminal()) {
            // the simulator advances one status per retrieve
        }
        JsonNode out = get("files/" + sim.batch(batch).orElseThrow().outputFileId());
        assertThat(out.path("expires_at").asLong() - out.path("created_at").asLong())
                .as("the most the API allows, which the simulator bounds as the API does")
                .isEqualTo(OpenAiProvider.OUTPUT_EXPIRES_AFTER_SECONDS)
                .isEqualTo(java.time.Duration.ofDays(30).toSeconds());
    }

    @Test
    void enqueuedTokenLimitRefusedAtCreate_isBusy_withTheStatedLimit() {
        sim.setEnqueuedTokenLimit(3L, true);
        String file = provider.upload(payload("job-1-00003.jsonl"));

        assertThatThrownBy(() -> provider.create(file, null, "/v1/chat/completions", META))
                .isInstanceOfSatisfying(
                        ProviderException.class,
                        e -> {
                            assertThat(e.retryable()).isTrue();
                            assertThat(e.mayHaveTakenEffect()).isFalse();
                            assertThat(e.busy())
                                    .get()
                                    .extracting(ProviderBusy::reason, ProviderBusy::statedLimit)
                                    .containsExactly(ProviderBusy.Reason.ENQUEUED_TOKENS, 3L);
                        });
        assertThat(sim.batches()).isEmpty();
    }

    @Test
    void batchFailedInValidationForTheLimit_isSeenAsBusy_notAsABadInput() {
        sim.setEnqueuedTokenLimit(3L, false);
        String file = provider.upload(payload("job-1-00003.jsonl"));
        String batch = provider.create(file, null, "/v1/chat/completions", META).batchId();

        var view = provider.retrieve(batch);
        while (!view.state().terminal()) {
            view = provider.retrieve(batch);
        }
        assertThat(view.state()).isEqualTo(BatchState.FAILED);
        assertThat(view.busy()).isNotNull();
        assertThat(view.busy().statedLimit()).isEqualTo(3L);
    }

    @Test
    void fileNotReadyAndRateLimit_areBusy_andMadeNothing() {
        String file = provider.upload(payload("job-1-00003.jsonl"));
        sim.fileNotReadyForNextCreates(1);
        sim.failNextCalls(Operation.CREATE_BATCH, 429, 1);

        assertThatThrownBy(() -> provider.create(file, null, "/v1/chat/completions", META))
                .isInstanceOfSatisfying(
                        ProviderException.class,
                        e ->
                                assertThat(e.busy())
                                        .get()
                                        .extracting(ProviderBusy::reason)
                                        .isEqualTo(ProviderBusy.Reason.RATE_LIMITED));
        assertThatThrownBy(() -> provider.create(file, null, "/v1/chat/completions", META))
                .isInstanceOfSatisfying(
                        ProviderException.class,
                        e ->
                                assertThat(e.busy())
                                        .get()
                                        .extracting(ProviderBusy::reason)
                                        .isEqualTo(ProviderBusy.Reason.FILE_NOT_READY));
        assertThat(sim.batches()).isEmpty();
        assertThat(provider.create(file, null, "/v1/chat/completions", META).batchId()).isNotNull();
    }

    @Test
    void statedLimitIsReadAsANumber_whateverItsSeparators() {
        assertThat(
                        ProviderBusy.limitIn(
                                "Enqueued token limit reached for gpt-4o-mini in organization org-x. "
                                        + "Limit: 2,000,000 enqueued tokens."))
                .isEqualTo(2_000_000L);
        assertThat(ProviderBusy.limitIn("no number here")).isNull();
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> r =
                http.send(
                        HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/" + path))
                                .header("Authorization", "Bearer sk-test")
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }
}
