package dev.batchlane.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.simulator.gemini.GeminiSimulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Gemini file of a few thousand requests through the local stack, as {@code ./batchlane run FILE
 * --provider gemini --model gemini-2.5-flash} runs it, against an unkind Gemini simulator: some
 * requests fail the first time (RESOURCE_EXHAUSTED), one batch expires after Google's 48 h with no
 * results, one creation takes effect with its answer lost and one upload chunk too. Every request
 * must end exactly once, succeeded; no batch may be made twice for a shard; nothing may be left at
 * Google.
 */
class GeminiStackTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int REQUESTS = 3_000;
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
                                500,
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

    @Test
    void
            fewThousandRequests_completeExactlyOnce_withFirstAttemptFailuresAndAnExpiredBatchResubmitted()
                    throws Exception {
        GeminiSimulator google = stack.simulator("gemini", GeminiSimulator.class).orElseThrow();
        google.setStepDuration(Duration.ofMillis(300));
        google.failLinesOnce(
                k -> k.endsWith("7"), 8, "RESOURCE_EXHAUSTED", "Resource has been exhausted");
        google.expireNextBatches(1);
        google.loseNextAnswers("create", 503, 1);
        google.loseNextAnswers("upload.chunk", 503, 1);

        Path file = tmp.resolve("gemini-few-thousand.jsonl");
        try (var w = Files.newBufferedWriter(file)) {
            for (int i = 1; i <= REQUESTS; i++) {
                w.write(
                        "{\"key\":\"req-"
                                + i
                                + "\",\"request\":{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":"
                                + "\"Classify ticket "
                                + i
                                + " as bug, question or request.\"}]}],"
                                + "\"generationConfig\":{\"maxOutputTokens\":16,\"temperature\":0}}}\n");
            }
        }
        Path out = tmp.resolve("out");
        int status =
                RunCommand.runJob(
                        stack,
                        file,
                        "gemini",
                        null,
                        "gemini-2.5-flash",
                        out,
                        Duration.ofMinutes(8),
                        Duration.ofMinutes(4));
        assertThat(status).as("log: %s", log).isZero();

        String key = "inbox/gemini/" + file.getFileName();
        String jobId =
                Keys.jobId(
                        Stack.BUCKET,
                        key,
                        stack.s3()
                                .headObject(b -> b.bucket(Stack.BUCKET).key(key))
                                .eTag()
                                .replace("\"", ""));
        Path results = out.resolve("results/" + jobId);
        Map<String, String> outcomes = new HashMap<>();
        List<Path> parts;
        try (Stream<Path> files = Files.list(results)) {
            parts = files.filter(p -> p.getFileName().toString().startsWith("part-")).toList();
        }
        for (Path part : parts) {
            for (String line : Files.readAllLines(part)) {
                JsonNode l = JSON.readTree(line);
                assertThat(outcomes.put(l.get("custom_id").asText(), l.get("outcome").asText()))
                        .as("request %s joined twice", l.get("custom_id"))
                        .isNull();
            }
        }
        assertThat(outcomes).hasSize(REQUESTS);
        assertThat(new HashSet<>(outcomes.values())).containsExactly("succeeded");

        JsonNode manifest = JSON.readTree(results.resolve("manifest.json").toFile());
        assertThat(manifest.at("/counts/succeeded").asLong()).isEqualTo(REQUESTS);
        assertThat(manifest.at("/counts/inFailedFile").asLong()).isZero();
        // 300 keys end in 7 and fail once; one whole shard of 500 expired (its 7-keys never ran
        // there).
        assertThat(manifest.at("/counts/resubmitted").asLong()).isGreaterThanOrEqualTo(500 + 250);
        long[] known = google.knownUsage();
        assertThat(manifest.at("/usage/inputTokens").asLong())
                .as("billed from usageMetadata")
                .isEqualTo(known[0]);
        assertThat(manifest.at("/usage/outputTokens").asLong()).isEqualTo(known[1] + known[2]);
        assertThat(manifest.at("/cost/batchUsd").isNumber())
                .as("gemini-2.5-flash is priced: %s", manifest.get("cost"))
                .isTrue();
        assertThat(manifest.at("/cost/warning").isMissingNode()).isTrue();

        List<String> names = google.createdDisplayNames();
        assertThat(names)
                .as("one batch per shard, the lost creation adopted, not repeated")
                .doesNotHaveDuplicates();
        assertThat(google.liveBatchNames())
                .as("batches deleted once results were written")
                .isEmpty();
        assertThat(google.liveFileNames()).as("input and responses files deleted").isEmpty();
        assertThat(google.conformanceProblems()).isEmpty();
    }

    @Test
    void fileWithoutAModel_isRejectedNamingTheLineAndTheRule() throws Exception {
        Path file = tmp.resolve("gemini-no-model.jsonl");
        Files.writeString(
                file,
                "{\"key\":\"a\",\"request\":{\"contents\":[{\"parts\":[{\"text\":\"hi\"}]}]}}\n"
                        + "{\"key\":\"a\",\"request\":{\"contents\":[]}}\n");
        Path out = tmp.resolve("out2");
        int status =
                RunCommand.runJob(
                        stack,
                        file,
                        "gemini",
                        null,
                        null,
                        out,
                        Duration.ofMinutes(3),
                        Duration.ofMinutes(2));
        assertThat(status).isEqualTo(1);
        // Rejections live under provider, name and job:
        // rejected/gemini/gemini-no-model/<jobId>/report.json.
        Path reportFile;
        try (var found = Files.walk(out.resolve("rejected/gemini/gemini-no-model"))) {
            reportFile =
                    found.filter(p -> p.getFileName().toString().equals("report.json"))
                            .findFirst()
                            .orElseThrow();
        }
        JsonNode report = JSON.readTree(reportFile.toFile());
        List<String> codes = new ArrayList<>();
        report.path("firstViolations")
                .forEach(v -> codes.add(v.path("line").asInt() + ":" + v.path("code").asText()));
        assertThat(codes)
                .contains("1:model_missing", "2:duplicate_custom_id", "2:contents_invalid");
    }
}
