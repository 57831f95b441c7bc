package dev.batchlane.functions;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.poll.PollService;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/** The complete function as deployed: DynamoDB stream records through the Lambda event server. */
@QuarkusTest
@TestProfile(CompleteHandlerTest.CompleteFunction.class)
@QuarkusTestResource(value = LocalLane.class, restrictToAnnotatedClass = false)
class CompleteHandlerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static class CompleteFunction implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.lambda.handler", "complete");
        }
    }

    @LocalLane.Inject LocalLane.Parts lane;

    @Inject IngestService ingest;

    @Inject PollService poll;

    @Inject JobStore jobs;

    @Test
    void streamRecordOfAShardReachingEnded_joinsIt_andADuplicateDeliveryChangesNothing()
            throws Exception {
        String key = "inbox/openai/complete-me.jsonl";
        lane.s3()
                .putObject(
                        b -> b.bucket(LocalLane.BUCKET).key(key),
                        RequestBody.fromBytes(LaneEndToEndTest.chatLines(5)));
        var head = lane.s3().headObject(b -> b.bucket(LocalLane.BUCKET).key(key));
        String jobId =
                ingest.ingest(
                                new IngestService.ObjectRef(
                                        LocalLane.BUCKET, key, null, head.eTag(), 0))
                        .jobId();
        for (int i = 0;
                i < 10 && jobs.shard(jobId, 1).orElseThrow().status() != ShardStatus.ENDED;
                i++) {
            poll.pollDue();
        }
        String endedEvent = null;
        for (String event : lane.stream().drain(100)) {
            if (event.contains("\"ENDED\"") && event.contains(jobId)) {
                endedEvent = event;
            }
        }
        assertThat(endedEvent).as("stream record of the shard reaching ENDED").isNotNull();

        String first =
                given().contentType("application/json")
                        .body(endedEvent)
                        .when()
                        .post()
                        .then()
                        .statusCode(200)
                        .extract()
                        .asString();
        String part =
                lane.s3()
                        .getObjectAsBytes(
                                b ->
                                        b.bucket(LocalLane.BUCKET)
                                                .key("results/" + jobId + "/part-00001.jsonl"))
                        .asUtf8String();
        String second =
                given().contentType("application/json")
                        .body(endedEvent)
                        .when()
                        .post()
                        .then()
                        .statusCode(200)
                        .extract()
                        .asString();

        JsonNode firstResult = JSON.readTree(first);
        assertThat(firstResult.toString()).contains("JOINED");
        assertThat(JSON.readTree(second).toString()).contains("ALREADY_DONE");
        assertThat(part.split("\n")).hasSize(5);
        assertThat(
                        lane.s3()
                                .getObjectAsBytes(
                                        b ->
                                                b.bucket(LocalLane.BUCKET)
                                                        .key(
                                                                "results/"
                                                                        + jobId
                                                                        + "/part-00001.jsonl"))
                                .asUtf8String())
                .isEqualTo(part);
        assertThat(jobs.job(jobId).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(jobs.job(jobId).orElseThrow().shardsCompleted()).isEqualTo(1);
    }

    @Test
    void recordsOfOtherTransitions_areIgnored() {
        // The sample holds one ENDED shard of a job that does not exist and one SUBMITTED one: only
        // the first is acted on, and its missing record is an error that Lambda retries.
        String sample = Events.read("dynamodb-shard-ended.json");
        String submittedOnly =
                sample.substring(0, sample.indexOf("\"Records\": [") + 12)
                        + sample.substring(sample.indexOf("    {\n      \"eventID\": \"eccbc87e"));
        String body =
                given().contentType("application/json")
                        .body(submittedOnly)
                        .when()
                        .post()
                        .then()
                        .statusCode(200)
                        .extract()
                        .asString();
        assertThat(body).isEqualTo("[]");
    }
}
