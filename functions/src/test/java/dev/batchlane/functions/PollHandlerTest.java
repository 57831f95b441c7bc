package dev.batchlane.functions;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.queue.QueueIntake;
import dev.batchlane.core.queue.QueueName;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The poll function as deployed: the EventBridge scheduled event through the Lambda event server,
 * following due shards and flushing due queues in the same cycle.
 */
@QuarkusTest
@TestProfile(PollHandlerTest.PollFunction.class)
@QuarkusTestResource(value = LocalLane.class, restrictToAnnotatedClass = false)
class PollHandlerTest {

    public static class PollFunction implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quarkus.lambda.handler",
                    "poll",
                    // A queue that is due as soon as one request waits.
                    "batchlane.queues",
                    "{\"openai/poll-queue\":{\"max-requests\":1}}");
        }
    }

    @LocalLane.Inject LocalLane.Parts lane;

    @Inject IngestService ingest;

    @Inject JobStore jobs;

    @Test
    void scheduledEvent_followsDueShardsThroughTheProviderStatusesUntilEnded() {
        String key = "inbox/openai/poll-me.jsonl";
        lane.s3()
                .putObject(
                        b -> b.bucket(LocalLane.BUCKET).key(key),
                        RequestBody.fromBytes(LaneEndToEndTest.chatLines(3)));
        var head = lane.s3().headObject(b -> b.bucket(LocalLane.BUCKET).key(key));
        var job =
                ingest.ingest(
                        new IngestService.ObjectRef(LocalLane.BUCKET, key, null, head.eTag(), 0));
        String scheduled = Events.read("scheduled.json");

        var statuses = new java.util.ArrayList<String>();
        for (int i = 0; i < 10 && shard(job.jobId()).status() != ShardStatus.ENDED; i++) {
            String summary =
                    given().contentType("application/json")
                            .body(scheduled)
                            .when()
                            .post()
                            .then()
                            .statusCode(200)
                            .extract()
                            .asString();
            assertThat(summary).contains("\"shards\":{").contains("\"due\":1");
            statuses.add(shard(job.jobId()).batch().providerStatus());
        }

        Shard ended = shard(job.jobId());
        assertThat(ended.status()).isEqualTo(ShardStatus.ENDED);
        // Due again only if complete has not taken it by the end of its grace: then poll flags it
        // stuck.
        assertThat(ended.timeline().dueAt())
                .isEqualTo(ended.timeline().endedAt().plus(java.time.Duration.ofMinutes(30)));
        assertThat(ended.batch().outputFileId()).isNotNull();
        assertThat(ended.batch().providerCounts().completed()).isEqualTo(3);
        assertThat(statuses).containsSubsequence("in_progress", "finalizing", "completed");
        assertThat(ended.batch().pollCount()).isEqualTo(statuses.size());
    }

    @Inject QueueIntake intake;

    @Test
    void scheduledEvent_alsoFlushesTheQueuesThatAreDue_intoAnInboxFileUnderQueued()
            throws Exception {
        QueueName queue = new QueueName("openai", "poll-queue");
        String line =
                "{\"custom_id\":\"q-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                        + "\"body\":{\"model\":\"gpt-4o-mini\",\"max_tokens\":16,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}";
        assertThat(
                        intake.accept(
                                        new QueueIntake.Incoming(
                                                queue,
                                                line.getBytes(StandardCharsets.UTF_8),
                                                1,
                                                null,
                                                Map.of()))
                                .verdict())
                .isEqualTo(QueueIntake.Verdict.ACCEPTED);

        JsonNode cycle =
                new ObjectMapper()
                        .readTree(
                                given().contentType("application/json")
                                        .body(Events.read("scheduled.json"))
                                        .when()
                                        .post()
                                        .then()
                                        .statusCode(200)
                                        .extract()
                                        .asString());

        // The queue's policy came from batchlane.queues (BATCHLANE_QUEUES): full at one request.
        assertThat(cycle.at("/queue/flushes").asInt()).isEqualTo(1);
        assertThat(cycle.at("/queue/requestsFlushed").asLong()).isEqualTo(1);
        assertThat(cycle.has("shards")).isTrue();
        var dropped =
                lane.s3()
                        .listObjectsV2(
                                b ->
                                        b.bucket(LocalLane.BUCKET)
                                                .prefix("inbox/openai/queued/poll-queue/"))
                        .contents();
        assertThat(dropped).singleElement().satisfies(o -> assertThat(o.key()).endsWith(".jsonl"));
    }

    private Shard shard(String jobId) {
        return jobs.shard(jobId, 1).orElseThrow();
    }
}
