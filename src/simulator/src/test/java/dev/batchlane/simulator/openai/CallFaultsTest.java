package dev.batchlane.simulator.openai;

import static dev.batchlane.simulator.openai.FilesApiTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Whole-call failures, malformed answers, latency and the request log. */
class CallFaultsTest {
    private OpenAiSimulator sim;
    private SimClient client;

    @BeforeEach
    void start() {
        sim =
                OpenAiSimulator.builder()
                        .stepDuration(Duration.ZERO)
                        .retryAfter(Duration.ofMillis(1500))
                        .start();
        client = new SimClient(sim.baseUrl());
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    @Test
    void failNextCalls_429_answersWithRetryAfterThenRecovers() {
        sim.failNextCalls("createFile", 429, 2);

        SimClient.Response first = client.upload("a.jsonl", "batch", "{}".getBytes(), false);
        SimClient.Response second = client.upload("a.jsonl", "batch", "{}".getBytes(), true);
        SimClient.Response third = client.upload("a.jsonl", "batch", "{}".getBytes(), false);

        assertError(first, 429, "requests");
        assertThat(first.json().at("/error/code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(first.headers().firstValue("Retry-After")).hasValue("2");
        assertThat(first.headers().firstValue("retry-after-ms")).hasValue("1500");
        assertError(second, 429, "requests");
        assertThat(third.status()).isEqualTo(200);
        assertThat(sim.uploadCount()).isEqualTo(1);
        assertThat(sim.liveFileIds()).hasSize(1);
    }

    @Test
    void failNextCalls_500_onCreateBatch_createsNothing() {
        String input = client.uploadJsonl(Jsonl.chat(1));
        sim.failNextCalls(Operation.CREATE_BATCH, 500, 1);

        SimClient.Response failed = client.createBatch(input, Jsonl.CHAT, null);
        SimClient.Response retried = client.createBatch(input, Jsonl.CHAT, null);

        assertError(failed, 500, "server_error");
        assertThat(failed.headers().firstValue("Retry-After")).isEmpty();
        assertThat(retried.status()).isEqualTo(200);
        assertThat(sim.batches()).hasSize(1);
    }

    @Test
    void failNextCalls_onRetrieveBatch_doesNotAdvanceTheBatch() {
        String id = client.submit(Jsonl.chat(1), Jsonl.CHAT);
        sim.failNextCalls(Operation.RETRIEVE_BATCH, 503, 1, "overloaded", "Try later.");

        SimClient.Response failed = client.getBatch(id);

        assertError(failed, 503, "server_error");
        assertThat(failed.json().at("/error/code").asText()).isEqualTo("overloaded");
        assertThat(sim.batch(id))
                .get()
                .extracting(BatchSnapshot::status)
                .isEqualTo(BatchStatus.VALIDATING);
        assertThat(client.getBatch(id).json().get("status").asText()).isEqualTo("in_progress");
    }

    @Test
    void failNextCalls_onlyAffectsTheNamedOperation() {
        String id = client.uploadJsonl("{}");
        sim.failNextCalls("deleteFile", 500, 1);

        assertThat(client.get("/files/" + id + "/content").status()).isEqualTo(200);
        assertError(client.delete("/files/" + id), 500, "server_error");
        assertThat(client.delete("/files/" + id).status()).isEqualTo(200);
    }

    @Test
    void malformNextCalls_answers200WithTruncatedJson() {
        String id = client.submit(Jsonl.chat(1), Jsonl.CHAT);
        sim.malformNextCalls("retrieveBatch", 1);

        SimClient.Response malformed = client.getBatch(id);

        assertThat(malformed.status()).isEqualTo(200);
        assertThatThrownBy(malformed::json).hasMessageContaining("not JSON");
        assertThat(client.getBatch(id).json().get("id").asText()).isEqualTo(id);
    }

    @Test
    void controls_rejectNonsense() {
        assertThatThrownBy(() -> sim.failNextCalls("createFiles", 500, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("createFile");
        assertThatThrownBy(() -> sim.failNextCalls(Operation.CREATE_FILE, 200, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> sim.failFraction(1.5, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> sim.setLatency(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void setLatency_delaysEveryAnswer() {
        sim.setLatency(Duration.ofMillis(300));

        long start = System.nanoTime();
        client.get("/batches");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        sim.setLatency(Duration.ZERO);

        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }

    @Test
    void requestLog_recordsMethodPathAndStatusInOrder() {
        String id = client.uploadJsonl("{}");
        client.get("/files/" + id);
        client.get("/files/file-nope");
        new SimClient(sim.baseUrl(), null).get("/batches");

        assertThat(sim.requestLog())
                .containsExactly(
                        new RecordedRequest("POST", "/v1/files", 200),
                        new RecordedRequest("GET", "/v1/files/" + id, 200),
                        new RecordedRequest("GET", "/v1/files/file-nope", 404),
                        new RecordedRequest("GET", "/v1/batches", 401));
    }

    @Test
    void baseUrl_pointsAtTheLoopbackPortUnderV1() {
        assertThat(sim.baseUrl()).isEqualTo("http://127.0.0.1:" + sim.port() + "/v1");
        assertThat(sim.port()).isPositive();
    }
}
