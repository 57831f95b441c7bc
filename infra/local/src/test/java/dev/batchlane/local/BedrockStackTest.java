package dev.batchlane.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.lane.Keys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Bedrock files through the whole local stack as {@code ./batchlane run FILE --provider bedrock}
 * runs them: the packaged functions in their own JVMs, the Bedrock simulator reading and writing
 * the S3 emulator's bucket, the schedule and the table's stream wired as AWS wires them. Every
 * Bedrock call (control plane and runtime) goes through the IAM enforcement, checked against the
 * functions' roles in the synthesized template.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BedrockStackTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Stack stack;
    private static final List<String> log = new ArrayList<>();

    @TempDir Path tmp;

    @BeforeAll
    static void start() throws Exception {
        Path home = Path.of("../..").toAbsolutePath().normalize();
        stack =
                Stack.start(
                        Stack.Options.of(
                                home,
                                Duration.ofMillis(500),
                                1000,
                                line -> {
                                    synchronized (log) {
                                        log.add(line);
                                    }
                                }));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    private static Path records(Path file, String prefix, int n) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("{\"recordId\":\"")
                    .append(prefix)
                    .append(i)
                    .append("\",\"modelInput\":{\"anthropic_version\":")
                    .append(
                            "\"bedrock-2023-05-31\",\"max_tokens\":32,\"messages\":[{\"role\":\"user\",\"content\":\"")
                    .append("classify ticket ")
                    .append(i)
                    .append("\"}]}}\n");
        }
        Files.writeString(file, sb);
        return file;
    }

    private static String jobId(String key) {
        return Keys.jobId(
                Stack.BUCKET,
                key,
                stack.s3()
                        .headObject(b -> b.bucket(Stack.BUCKET).key(key))
                        .eTag()
                        .replace("\"", ""));
    }

    private static List<String> bedrockObjects() {
        return stack
                .s3()
                .listObjectsV2Paginator(l -> l.bucket(Stack.BUCKET).prefix("bedrock/"))
                .contents()
                .stream()
                .map(S3Object::key)
                .toList();
    }

    @Test
    @Order(1)
    void
            aFileOfThousandsOfRecords_completesExactlyOnce_batchJobsForFullShards_theRemainderOnDemand()
                    throws Exception {
        Path file = records(tmp.resolve("tickets.jsonl"), "t", 2050);
        Path out = tmp.resolve("out");
        int status =
                RunCommand.runJob(
                        stack,
                        file,
                        "bedrock",
                        null,
                        out,
                        Duration.ofMinutes(8),
                        Duration.ofMinutes(4));
        assertThat(status).as("log: %s", log).isZero();
        String jobId = jobId("inbox/bedrock/tickets.jsonl");
        Set<String> ids = new HashSet<>();
        Set<String> onDemand = new HashSet<>();
        try (var parts = Files.list(out.resolve("results/" + jobId))) {
            for (Path part :
                    parts.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
                for (String line : Files.readAllLines(part)) {
                    JsonNode n = JSON.readTree(line);
                    assertThat(ids.add(n.get("custom_id").asText()))
                            .as("joined once: %s", line)
                            .isTrue();
                    assertThat(n.get("outcome").asText()).isEqualTo("succeeded");
                    if (n.path("on_demand").asBoolean()) {
                        onDemand.add(part.getFileName() + " " + n.get("custom_id").asText());
                    }
                }
            }
        }
        assertThat(ids).hasSize(2050);
        // Each line of the remainder run on demand says so; no line of the two batch jobs does.
        assertThat(onDemand).hasSize(50).allMatch(l -> l.startsWith("part-00003.jsonl "));
        JsonNode manifest =
                JSON.readTree(out.resolve("results/" + jobId + "/manifest.json").toFile());
        assertThat(manifest.at("/counts/succeeded").asLong()).isEqualTo(2050);
        JsonNode shards = manifest.get("shards");
        assertThat(shards).hasSize(3);
        assertThat(shards.get(0).get("batchId").asText()).contains(":model-invocation-job/");
        assertThat(shards.get(0).get("providerStatus").asText()).isEqualTo("Completed");
        // 2,050 = 1,000 + 1,000 + 50: the last shard is below the minimum of 100 records per job.
        assertThat(shards.get(2).get("providerStatus").asText()).isEqualTo("OnDemand");
        assertThat(shards.get(2).get("onDemand").asBoolean()).isTrue();
        assertThat(shards.get(2).at("/cost/savingUsd").decimalValue()).isZero();
        assertThat(manifest.at("/cost/onDemandUsd").decimalValue()).isPositive();
        assertThat(manifest.at("/cost/batchUsd").decimalValue())
                .isLessThan(manifest.at("/cost/syncUsd").decimalValue());
        assertThat(bedrockObjects())
                .as("Bedrock input and output objects are deleted once results are written")
                .noneMatch(k -> k.contains(jobId));
    }

    @Test
    @Order(2)
    void aFileBelowTheMinimum_runsOnDemand_andIsBilledAtTheOnDemandPrice() throws Exception {
        Path file = records(tmp.resolve("few.jsonl"), "f", 30);
        Path out = tmp.resolve("out");
        assertThat(
                        RunCommand.runJob(
                                stack,
                                file,
                                "bedrock",
                                null,
                                out,
                                Duration.ofMinutes(5),
                                Duration.ofMinutes(3)))
                .as("log: %s", log)
                .isZero();
        String jobId = jobId("inbox/bedrock/few.jsonl");
        JsonNode manifest =
                JSON.readTree(out.resolve("results/" + jobId + "/manifest.json").toFile());
        assertThat(manifest.at("/counts/succeeded").asLong()).isEqualTo(30);
        assertThat(manifest.at("/shards/0/onDemand").asBoolean()).isTrue();
        assertThat(Files.readAllLines(out.resolve("results/" + jobId + "/part-00001.jsonl")))
                .hasSize(30)
                .allSatisfy(
                        l ->
                                assertThat(JSON.readTree(l).path("on_demand").asBoolean())
                                        .as(l)
                                        .isTrue());
        assertThat(manifest.at("/cost/batchUsd").decimalValue())
                .isPositive()
                .isEqualByComparingTo(manifest.at("/cost/syncUsd").decimalValue())
                .isEqualByComparingTo(manifest.at("/cost/onDemandUsd").decimalValue());
    }

    @Test
    @Order(3)
    void aFileBelowTheMinimum_thatForbidsOnDemand_isRejectedNamingTheQuota() throws Exception {
        Path file = records(tmp.resolve("never.jsonl"), "n", 5);
        String key = "inbox/bedrock/never.jsonl";
        stack.s3()
                .putObject(
                        b -> b.bucket(Stack.BUCKET).key(key).metadata(Map.of("on-demand", "never")),
                        RequestBody.fromFile(file));
        Job job = JobFollower.follow(stack.jobs(), jobId(key), Duration.ofMinutes(2));
        assertThat(job.status()).as("log: %s", log).isEqualTo(JobStatus.REJECTED);
        String report =
                stack.s3()
                        .getObjectAsBytes(
                                b ->
                                        b.bucket(Stack.BUCKET)
                                                .key(
                                                        dev.batchlane.core.lane.Keys.rejectedReport(
                                                                "bedrock", "never", job.jobId())))
                        .asUtf8String();
        assertThat(report)
                .contains("below_minimum_records")
                .contains("Minimum number of records per batch inference job");
    }

    /**
     * The runs above were made under IAM as deployed, Bedrock's calls included: none was refused,
     * and each Bedrock grant of the functions' roles was used — or is a path these runs do not
     * take, named below with its reason.
     */
    @Test
    @Order(4)
    void theBedrockRuns_madeNoCallTheRolesDeny_andUsedEachBedrockGrant() {
        var observed = stack.iam().observations();
        observed.stream()
                .filter(
                        o ->
                                StackTest.bedrockPath(
                                        o.function() + " " + o.action() + " " + o.resource()))
                .collect(
                        java.util.stream.Collectors.groupingBy(
                                o -> o.function() + " " + o.action(),
                                java.util.TreeMap::new,
                                java.util.stream.Collectors.counting()))
                .forEach((k, n) -> System.out.println("[iam-observed] " + k + " x" + n));
        assertThat(stack.iam().denials()).as("denials under the synthesized roles").isEmpty();
        assertThat(observed)
                .as("Bedrock's calls went through the enforcement")
                .anyMatch(
                        o ->
                                o.function().equals("ingest")
                                        && o.action().equals("bedrock:CreateModelInvocationJob"))
                .anyMatch(
                        o ->
                                o.function().equals("ingest")
                                        && o.action().equals("iam:PassRole")
                                        && o.resource()
                                                .equals(
                                                        stack.roles()
                                                                .role("ingest")
                                                                .environment()
                                                                .get("BATCHLANE_BEDROCK_ROLE_ARN")))
                .anyMatch(
                        o ->
                                o.function().equals("poll")
                                        && o.action().equals("bedrock:GetModelInvocationJob"))
                .anyMatch(
                        o ->
                                o.function().equals("poll")
                                        && o.action().equals("bedrock:InvokeModel"));
        Set<String> granted = new java.util.TreeSet<>();
        Set<String> unused = StackTest.unusedGrants(stack, StackTest::bedrockPath, granted);
        assertThat(granted)
                .as("the grants listed as not taken are grants of the roles")
                .containsAll(NOT_TAKEN.keySet());
        assertThat(NOT_TAKEN.keySet())
                .as("Bedrock grants the runs did not use and no reason names")
                .containsAll(unused);
    }

    /** Bedrock grants the construct means for paths these runs do not take, and why. */
    static final Map<String, String> NOT_TAKEN = notTaken();

    private static Map<String, String> notTaken() {
        Map<String, String> m = new java.util.TreeMap<>();
        m.put("ingest bedrock:StopModelInvocationJob jobs", "no cancellation in these runs");
        m.put("poll bedrock:StopModelInvocationJob jobs", "no cancellation in these runs");
        // Ingest submits each shard as it stages it; poll submits only those held back.
        String heldBack =
                "poll submits only a shard held back (the concurrent-jobs quota, a throttled create);"
                        + " these runs hold none back";
        for (String grant :
                List.of(
                        "bedrock:CreateModelInvocationJob jobs",
                        "bedrock:CreateModelInvocationJob model",
                        "bedrock:TagResource jobs",
                        "bedrock:ListModelInvocationJobs *",
                        "iam:PassRole service-role",
                        "s3:PutObject bedrock/input/*")) {
            m.put("poll " + grant, heldBack);
        }
        return m;
    }
}
