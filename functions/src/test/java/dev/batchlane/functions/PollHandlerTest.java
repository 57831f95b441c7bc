package dev.batchlane.functions;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The poll function as deployed: the EventBridge scheduled event through the Lambda event server.
 */
@QuarkusTest
@TestProfile(PollHandlerTest.PollFunction.class)
@QuarkusTestResource(value = LocalLane.class, restrictToAnnotatedClass = false)
class PollHandlerTest {

    public static class PollFunction implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.lambda.handler", "poll");
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
            assertThat(summary).contains("\"due\":1");
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

    private Shard shard(String jobId) {
        return jobs.shard(jobId, 1).orElseThrow();
    }
}
