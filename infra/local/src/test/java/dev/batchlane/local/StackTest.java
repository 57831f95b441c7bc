package dev.batchlane.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local stack with the packaged functions in their own JVMs: a file put into the bucket is
 * picked up by the S3 event wiring, followed by the schedule, and completed through the table's
 * stream — nothing in this test calls a function itself.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StackTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Stack stack;
    private static final List<String> log = new ArrayList<>();

    @TempDir
    Path tmp;

    /** ingest's values in the test's copy of the synthesized template: the stack must apply them. */
    static final int INGEST_MEMORY_MB = 1234;
    static final int INGEST_STORAGE_MB = 16;
    static final String MARKER = "-Dtemplate.marker=applied";

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        Path home = Path.of("../..").toAbsolutePath().normalize();
        // A copy of the template infra/cdk synthesized, with ingest's memory, /tmp and JVM options changed.
        Path copy = templateWithIngest(dir, p -> {
            p.put("MemorySize", INGEST_MEMORY_MB);
            ((ObjectNode) p.path("EphemeralStorage")).put("Size", INGEST_STORAGE_MB);
            ObjectNode vars = (ObjectNode) p.at("/Environment/Variables");
            vars.put("JAVA_TOOL_OPTIONS", vars.path("JAVA_TOOL_OPTIONS").asText() + " " + MARKER);
        });
        stack = Stack.start(new Stack.Options(home, Duration.ofMillis(500), 40, null, null, line -> {
            synchronized (log) {
                log.add(line);
            }
        }).withTemplate(copy));
    }

    /** A copy of the synthesized template in {@code dir} with the ingest function's properties changed. */
    static Path templateWithIngest(Path dir, java.util.function.Consumer<ObjectNode> change) throws Exception {
        ObjectNode template = (ObjectNode) JSON.readTree(LaneTemplateTest.TEMPLATE.toFile());
        for (JsonNode r : template.path("Resources")) {
            ObjectNode p = (ObjectNode) r.path("Properties");
            if ("ingest".equals(p.at("/Environment/Variables/QUARKUS_LAMBDA_HANDLER").asText())) {
                change.accept(p);
            }
        }
        Path copy = dir.resolve("template.json");
        JSON.writeValue(copy.toFile(), template);
        return copy;
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void droppedFile_isIngestedPolledAndCompletedByTheWiring() throws Exception {
        Path file = tmp.resolve("wired.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= 100; i++) {
            sb.append("{\"custom_id\":\"w-").append(i).append("\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",")
                    .append("\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"n")
                    .append(i).append("\"}]}}\n");
        }
        Files.writeString(file, sb);

        Cli.Drop drop = Cli.Drop.put(stack.s3(), file, "openai", null);
        Job job = Cli.follow(stack.jobs(), drop.jobId(), Duration.ofMinutes(3));

        assertThat(job.status()).as("log: %s", log).isEqualTo(JobStatus.COMPLETED);
        assertThat(job.shardCount()).isEqualTo(3);
        Path out = tmp.resolve("out");
        assertThat(Cli.finish(stack.s3(), job, drop, out)).isZero();
        Set<String> ids = new HashSet<>();
        for (int part = 1; part <= 3; part++) {
            for (String line : Files.readAllLines(out.resolve("results/" + job.jobId() + "/part-0000" + part + ".jsonl"))) {
                assertThat(ids.add(JSON.readTree(line).get("custom_id").asText())).isTrue();
            }
        }
        assertThat(ids).hasSize(100);
        JsonNode manifest = JSON.readTree(out.resolve("results/" + job.jobId() + "/manifest.json").toFile());
        assertThat(manifest.at("/counts/succeeded").asLong()).isEqualTo(100);
    }

    @Test
    @Order(2)
    void badFile_endsRejectedWithItsReportCopiedOut() throws Exception {
        Path file = tmp.resolve("broken.jsonl");
        Files.writeString(file, "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\"}}\n{not json\n");

        Cli.Drop drop = Cli.Drop.put(stack.s3(), file, "openai", null);
        Job job = Cli.follow(stack.jobs(), drop.jobId(), Duration.ofMinutes(2));

        assertThat(job.status()).isEqualTo(JobStatus.REJECTED);
        Path out = tmp.resolve("out");
        assertThat(Cli.finish(stack.s3(), job, drop, out)).isEqualTo(1);
        JsonNode report = JSON.readTree(out.resolve("rejected/broken/report.json").toFile());
        assertThat(report.at("/firstViolations/0/line").asInt()).isEqualTo(2);
        assertThat(report.at("/firstViolations/0/code").asText()).isEqualTo("invalid_json");
    }

    @Test
    @Order(3)
    void functionSettings_comeFromTheTemplate_memoryHeapJvmOptionsAndTmp() throws Exception {
        FunctionProcess ingest = stack.process("ingest");
        assertThat(ingest.settings().memoryMb()).isEqualTo(INGEST_MEMORY_MB);
        assertThat(ingest.settings().ephemeralStorageMb()).isEqualTo(INGEST_STORAGE_MB);
        assertThat(stack.process("poll").settings().timeout()).isEqualTo(Duration.ofSeconds(300));
        // The JVM says what it picked up: the heap follows the template's memory, its options follow.
        String picked = Files.readAllLines(ingest.log()).stream().filter(l -> l.startsWith("Picked up JAVA_TOOL_OPTIONS"))
                .findFirst().orElseThrow();
        assertThat(picked).contains("-XX:MaxHeapSize=" + (INGEST_MEMORY_MB * 1024L * 85 / 100) + "k")
                .contains("-XX:TieredStopAtLevel=4").endsWith(MARKER);
        assertThat(ingest.tmp()).isEqualTo(Path.of("../..").toAbsolutePath().normalize().resolve(".batchlane/tmp/ingest"));
        if (ingest.tmpfs()) {
            String target = ingest.tmp().toString();
            assertThat(Files.readAllLines(Path.of("/proc/mounts"))).anyMatch(l -> l.split(" ")[1].equals(target)
                    && l.contains("size=" + INGEST_STORAGE_MB * 1024 + "k"));
        }
    }

    /**
     * Larger than ingest's /tmp in this test's template (16 MB): ingest streams the shard to the
     * bucket and complete streams the part, so the file runs even though it could never be staged
     * on local disk. Before streaming uploads, every ingest attempt failed with "No space left".
     */
    @Test
    @Order(4)
    void fileLargerThanIngestsTmp_runsToCompletion_becauseNothingIsStagedOnDisk() throws Exception {
        Assumptions.assumeTrue(stack.process("ingest").tmpfs(),
                "ingest's /tmp is capped only as root (tmpfs); without the cap the file proves nothing");
        Path file = tmp.resolve("too-big-for-tmp.jsonl");
        String filler = "lorem ipsum dolor sit amet ".repeat(20_000); // about 540 KB a request
        try (var w = Files.newBufferedWriter(file)) {
            for (int i = 1; i <= 40; i++) {
                w.write("{\"custom_id\":\"big-" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                        + "\"body\":{\"model\":\"gpt-4o-mini\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"" + filler + i + "\"}]}}\n");
            }
        }
        assertThat(Files.size(file)).isGreaterThan(INGEST_STORAGE_MB * 1024L * 1024);
        int status = Cli.runJob(stack, file, "openai", null, tmp.resolve("out"), Duration.ofMinutes(5),
                Duration.ofMinutes(3));
        assertThat(status).as("log: %s", log).isZero();
        String jobId = dev.batchlane.core.lane.Keys.jobId(Stack.BUCKET, "inbox/openai/too-big-for-tmp.jsonl",
                stack.s3().headObject(b -> b.bucket(Stack.BUCKET).key("inbox/openai/too-big-for-tmp.jsonl")).eTag()
                        .replace("\"", ""));
        JsonNode manifest = JSON.readTree(tmp.resolve("out/results/" + jobId + "/manifest.json").toFile());
        assertThat(manifest.at("/counts/succeeded").asLong()).isEqualTo(40);
        assertThat(manifest.at("/timings/ingest/passSeconds").isNumber()).isTrue();
    }

    /**
     * The run above was made under IAM as deployed: every call each function made was checked
     * against its role in the synthesized template, and none was refused.
     */
    @Test
    @Order(5)
    void theWholeRun_madeNoCallItsRoleDenies_andEachFunctionsCallsWereSeen() {
        var observed = stack.iam().observations();
        for (var o : observed) {
            System.out.println("[iam-observed] " + o);
        }
        assertThat(stack.iam().denials()).as("denials under the synthesized roles").isEmpty();
        for (String fn : List.of("ingest", "poll", "complete")) {
            assertThat(observed).as("calls of %s", fn).anyMatch(o -> o.function().equals(fn));
        }
        assertThat(stack.events()).as("completion events put by complete")
                .anyMatch(e -> e.path("DetailType").asText().equals("Batchlane Job Completed"));
    }

    @Test
    void providerIsDetectedFromTheFirstLine() throws Exception {
        Path openai = tmp.resolve("o.jsonl");
        Files.writeString(openai, "\n{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{}}\n");
        Path anthropic = tmp.resolve("a.jsonl");
        Files.writeString(anthropic, "{\"custom_id\":\"a\",\"params\":{\"model\":\"claude\"}}\n");
        assertThat(Cli.detect(openai)).isEqualTo("openai");
        assertThat(Cli.detect(anthropic)).isEqualTo("anthropic");
    }
}
