package dev.batchlane.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.lane.Keys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Azure, Groq, Together and Mistral through the whole local lane, as {@code ./batchlane run FILE
 * --provider X} runs them: the file dropped under {@code inbox/X/}, ingested, submitted to the
 * simulator playing X (strict as X: its paths, auth header, line format, purpose, statuses),
 * polled, completed and copied out. One stack serves every vendor, so the slow start is paid once.
 */
class VendorStackTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int REQUESTS = 7;
    private static Stack stack;
    private static final List<String> log = new ArrayList<>();

    @TempDir Path tmp;

    @BeforeAll
    static void start() throws Exception {
        Path home = Path.of("../..").toAbsolutePath().normalize();
        // No vendor keys: every vendor runs on its simulator, whatever the machine's environment
        // holds.
        stack =
                Stack.start(
                        Stack.Options.of(
                                        home,
                                        Duration.ofMillis(500),
                                        4,
                                        line -> {
                                            synchronized (log) {
                                                log.add(line);
                                            }
                                        })
                                .withProviderEnv(Map.of()));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "azure,    full,      /chat/completions,    gpt-4o-mini",
        "groq,     full,      /v1/chat/completions, llama-3.1-8b-instant",
        "together, body-only, ,                     meta-llama/Llama-3.3-70B-Instruct-Turbo",
        "mistral,  body-only, ,                     mistral-small-latest",
    })
    void run_vendorFile_completesWithEveryRequestJoined(
            String provider, String format, String url, String model) throws Exception {
        Path file = tmp.resolve(provider + "-triage.jsonl");
        StringBuilder lines = new StringBuilder();
        for (int i = 1; i <= REQUESTS; i++) {
            lines.append("{\"custom_id\":\"").append(provider).append('-').append(i).append('"');
            if (format.equals("full")) {
                lines.append(",\"method\":\"POST\",\"url\":\"").append(url).append('"');
            }
            lines.append(",\"body\":{\"model\":\"")
                    .append(model)
                    .append("\",\"max_tokens\":16,")
                    .append("\"messages\":[{\"role\":\"user\",\"content\":\"ticket ")
                    .append(i)
                    .append("\"}]}}\n");
        }
        Files.writeString(file, lines);

        Path out = tmp.resolve("out");
        int status =
                RunCommand.runJob(
                        stack,
                        file,
                        RunCommand.resolveProvider(file, provider),
                        null,
                        out,
                        Duration.ofMinutes(4),
                        Duration.ofMinutes(2));

        assertThat(status).as("exit status of run --provider %s; log: %s", provider, log).isZero();
        String key = "inbox/" + provider + "/" + file.getFileName();
        String jobId =
                Keys.jobId(
                        Stack.BUCKET,
                        key,
                        stack.s3()
                                .headObject(b -> b.bucket(Stack.BUCKET).key(key))
                                .eTag()
                                .replace("\"", ""));
        Path results = out.resolve("results/" + jobId);
        JsonNode manifest = JSON.readTree(results.resolve("manifest.json").toFile());
        assertThat(manifest.at("/counts/succeeded").asLong()).isEqualTo(REQUESTS);
        assertThat(manifest.path("shards").size()).as("shards of at most 4 requests").isEqualTo(2);
        Set<String> joined = new HashSet<>();
        try (Stream<Path> parts = Files.list(results)) {
            for (Path part :
                    parts.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
                for (String line : Files.readAllLines(part)) {
                    JsonNode result = JSON.readTree(line);
                    assertThat(result.path("outcome").asText()).isEqualTo("succeeded");
                    assertThat(result.at("/response/model").asText()).isEqualTo(model);
                    assertThat(joined.add(result.path("custom_id").asText())).isTrue();
                }
            }
        }
        assertThat(joined).hasSize(REQUESTS);
    }
}
