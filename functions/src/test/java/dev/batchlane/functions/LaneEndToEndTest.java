package dev.batchlane.functions;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.functions.complete.CompleteHandler;
import dev.batchlane.functions.poll.PollHandler;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The whole OpenAI lane on real emulators and the simulator: the S3 event goes through the Lambda
 * mock event server to ingest; poll and complete get the real scheduled and stream events, the
 * stream read from DynamoDB Local's own table stream. With -Plocalstack the same suite runs on
 * LocalStack: the S3 events are the bucket's real notifications, the stream LocalStack's.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalLane.class, restrictToAnnotatedClass = false)
@org.junit.jupiter.api.extension.ExtendWith(LaneBackend.Available.class)
class LaneEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @LocalLane.Inject LocalLane.Parts lane;

    @jakarta.inject.Inject PollHandler poll;

    @jakarta.inject.Inject CompleteHandler complete;

    @jakarta.inject.Inject JobStore jobs;

    static java.util.stream.Stream<String> providers() {
        return java.util.stream.Stream.of("openai", "anthropic");
    }

    private ProviderFixture fixture(String provider) {
        return provider.equals("openai")
                ? new ProviderFixture.OpenAi(lane)
                : new ProviderFixture.Anthropic(lane);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("providers")
    void
            lane_2000Lines_everyRequestJoinedOnce_failuresKept_providerFilesDeleted_redeliveryChangesNothing(
                    String provider) throws IOException {
        ProviderFixture p = fixture(provider);
        Set<String> serverErrors = Set.of("row-00007", "row-00777");
        Set<String> refused = Set.of("row-01234");
        Set<String> transientErrors = Set.of("row-01500", "row-01999");
        p.serverErrors(serverErrors);
        p.refuse(refused);
        p.failOnce(transientErrors);
        long[] usageBefore = p.usage(); // the simulators are shared with the other tests
        String key = "inbox/" + provider + "/fraud backfill.jsonl";
        byte[] input = p.lines(2000);
        HeadObjectResponse head = drop(key, input);
        int submissionsBefore = p.submissions();

        JsonNode ingested = invoke(lane.objectCreated(key, head));

        assertThat(ingested.get(0).get("outcome").asText()).isEqualTo("ACCEPTED");
        assertThat(ingested.get(0).get("shards").asInt()).isEqualTo(4);
        String jobId = ingested.get(0).get("jobId").asText();
        assertThat(p.submissions() - submissionsBefore).isEqualTo(4);
        runUntilCompleted(jobId);

        Map<String, JsonNode> results = results(jobId);
        assertThat(results).hasSize(2000);
        assertThat(results.keySet()).isEqualTo(expectedIds(2000));
        for (String id : serverErrors) {
            JsonNode r = results.get(id);
            assertThat(r.get("outcome").asText()).isEqualTo("failed");
            assertThat(r.get("status_code").asInt()).isEqualTo(500);
            assertThat(r.get("error").toString()).contains(p.serverErrorCode());
        }
        assertThat(results.get("row-01234").get("status_code").asInt()).isEqualTo(400);
        assertThat(results.get("row-01234").get("error").toString()).contains(p.refusalCode());
        for (String id : transientErrors) {
            assertThat(results.get(id).get("outcome").asText())
                    .as("%s after one retry", id)
                    .isEqualTo("succeeded");
        }
        // Final failures are also listed in the input's own format, ready to fix and drop again.
        List<String> failedList = List.of(text("results/" + jobId + "/failed.jsonl").split("\n"));
        String inputText = new String(input, StandardCharsets.UTF_8);
        assertThat(failedList)
                .hasSize(3)
                .allSatisfy(line -> assertThat(inputText).contains(line + "\n"));
        assertThat(failedList)
                .extracting(LaneEndToEndTest::customId)
                .containsExactlyInAnyOrder("row-00007", "row-00777", "row-01234");
        JsonNode ok = results.get("row-00001");
        assertThat(ok.get("outcome").asText()).isEqualTo("succeeded");
        assertThat(ok.at(p.responseRolePointer()).asText()).isEqualTo("assistant");

        JsonNode manifest = read("results/" + jobId + "/manifest.json");
        assertThat(manifest.get("provider").asText()).isEqualTo(provider);
        assertThat(manifest.at("/counts/requests").asLong()).isEqualTo(2000);
        assertThat(manifest.at("/counts/succeeded").asLong()).isEqualTo(1997);
        assertThat(manifest.at("/counts/failed").asLong()).isEqualTo(3);
        assertThat(manifest.at("/counts/missing").asLong()).isZero();
        assertThat(manifest.at("/counts/inFailedFile").asLong()).isEqualTo(3);
        // server errors retried at depth 1 and 2, transient ones once
        assertThat(manifest.at("/counts/resubmitted").asLong()).isEqualTo(6);
        assertThat(manifest.get("shards")).hasSize(10);
        assertThat(manifest.get("failedFile").asText())
                .isEqualTo("results/" + jobId + "/failed.jsonl");
        assertThat(manifest.at("/input/sha256").asText()).hasSize(64);
        long[] after = p.usage();
        var usage =
                new dev.batchlane.core.provider.Usage(
                        after[0] - usageBefore[0], 0, after[1] - usageBefore[1]);
        assertThat(manifest.at("/usage/inputTokens").asLong()).isEqualTo(usage.inputTokens());
        assertThat(manifest.at("/usage/outputTokens").asLong()).isEqualTo(usage.outputTokens());
        // The real bill: the simulator's usage priced at the shipped table's rates for the model.
        var price =
                dev.batchlane.core.money.PriceTable.shipped()
                        .find(provider, p.model())
                        .orElseThrow();
        assertThat(manifest.at("/cost/batchUsd").decimalValue())
                .isEqualByComparingTo(price.batch().cost(usage));
        assertThat(manifest.at("/cost/syncUsd").decimalValue())
                .isEqualByComparingTo(price.sync().cost(usage));
        assertThat(manifest.at("/cost/savingUsd").decimalValue())
                .isEqualByComparingTo(price.sync().cost(usage).subtract(price.batch().cost(usage)));
        assertThat(manifest.at("/cost/batchUsd").decimalValue())
                .isLessThanOrEqualTo(
                        manifest.at("/cost/projectedBatchUsdUpperBound").decimalValue());
        java.math.BigDecimal shardSum = java.math.BigDecimal.ZERO;
        for (JsonNode shard : manifest.get("shards")) {
            shardSum = shardSum.add(shard.at("/cost/batchUsd").decimalValue());
        }
        assertThat(shardSum).isEqualByComparingTo(manifest.at("/cost/batchUsd").decimalValue());
        assertThat(p.clean()).as("files or batches left at the provider").isTrue();
        assertThat(jobs.job(jobId).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);

        List<String> objectsBefore = keys("");
        int submissionsAfter = p.submissions();
        JsonNode again = invoke(lane.objectCreated(key, head));
        assertThat(again.get(0).get("outcome").asText()).isEqualTo("DUPLICATE");
        assertThat(again.get(0).get("jobId").asText()).isEqualTo(jobId);
        assertThat(p.submissions()).isEqualTo(submissionsAfter);
        assertThat(keys("")).isEqualTo(objectsBefore);
    }

    @Test
    void badFile_isRejectedWithEachLineAndRule_andNothingReachesTheProvider() throws IOException {
        String bad =
                String.join(
                                "\n",
                                line("a-1", "/v1/chat/completions", "gpt-4o-mini"),
                                "{\"custom_id\": \"a-2\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", \"body\": {",
                                line("a-1", "/v1/chat/completions", "gpt-4o-mini"),
                                line("a-4", "/v1/embeddings", "gpt-4o-mini"),
                                line("a-5", "/v1/chat/completions", "gpt-4.1"),
                                "{\"custom_id\": \"a-6\", \"method\": \"GET\", \"url\": \"/v1/chat/completions\", \"body\": {\"model\": \"gpt-4o-mini\"}}",
                                "{\"method\": \"POST\", \"url\": \"/v1/chat/completions\", \"body\": {\"model\": \"gpt-4o-mini\"}}",
                                line("a-8", "/v1/chat/completions", "gpt-4o-mini"))
                        + "\n";
        int uploadsBefore = lane.openai().uploadCount();
        String key = "inbox/openai/bad-lines.jsonl";
        HeadObjectResponse head = drop(key, bad.getBytes(StandardCharsets.UTF_8));

        JsonNode result = invoke(lane.objectCreated(key, head));

        assertThat(result.get(0).get("outcome").asText()).isEqualTo("REJECTED");
        String rejected =
                dev.batchlane.core.lane.Keys.rejected(
                        "openai", "bad-lines", result.get(0).get("jobId").asText());
        JsonNode report = read(rejected + "report.json");
        assertThat(report.get("violations").asInt()).isEqualTo(6);
        assertThat(report.get("submitted").asInt()).isZero();
        List<JsonNode> errors = new ArrayList<>();
        for (String l : text(rejected + "errors.jsonl").split("\n")) {
            errors.add(JSON.readTree(l));
        }
        assertThat(errors)
                .extracting(e -> e.get("line").asInt() + ":" + e.get("code").asText())
                .containsExactly(
                        "2:invalid_json",
                        "3:duplicate_custom_id",
                        "4:url_mismatch",
                        "5:model_mismatch",
                        "6:method_invalid",
                        "7:custom_id_missing");
        assertThat(errors.get(1).get("custom_id").asText()).isEqualTo("a-1");
        assertThat(errors.get(1).get("message").asText()).contains("line 1");
        assertThat(lane.openai().uploadCount())
                .as("uploads to the provider")
                .isEqualTo(uploadsBefore);
        assertThat(keys("staging/"))
                .noneMatch(k -> k.contains(result.get(0).get("jobId").asText()));
    }

    @Test
    void fileOverItsBudget_isRejectedWithTheProjection_andNothingReachesTheProvider()
            throws IOException {
        int uploadsBefore = lane.openai().uploadCount();
        String key = "inbox/openai/over-budget.jsonl";
        lane.s3()
                .putObject(
                        b ->
                                b.bucket(LocalLane.BUCKET)
                                        .key(key)
                                        .metadata(Map.of("budget-usd", "0.001")),
                        RequestBody.fromBytes(chatLines(300)));
        HeadObjectResponse head = lane.s3().headObject(b -> b.bucket(LocalLane.BUCKET).key(key));

        JsonNode result = invoke(lane.objectCreated(key, head));

        assertThat(result.get(0).get("outcome").asText()).isEqualTo("REJECTED");
        JsonNode report =
                read(
                        dev.batchlane.core.lane.Keys.rejected(
                                        "openai",
                                        "over-budget",
                                        result.get(0).get("jobId").asText())
                                + "report.json");
        assertThat(report.at("/firstViolations/0/code").asText()).isEqualTo("over_budget");
        assertThat(report.at("/firstViolations/0/line").asInt()).isZero();
        assertThat(report.at("/cost/budgetUsd").decimalValue()).isEqualByComparingTo("0.001");
        assertThat(report.at("/cost/projectedBatchUsd").decimalValue())
                .isGreaterThan(new java.math.BigDecimal("0.001"));
        // 300 requests capped at 8 output tokens each
        assertThat(report.at("/cost/maxOutputTokens").asLong()).isEqualTo(2400);
        assertThat(report.get("message").asText()).contains("over the budget of $0.001");
        assertThat(lane.openai().uploadCount()).isEqualTo(uploadsBefore);
    }

    @Test
    void cancelObject_cancelsTheBatchesInFlight_keepsWhatFinished_andResubmitsNothing()
            throws IOException {
        String key = "inbox/openai/to-cancel.jsonl";
        HeadObjectResponse head = drop(key, chatLines(1200));
        JsonNode ingested = invoke(lane.objectCreated(key, head));
        String jobId = ingested.get(0).get("jobId").asText();
        poll.handleRequest(
                JSON.readTree(Events.read("scheduled.json")), null); // validating -> in_progress
        int batchesBefore = lane.openai().batches().size();

        HeadObjectResponse cancelHead = drop("cancel/" + jobId, new byte[0]);
        JsonNode cancelled = invoke(lane.objectCreated("cancel/" + jobId, cancelHead));
        assertThat(cancelled.get(0).get("outcome").asText()).isEqualTo("CANCELLING");
        assertThat(cancelled.get(0).get("batchesCancelled").asInt()).isEqualTo(3);
        runUntilCompleted(jobId);

        Map<String, JsonNode> results = results(jobId);
        assertThat(results.keySet()).isEqualTo(expectedIds(1200));
        long cancelledCount =
                results.values().stream()
                        .filter(r -> r.get("outcome").asText().equals("cancelled"))
                        .count();
        long succeeded =
                results.values().stream()
                        .filter(r -> r.get("outcome").asText().equals("succeeded"))
                        .count();
        assertThat(cancelledCount).isPositive();
        assertThat(succeeded).as("what finished before the cancel is kept").isPositive();
        assertThat(succeeded + cancelledCount).isEqualTo(1200);
        assertThat(lane.openai().batches())
                .as("nothing resubmitted after a cancel")
                .hasSize(batchesBefore);
        assertThat(text("results/" + jobId + "/failed.jsonl").split("\n"))
                .hasSize((int) cancelledCount);
        assertThat(read("results/" + jobId + "/manifest.json").at("/counts/cancelled").asLong())
                .isEqualTo(cancelledCount);
        assertThat(lane.openai().liveFileIds()).isEmpty();
    }

    // ---- the parts AWS would play ----

    private JsonNode invoke(String event) throws IOException {
        String body =
                given().contentType("application/json")
                        .body(event)
                        .when()
                        .post()
                        .then()
                        .statusCode(200)
                        .extract()
                        .asString();
        return JSON.readTree(body);
    }

    /** Fires the schedule and delivers the table's stream until the job completes. */
    private void runUntilCompleted(String jobId) throws IOException {
        JsonNode scheduled = JSON.readTree(Events.read("scheduled.json"));
        for (int tick = 0; tick < 60; tick++) {
            poll.handleRequest(scheduled, null);
            for (String event : lane.stream().drain(100)) {
                complete.handleRequest(JSON.readTree(event), null);
            }
            if (jobs.job(jobId).orElseThrow().status() == JobStatus.COMPLETED) {
                return;
            }
        }
        throw new AssertionError(
                "job " + jobId + " did not complete in 60 poll cycles: " + jobs.shards(jobId));
    }

    private HeadObjectResponse drop(String key, byte[] content) {
        lane.s3()
                .putObject(
                        b -> b.bucket(LocalLane.BUCKET).key(key), RequestBody.fromBytes(content));
        return lane.s3().headObject(b -> b.bucket(LocalLane.BUCKET).key(key));
    }

    static byte[] chatLines(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            sb.append("{\"custom_id\":\"")
                    .append(String.format("row-%05d", i))
                    .append("\",\"method\":\"POST\",")
                    .append(
                            "\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\",\"max_tokens\":8,")
                    .append(
                            "\"messages\":[{\"role\":\"system\",\"content\":\"Score the transaction for fraud risk 0-1.\"},")
                    .append("{\"role\":\"user\",\"content\":\"amount=")
                    .append(i * 13 % 997)
                    .append(" country=DE merchant=m")
                    .append(i % 31)
                    .append("\"}]}}\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String customId(String line) {
        try {
            return JSON.readTree(line).get("custom_id").asText();
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }

    private static Set<String> expectedIds(int n) {
        Set<String> ids = new TreeSet<>();
        for (int i = 1; i <= n; i++) {
            ids.add(String.format("row-%05d", i));
        }
        return ids;
    }

    private static String line(String id, String url, String model) {
        return "{\"custom_id\": \""
                + id
                + "\", \"method\": \"POST\", \"url\": \""
                + url
                + "\", \"body\": {\"model\": \""
                + model
                + "\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}}";
    }

    /** Every joined line of the job, by custom_id; fails on any id seen twice. */
    private Map<String, JsonNode> results(String jobId) throws IOException {
        Map<String, JsonNode> byId = new HashMap<>();
        for (String k : keys("results/" + jobId + "/part-")) {
            for (String l : text(k).split("\n")) {
                if (l.isEmpty()) {
                    continue; // a shard whose every request moved on to its retry shard has an
                    // empty part
                }
                JsonNode node = JSON.readTree(l);
                JsonNode previous = byId.put(node.get("custom_id").asText(), node);
                assertThat(previous)
                        .as("custom_id %s appears twice", node.get("custom_id"))
                        .isNull();
            }
        }
        return byId;
    }

    private List<String> keys(String prefix) {
        return lane
                .s3()
                .listObjectsV2Paginator(b -> b.bucket(LocalLane.BUCKET).prefix(prefix))
                .contents()
                .stream()
                .map(S3Object::key)
                .sorted()
                .toList();
    }

    private String text(String key) {
        return lane.s3().getObjectAsBytes(b -> b.bucket(LocalLane.BUCKET).key(key)).asUtf8String();
    }

    private JsonNode read(String key) throws IOException {
        return JSON.readTree(text(key));
    }
}
