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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local stack with the packaged functions in their own JVMs: a file put into the bucket is
 * picked up by the S3 event wiring, followed by the schedule, and completed through the table's
 * stream — nothing in this test calls a function itself.
 */
class StackTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Stack stack;
    private static final List<String> log = new ArrayList<>();

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        Path home = Path.of("../..").toAbsolutePath().normalize();
        stack = Stack.start(new Stack.Options(home, Duration.ofMillis(500), 40, null, null, line -> {
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

    @Test
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
    void providerIsDetectedFromTheFirstLine() throws Exception {
        Path openai = tmp.resolve("o.jsonl");
        Files.writeString(openai, "\n{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{}}\n");
        Path anthropic = tmp.resolve("a.jsonl");
        Files.writeString(anthropic, "{\"custom_id\":\"a\",\"params\":{\"model\":\"claude\"}}\n");
        assertThat(Cli.detect(openai)).isEqualTo("openai");
        assertThat(Cli.detect(anthropic)).isEqualTo("anthropic");
    }
}
