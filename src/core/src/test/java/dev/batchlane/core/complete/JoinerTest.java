package dev.batchlane.core.complete;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.job.ShardResult;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Usage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JoinerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;

    @Test
    void joinsByCustomIdWhateverTheOrder_andAccountsForEveryStagedRequestOnce() throws IOException {
        String staged =
                "{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\"}\n{\"custom_id\":\"c\"}\n{\"custom_id\":\"d\"}\n";
        Set<String> pending =
                Joiner.stagedIds(
                        new ByteArrayInputStream(staged.getBytes(StandardCharsets.UTF_8)),
                        "custom_id");
        List<LineResult> provider =
                List.of(
                        new LineResult(
                                "c",
                                Outcome.SUCCEEDED,
                                200,
                                "{\"answer\":\"C\"}",
                                null,
                                new Usage(10, 2, 3)),
                        new LineResult(
                                "zzz", Outcome.SUCCEEDED, 200, "{}", null, new Usage(99, 0, 99)),
                        new LineResult(
                                "a",
                                Outcome.FAILED,
                                400,
                                null,
                                "{\"code\":\"invalid_request\"}",
                                null),
                        new LineResult(
                                "c",
                                Outcome.SUCCEEDED,
                                200,
                                "{\"answer\":\"again\"}",
                                null,
                                new Usage(10, 2, 3)),
                        new LineResult(
                                "b",
                                Outcome.SUCCEEDED,
                                200,
                                "{\"answer\":\"B\"}",
                                null,
                                new Usage(5, 0, 1)));
        var part = new java.io.ByteArrayOutputStream();

        ShardResult result =
                Joiner.join(
                                pending,
                                sink -> provider.forEach(sink),
                                new Joiner.Unanswered(
                                        Outcome.EXPIRED, "batch_expired", "window closed"),
                                false,
                                part,
                                "results/j/part-00001.jsonl")
                        .result();

        List<JsonNode> lines =
                part.toString(StandardCharsets.UTF_8).lines().toList().stream()
                        .map(JoinerTest::parse)
                        .toList();
        assertThat(lines)
                .extracting(l -> l.get("custom_id").asText())
                .containsExactlyInAnyOrder("a", "b", "c", "d");
        JsonNode c =
                lines.stream()
                        .filter(l -> l.get("custom_id").asText().equals("c"))
                        .findFirst()
                        .orElseThrow();
        assertThat(c.get("response").get("answer").asText()).isEqualTo("C");
        assertThat(c.get("usage").get("cached_input_tokens").asLong()).isEqualTo(2);
        JsonNode d =
                lines.stream()
                        .filter(l -> l.get("custom_id").asText().equals("d"))
                        .findFirst()
                        .orElseThrow();
        assertThat(d.get("outcome").asText()).isEqualTo("expired");
        assertThat(d.get("error").get("code").asText()).isEqualTo("batch_expired");
        assertThat(result.succeeded()).isEqualTo(2);
        assertThat(result.failed()).isEqualTo(1);
        assertThat(result.expired()).isEqualTo(1);
        assertThat(result.unknownResults()).isEqualTo(2);
        assertThat(result.usage()).isEqualTo(new Usage(15, 2, 4));
        assertThat(result.total()).isEqualTo(4);
    }

    /**
     * A shard the provider ran synchronously (Bedrock's small remainders) is billed at the
     * on-demand price; each of its lines says so, answers and final failures alike, and a batch
     * shard's lines carry no such mark.
     */
    @Test
    void anOnDemandShardsLines_eachCarryTheOnDemandMark_andABatchShardsLinesNone() {
        List<LineResult> provider =
                List.of(
                        new LineResult("a", Outcome.SUCCEEDED, 200, "{}", null, new Usage(3, 0, 1)),
                        new LineResult(
                                "b", Outcome.FAILED, 400, null, "{\"errorCode\":400}", null));
        var unanswered = new Joiner.Unanswered(Outcome.MISSING, "missing_result", "no line");
        var onDemand = new java.io.ByteArrayOutputStream();
        Joiner.join(
                new java.util.LinkedHashSet<>(List.of("a", "b", "c")),
                sink -> provider.forEach(sink),
                unanswered,
                false,
                onDemand,
                "p",
                true);
        var batch = new java.io.ByteArrayOutputStream();
        Joiner.join(
                new java.util.LinkedHashSet<>(List.of("a", "b", "c")),
                sink -> provider.forEach(sink),
                unanswered,
                false,
                batch,
                "p",
                false);

        List<JsonNode> marked =
                onDemand.toString(StandardCharsets.UTF_8).lines().map(JoinerTest::parse).toList();
        assertThat(marked)
                .hasSize(3)
                .allSatisfy(l -> assertThat(l.path("on_demand").asBoolean()).as("%s", l).isTrue());
        List<JsonNode> plain =
                batch.toString(StandardCharsets.UTF_8).lines().map(JoinerTest::parse).toList();
        assertThat(plain).hasSize(3).noneMatch(l -> l.has("on_demand"));
    }

    @Test
    void whenRetriesAreAllowed_passingFailuresGoToTheRetrySet_andTheModelsRefusalsToTheFailedList()
            throws IOException {
        Set<String> pending =
                new java.util.LinkedHashSet<>(
                        List.of("ok", "limited", "broken", "refused", "lost"));
        List<LineResult> provider =
                List.of(
                        new LineResult(
                                "ok", Outcome.SUCCEEDED, 200, "{}", null, new Usage(1, 0, 1)),
                        new LineResult(
                                "limited",
                                Outcome.FAILED,
                                429,
                                null,
                                "{\"code\":\"rate_limit_exceeded\"}",
                                null),
                        new LineResult(
                                "broken",
                                Outcome.FAILED,
                                500,
                                null,
                                "{\"code\":\"server_error\"}",
                                null),
                        new LineResult(
                                "refused",
                                Outcome.FAILED,
                                400,
                                null,
                                "{\"code\":\"context_length_exceeded\"}",
                                null));
        var part = new java.io.ByteArrayOutputStream();

        Joiner.Joined joined =
                Joiner.join(
                        pending,
                        sink -> provider.forEach(sink),
                        new Joiner.Unanswered(Outcome.MISSING, "missing_result", "no line", 1),
                        true,
                        part,
                        "p");

        assertThat(joined.resubmit()).containsExactly("limited", "broken", "lost");
        assertThat(joined.finalFailures()).containsExactly("refused");
        assertThat(part.toString(StandardCharsets.UTF_8).lines().toList()).hasSize(2);
        assertThat(joined.result().total() + joined.result().resubmitted()).isEqualTo(5);

        var staged =
                "{\"custom_id\":\"ok\",\"x\":1}\n{\"custom_id\":\"refused\",\"x\":2}\n{\"custom_id\":\"lost\"}\n";
        var out = new java.io.ByteArrayOutputStream();
        var retryOut = new java.io.ByteArrayOutputStream();
        Joiner.select(
                new ByteArrayInputStream(staged.getBytes(StandardCharsets.UTF_8)),
                "custom_id",
                List.of(
                        new Joiner.Selection(joined.finalFailures(), out),
                        new Joiner.Selection(joined.resubmit(), retryOut)));
        assertThat(out.toString(StandardCharsets.UTF_8))
                .isEqualTo("{\"custom_id\":\"refused\",\"x\":2}\n");
        assertThat(retryOut.toString(StandardCharsets.UTF_8))
                .isEqualTo("{\"custom_id\":\"lost\"}\n");
    }

    /**
     * A batch that says every request was processed, yet returned no line for some: the provider
     * may have run and billed them, so they are final failures with {@code missing_result}, not a
     * second run. Only as many as the counts show unprocessed may be sent again.
     */
    @Test
    void missingLines_areResubmittedOnlyWhenTheBatchCountsShowThemUnprocessed() {
        List<LineResult> provider =
                List.of(new LineResult("a", Outcome.SUCCEEDED, 200, "{}", null, Usage.ZERO));

        var allProcessed =
                Joiner.join(
                        new java.util.LinkedHashSet<>(List.of("a", "b", "c")),
                        sink -> provider.forEach(sink),
                        new Joiner.Unanswered(Outcome.MISSING, "missing_result", "no line", 0),
                        true,
                        new java.io.ByteArrayOutputStream(),
                        "p");
        assertThat(allProcessed.resubmit()).isEmpty();
        assertThat(allProcessed.finalFailures()).containsExactly("b", "c");
        assertThat(allProcessed.result().missing()).isEqualTo(2);

        var oneUnprocessed =
                Joiner.join(
                        new java.util.LinkedHashSet<>(List.of("a", "b", "c")),
                        sink -> provider.forEach(sink),
                        new Joiner.Unanswered(Outcome.MISSING, "missing_result", "no line", 1),
                        true,
                        new java.io.ByteArrayOutputStream(),
                        "p");
        assertThat(oneUnprocessed.resubmit())
                .as("two missing, only one shown unprocessed: which one is unknown")
                .isEmpty();
        assertThat(oneUnprocessed.finalFailures()).containsExactly("b", "c");

        var part = new java.io.ByteArrayOutputStream();
        var twoUnprocessed =
                Joiner.join(
                        new java.util.LinkedHashSet<>(List.of("a", "b", "c")),
                        sink -> provider.forEach(sink),
                        new Joiner.Unanswered(Outcome.MISSING, "missing_result", "no line", 2),
                        true,
                        part,
                        "p");
        assertThat(twoUnprocessed.resubmit()).containsExactly("b", "c");
        assertThat(allProcessed.finalFailures()).hasSize(2);
    }

    /**
     * A file may mix models; each line's usage is kept under the model that answered it, for a bill
     * per model.
     */
    @Test
    void usage_isSplitByTheModelEachLineNames_linesNamingNoneGoToTheJobsModel() {
        List<LineResult> provider =
                List.of(
                        new LineResult(
                                "a",
                                Outcome.SUCCEEDED,
                                200,
                                "{}",
                                null,
                                new Usage(10, 0, 5),
                                null,
                                "claude-opus-4-1"),
                        new LineResult(
                                "b",
                                Outcome.SUCCEEDED,
                                200,
                                "{}",
                                null,
                                new Usage(3, 1, 2),
                                null,
                                "claude-haiku-4-5"),
                        new LineResult(
                                "c",
                                Outcome.SUCCEEDED,
                                200,
                                "{}",
                                null,
                                new Usage(1, 0, 1),
                                null,
                                "claude-opus-4-1"),
                        new LineResult(
                                "d",
                                Outcome.FAILED,
                                500,
                                null,
                                "{}",
                                new Usage(7, 0, 0),
                                "api_error",
                                null));

        ShardResult r =
                Joiner.join(
                                new java.util.LinkedHashSet<>(List.of("a", "b", "c", "d")),
                                sink -> provider.forEach(sink),
                                new Joiner.Unanswered(Outcome.MISSING, "missing_result", "x"),
                                false,
                                new java.io.ByteArrayOutputStream(),
                                "p")
                        .result();

        assertThat(r.usageByModel("claude-haiku-4-5"))
                .containsExactly(
                        java.util.Map.entry("claude-haiku-4-5", new Usage(10, 1, 2)),
                        java.util.Map.entry("claude-opus-4-1", new Usage(11, 0, 6)));
        assertThat(r.usage()).isEqualTo(new Usage(21, 1, 8));
        ShardResult before = new ShardResult(1, 0, 0, 0, 0, 0, new Usage(4, 0, 4), "p", 0, 0);
        assertThat(before.usageByModel("gpt-4o-mini"))
                .as("recorded before the split: all the job's model's")
                .containsExactly(java.util.Map.entry("gpt-4o-mini", new Usage(4, 0, 4)));
    }

    @Test
    void missingLine_isJoinedWithTheMissingResultCode() {
        var part = new java.io.ByteArrayOutputStream();
        Joiner.join(
                new java.util.LinkedHashSet<>(List.of("b")),
                sink -> {},
                new Joiner.Unanswered(Outcome.MISSING, "missing_result", "no line", 0),
                true,
                part,
                "p");
        JsonNode line = parse(part.toString(StandardCharsets.UTF_8).strip());
        assertThat(line.get("outcome").asText()).isEqualTo("missing");
        assertThat(line.at("/error/code").asText()).isEqualTo("missing_result");
    }

    private static JsonNode parse(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + s, e);
        }
    }

    @Test
    void stagedIds_findTheIdWhereverItIs_skippingNestedValuesThatMentionIt() throws IOException {
        String staged =
                "{\"body\":{\"custom_id\":\"decoy\",\"messages\":[{\"custom_id\":\"x\"}]},\"custom_id\":\"real-1\"}\n"
                        + "{\"custom_id\":\"real-2\",\"body\":{}}\n\n";
        assertThat(
                        Joiner.stagedIds(
                                new ByteArrayInputStream(staged.getBytes(StandardCharsets.UTF_8)),
                                "custom_id"))
                .containsExactly("real-1", "real-2");
        byte[] numeric = "{\"custom_id\":7}".getBytes(StandardCharsets.UTF_8);
        assertThat(Joiner.idOf(numeric, numeric.length, "custom_id")).isNull();
    }
}
