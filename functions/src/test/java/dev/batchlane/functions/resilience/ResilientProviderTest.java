package dev.batchlane.functions.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.functions.LocalLane;
import dev.batchlane.simulator.openai.Operation;
import dev.batchlane.simulator.openai.RecordedRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The provider as the functions use it, against the simulator answering 429 and 5xx on demand. */
@QuarkusTest
@QuarkusTestResource(value = LocalLane.class, restrictToAnnotatedClass = false)
class ResilientProviderTest {
    private static final byte[] LINE =
            ("{\"custom_id\":\"r-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                            + "\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}\n")
                    .getBytes(StandardCharsets.UTF_8);

    @LocalLane.Inject LocalLane.Parts lane;

    @Inject Providers providers;

    private BatchProvider openai;
    private final Payload payload =
            new Payload("r.jsonl", LINE.length, () -> new ByteArrayInputStream(LINE));

    @BeforeEach
    void setUp() {
        openai = providers.get("openai");
        lane.openai().setRetryAfter(Duration.ofMillis(50));
    }

    private long calls(Operation op) {
        return lane.openai().requestLog().stream()
                .map(RecordedRequest::toString)
                .filter(
                        r ->
                                r.contains(
                                        op == Operation.RETRIEVE_BATCH
                                                ? "GET /v1/batches/"
                                                : "POST /v1/batches"))
                .count();
    }

    @Test
    void retrieve_retriesRateLimitsAndServerErrors_untilItGetsAnAnswer() {
        String fileId = openai.upload(payload);
        String batchId = openai.create(fileId, payload, "/v1/chat/completions", Map.of()).batchId();
        long before = calls(Operation.RETRIEVE_BATCH);
        lane.openai().failNextCalls(Operation.RETRIEVE_BATCH, 429, 1);
        lane.openai().failNextCalls(Operation.RETRIEVE_BATCH, 503, 1);

        assertThat(openai.retrieve(batchId).batchId()).isEqualTo(batchId);
        assertThat(calls(Operation.RETRIEVE_BATCH) - before).isEqualTo(3);
    }

    @Test
    void createBatch_isRetriedAfterA429_butNotAfterA5xx_whichMayHaveCreatedIt() {
        String fileId = openai.upload(payload);
        long before = calls(Operation.CREATE_BATCH);
        lane.openai().failNextCalls(Operation.CREATE_BATCH, 429, 1);
        assertThat(openai.create(fileId, payload, "/v1/chat/completions", Map.of()).batchId())
                .startsWith("batch_");
        assertThat(calls(Operation.CREATE_BATCH) - before).isEqualTo(2);

        long again = calls(Operation.CREATE_BATCH);
        lane.openai().failNextCalls(Operation.CREATE_BATCH, 500, 1);
        assertThatThrownBy(() -> openai.create(fileId, payload, "/v1/chat/completions", Map.of()))
                .isInstanceOf(ProviderException.class)
                .hasMessageContaining("500");
        assertThat(calls(Operation.CREATE_BATCH) - again).isEqualTo(1);
    }

    @Test
    void aCreationWhoseAnswerWasLost_isFoundThroughTheWiredProvider_notReportedAsNothing() {
        String fileId = openai.upload(payload);
        java.time.Instant at = java.time.Instant.now();
        Map<String, String> meta =
                Map.of("batchlane_job_id", "job-lost", "batchlane_shard", "00001");
        lane.openai()
                .loseNextAnswers(
                        Operation.CREATE_BATCH,
                        dev.batchlane.simulator.openai.LostAnswer.BAD_GATEWAY,
                        1);
        assertThatThrownBy(() -> openai.create(fileId, payload, "/v1/chat/completions", meta))
                .isInstanceOf(ProviderException.class);

        var found =
                openai.findCreated(
                        new dev.batchlane.core.provider.CreationQuery(
                                "job-lost",
                                "00001",
                                payload,
                                1,
                                meta,
                                dev.batchlane.core.job.CreationAttempt.Step.CREATE,
                                at,
                                fileId,
                                java.util.Set.of()));

        assertThat(found.found()).isEqualTo(dev.batchlane.core.provider.Reconciliation.Found.BATCH);
        assertThat(found.inputFileId()).isEqualTo(fileId);
    }

    @Test
    void aRefusalThatDoesNotPass_isNotRetried() {
        long before = calls(Operation.RETRIEVE_BATCH);
        assertThatThrownBy(() -> openai.retrieve("batch_does_not_exist"))
                .isInstanceOf(ProviderException.class)
                .satisfies(e -> assertThat(((ProviderException) e).statusCode()).isEqualTo(404));
        assertThat(calls(Operation.RETRIEVE_BATCH) - before).isEqualTo(1);
    }

    @Test
    void backoff_honoursRetryAfter_elseGrowsExponentially_andIsCapped() {
        RetryAfterBackoff b = new RetryAfterBackoff(Duration.ofSeconds(5));
        b.init(100);
        RuntimeException plain = new ProviderException("x", 503, "server_error", true, null);
        assertThat(b.nextDelayInMillis(plain)).isEqualTo(100);
        assertThat(b.nextDelayInMillis(plain)).isEqualTo(200);
        assertThat(
                        b.nextDelayInMillis(
                                new ProviderException(
                                        "x",
                                        429,
                                        "rate_limit",
                                        true,
                                        Duration.ofMillis(1500),
                                        null)))
                .isEqualTo(1500);
        assertThat(
                        b.nextDelayInMillis(
                                new ProviderException(
                                        "x", 429, "rate_limit", true, Duration.ofMinutes(5), null)))
                .isEqualTo(5000);
    }
}
