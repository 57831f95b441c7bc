package dev.batchlane.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.ingest.FileValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated files are what the benchmark claims; no benchmark runs here (that is -Pbench). */
class HarborFilesTest {
    @TempDir Path dir;

    @Test
    void requestLines_areValidOpenAiChatLinesOfAbout2400Bytes_withTheSameSystemPrompt()
            throws Exception {
        Path file = dir.resolve("h.jsonl");
        long bytes = HarborFiles.writeRequests(file, 500);
        assertThat(bytes / 500.0).isBetween(2200.0, 2600.0);
        assertThat(HarborFiles.SYSTEM_PROMPT.length()).isBetween(1500, 1700);
        List<String> lines = Files.readAllLines(file);
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        assertThat(first.get("custom_id").asText()).isEqualTo("tx-0000001");
        assertThat(first.at("/body/model").asText()).isEqualTo("gpt-4o-mini");
        assertThat(first.at("/body/max_tokens").asInt()).isBetween(16, 64);
        assertThat(first.at("/body/messages/0/content").asText())
                .isEqualTo(HarborFiles.SYSTEM_PROMPT);
        assertThat(HarborFiles.userMessage(1, new SplittableRandom(1)).length())
                .isBetween(600, 850);

        BenchProvider counting = new BenchProvider(true, null);
        FileValidator.Validation r =
                new FileValidator(
                                counting.contract(),
                                dev.batchlane.provider.openai.Vendor.OPENAI_LIMITS)
                        .validate(Files.newInputStream(file), v -> {});
        assertThat(r.valid()).isTrue();
        assertThat(r.requests()).isEqualTo(500);
        assertThat(r.estimates().get("gpt-4o-mini").inputTokens()).isGreaterThan(500L * 400);

        FileValidator.Validation none =
                new FileValidator(
                                new BenchProvider(false, null).contract(),
                                dev.batchlane.provider.openai.Vendor.OPENAI_LIMITS)
                        .validate(Files.newInputStream(file), v -> {});
        assertThat(none.valid()).isTrue();
        assertThat(none.estimates().get("gpt-4o-mini").inputTokens()).isZero();
    }

    @Test
    void resultLines_coverEveryRequestOnce_andMeasureRunsAJoin() throws Exception {
        Path staged = dir.resolve("s.jsonl");
        Path results = dir.resolve("r.jsonl");
        HarborFiles.writeRequests(staged, 400);
        HarborFiles.writeResults(results, 400);
        assertThat(Files.readAllLines(results)).hasSize(400);
        var out = new java.io.ByteArrayOutputStream();
        var old = System.out;
        System.setOut(new java.io.PrintStream(out, true));
        try {
            Measure.main(
                    new String[] {
                        "complete", staged.toString(), results.toString(), dir.toString()
                    });
        } finally {
            System.setOut(old);
        }
        String text = out.toString();
        JsonNode r = new ObjectMapper().readTree(text.substring(text.indexOf("RESULT ") + 7));
        assertThat(r.get("lines").asLong()).isEqualTo(400);
        assertThat(r.get("succeeded").asLong()).isEqualTo(398);
        assertThat(r.get("failed").asLong()).isEqualTo(2);
    }
}
