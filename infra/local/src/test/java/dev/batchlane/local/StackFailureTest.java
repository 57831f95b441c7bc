package dev.batchlane.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deployment whose ingest cannot finish (a template that gives it one second, where the pass
 * keeps a 20 s margin before the deadline): every attempt fails, and {@code run} must end with a
 * non-zero exit naming the job, the step, the reason and the logs instead of waiting forever.
 */
class StackFailureTest {
    private static Stack stack;
    private static final List<String> log = new ArrayList<>();

    @TempDir Path tmp;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        Path home = Path.of("../..").toAbsolutePath().normalize();
        Path copy = StackTest.templateWithIngest(dir, p -> p.put("Timeout", 1));
        stack =
                Stack.start(
                        Stack.Options.of(
                                        home,
                                        Duration.ofMillis(500),
                                        40,
                                        line -> {
                                            synchronized (log) {
                                                log.add(line);
                                            }
                                        })
                                .withTemplate(copy));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void ingestThatFailsForGood_endsRunNonZero_namingTheJobStepReasonAndLogs() throws Exception {
        Path file = tmp.resolve("never-in-time.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= 50; i++) {
            sb.append("{\"custom_id\":\"t-")
                    .append(i)
                    .append("\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",")
                    .append(
                            "\"body\":{\"model\":\"gpt-4o-mini\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",")
                    .append("\"content\":\"case ")
                    .append(i)
                    .append("\"}]}}\n");
        }
        Files.writeString(file, sb);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream savedErr = System.err;
        int status;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            status =
                    RunCommand.runJob(
                            stack,
                            file,
                            "openai",
                            null,
                            tmp.resolve("out"),
                            Duration.ofMinutes(5),
                            Duration.ofMinutes(3));
        } finally {
            System.setErr(savedErr);
        }
        String message = err.toString(StandardCharsets.UTF_8);
        assertThat(status).as("log: %s; stderr: %s", log, message).isEqualTo(Cli.CANNOT_PROGRESS);
        String jobId =
                dev.batchlane.core.lane.Keys.jobId(
                        Stack.BUCKET,
                        "inbox/openai/never-in-time.jsonl",
                        stack.s3()
                                .headObject(
                                        b ->
                                                b.bucket(Stack.BUCKET)
                                                        .key("inbox/openai/never-in-time.jsonl"))
                                .eTag()
                                .replace("\"", ""));
        assertThat(message)
                .contains("job " + jobId + " cannot progress")
                .contains("step ingest")
                .contains("failed all 3 attempts")
                .contains(".batchlane/logs");
        // Nothing of it reached the provider, and nothing was left staged.
        assertThat(
                        stack.s3()
                                .listObjectsV2(
                                        b ->
                                                b.bucket(Stack.BUCKET)
                                                        .prefix("staging/" + jobId + "/"))
                                .contents())
                .isEmpty();
    }
}
