package dev.batchlane.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchlane.core.lane.Deadline;
import dev.batchlane.core.storage.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IngestPassTest {

    /** Staged shards kept in memory, with the uploads that were aborted instead of completed. */
    private static final class MemoryStager implements IngestPass.Stager {
        final Map<Integer, String> completed = new LinkedHashMap<>();
        final List<Integer> aborted = new ArrayList<>();
        final List<IngestPass.StagedShard> staged = new ArrayList<>();

        @Override
        public ObjectStore.Upload open(int index) {
            return new ObjectStore.Upload() {
                final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                boolean done;

                @Override
                public void write(byte[] b, int off, int len) {
                    bytes.write(b, off, len);
                    count(len);
                }

                @Override
                public void complete() {
                    completed.put(index, bytes.toString(StandardCharsets.UTF_8));
                    done = true;
                }

                @Override
                public boolean completed() {
                    return done;
                }

                @Override
                public void close() {
                    if (!done && !aborted.contains(index)) {
                        aborted.add(index);
                    }
                }
            };
        }

        @Override
        public void staged(IngestPass.StagedShard shard) {
            staged.add(shard);
        }
    }

    private record Run(
            IngestPass.PassSummary result, List<Violation> violations, MemoryStager stager) {}

    private static Run run(IngestLimits limits, String input, IngestPass.Options options)
            throws IOException {
        List<Violation> all = new ArrayList<>();
        MemoryStager stager = new MemoryStager();
        IngestPass.PassSummary r =
                new IngestPass(new TestContract(), limits, 100, options)
                        .run(
                                new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                                all::add,
                                stager,
                                IngestPass.Progress.NONE);
        return new Run(r, all, stager);
    }

    private static Run run(IngestLimits limits, String input) throws IOException {
        return run(limits, input, IngestPass.Options.defaults());
    }

    @Test
    void stage_cutsAtTheRequestLimit_andKeepsEveryLineInOrder() throws IOException {
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < 7; i++) {
            in.append("{\"custom_id\":\"r").append(i).append("\"}\n");
        }
        Run run = run(new IngestLimits(3, 10_000, 100, 5), in.toString());
        assertThat(run.result().shards())
                .extracting(IngestPass.StagedShard::requests)
                .containsExactly(3L, 3L, 1L);
        assertThat(String.join("", run.stager().completed.values())).isEqualTo(in.toString());
        assertThat(run.stager().aborted).isEmpty();
    }

    @Test
    void stage_cutsBeforeALineThatWouldPassTheByteLimit() throws IOException {
        String line = "{\"custom_id\":\"0123456789\"}"; // 26 bytes + newline
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            in.append(line.replace("0123456789", "012345678" + i)).append('\n');
        }
        Run run = run(new IngestLimits(100, 60, 30, 5), in.toString());
        assertThat(run.result().shards())
                .extracting(IngestPass.StagedShard::requests)
                .containsExactly(2L, 2L, 1L);
        assertThat(run.result().shards())
                .allSatisfy(s -> assertThat(s.bytes()).isLessThanOrEqualTo(60));
        run.result()
                .shards()
                .forEach(
                        s ->
                                assertThat(run.stager().completed.get(s.index()).length())
                                        .isEqualTo((int) s.bytes()));
    }

    /**
     * A provider that counts parts of a request (OpenAI's embedding inputs) gets shards cut on
     * those too, and a single line over the limit is a violation rather than a batch that fails.
     */
    @Test
    void stage_cutsAtTheInputLimit_andALineOverItAloneIsRejected() throws IOException {
        IngestLimits limits = new IngestLimits(100, 1_000_000, 1000, 20, 5);
        String ok =
                "{\"custom_id\":\"a\",\"inputs\":3}\n{\"custom_id\":\"b\",\"inputs\":2}\n"
                        + "{\"custom_id\":\"c\"}\n{\"custom_id\":\"d\",\"inputs\":4}\n";

        Run r = run(limits, ok);

        assertThat(r.violations()).isEmpty();
        assertThat(r.stager().staged)
                .extracting(IngestPass.StagedShard::requests)
                .containsExactly(2L, 2L);

        Run over = run(limits, ok + "{\"custom_id\":\"e\",\"inputs\":6}\n");
        assertThat(over.violations())
                .extracting(Violation::line, Violation::code)
                .containsExactly(org.assertj.core.api.Assertions.tuple(5L, "too_many_inputs"));
        assertThat(over.violations().get(0).message())
                .contains("line 5")
                .contains("6 inputs")
                .contains("at most 5");
    }

    @Test
    void stage_normalisesCrlfAndDropsBlankLines() throws IOException {
        Run run =
                run(
                        new IngestLimits(10, 10_000, 100, 5),
                        "{\"custom_id\":\"a\"}\r\n\r\n{\"custom_id\":\"b\"}");
        assertThat(run.stager().completed.values())
                .containsExactly("{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\"}\n");
    }

    @Test
    void firstViolation_abortsTheShardBeingWritten_stopsStaging_butReportsEveryBadLine()
            throws IOException {
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            in.append(
                            i == 5 || i == 8
                                    ? "{\"custom_id\":\"x" + i + "\",\"bad\":1}"
                                    : "{\"custom_id\":\"r" + i + "\"}")
                    .append('\n');
        }
        Run run = run(new IngestLimits(2, 10_000, 100, 5), in.toString());
        assertThat(run.result().checked().valid()).isFalse();
        assertThat(run.violations()).extracting(Violation::line).containsExactly(6L, 9L);
        // Shards 1 and 2 (lines 1-4) were complete before line 6 broke a rule; shard 3 was cut
        // short.
        assertThat(run.result().shards())
                .extracting(IngestPass.StagedShard::index)
                .containsExactly(1, 2);
        assertThat(run.stager().aborted).containsExactly(3);
        assertThat(run.stager().completed).doesNotContainKey(3);
    }

    /**
     * The parallel pass must report exactly what a one-thread pass reports: the same violations in
     * the same order (duplicates naming the first line even when the two lines were parsed on
     * different threads), the same estimates and the same shard boundaries.
     */
    @Test
    void parallelPass_equalsSequentialPass_onAFileWithViolationsEverywhere() throws IOException {
        Random random = new Random(42);
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < 5_000; i++) {
            int roll = random.nextInt(100);
            if (roll == 0) {
                in.append("{not json\n");
            } else if (roll == 1) {
                in.append("[1,2]\n");
            } else if (roll == 2) {
                in.append("{\"custom_id\":\"r")
                        .append(random.nextInt(i + 1))
                        .append("\"}\n"); // likely a duplicate
            } else if (roll == 3) {
                in.append("   \n");
            } else if (roll == 4) {
                in.append("{\"custom_id\":\"b").append(i).append("\",\"bad\":true}\n");
            } else {
                in.append("{\"custom_id\":\"r")
                        .append(i)
                        .append("\",\"max_tokens\":")
                        .append(roll)
                        .append(",\"text\":\"")
                        .append("word ".repeat(roll))
                        .append("\"}\n");
            }
        }
        IngestLimits limits = new IngestLimits(300, 50_000, 1_000, 50);
        Run sequential =
                run(
                        limits,
                        in.toString(),
                        IngestPass.Options.defaults().withParallelism(1).withChunkBytes(1 << 24));
        Run parallel =
                run(
                        limits,
                        in.toString(),
                        IngestPass.Options.defaults().withParallelism(4).withChunkBytes(97));
        assertThat(sequential.violations()).hasSizeGreaterThan(100);
        assertThat(parallel.violations()).containsExactlyElementsOf(sequential.violations());
        assertThat(parallel.result().checked()).isEqualTo(sequential.result().checked());
    }

    @Test
    void parallelPass_stagesTheSameShardsAsASequentialOne() throws IOException {
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < 2_000; i++) {
            in.append("{\"custom_id\":\"r")
                    .append(i)
                    .append("\",\"pad\":\"")
                    .append("x".repeat(i % 37))
                    .append("\"}\n");
        }
        IngestLimits limits = new IngestLimits(170, 9_000, 1_000, 5);
        Run sequential =
                run(limits, in.toString(), IngestPass.Options.defaults().withParallelism(1));
        Run parallel =
                run(
                        limits,
                        in.toString(),
                        IngestPass.Options.defaults().withParallelism(3).withChunkBytes(301));
        assertThat(parallel.result().shards())
                .isEqualTo(sequential.result().shards())
                .hasSizeGreaterThan(10);
        assertThat(parallel.stager().completed).isEqualTo(sequential.stager().completed);
    }

    @Test
    void pastTheDeadline_thePassStopsWithAClearError_andAbortsTheShardBeingWritten() {
        Clock late = Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC);
        IngestPass.Options options =
                IngestPass.Options.defaults()
                        .withChunkBytes(64)
                        .withDeadline(
                                new Deadline(Instant.parse("2026-12-01T10:00:10Z")),
                                Duration.ofSeconds(30),
                                late);
        MemoryStager stager = new MemoryStager();
        String in = "{\"custom_id\":\"a\"}\n".repeat(1).concat("{\"custom_id\":\"b\"}\n");
        assertThatThrownBy(
                        () ->
                                new IngestPass(
                                                new TestContract(),
                                                new IngestLimits(10, 10_000, 100, 5),
                                                100,
                                                options)
                                        .run(
                                                new ByteArrayInputStream(
                                                        in.getBytes(StandardCharsets.UTF_8)),
                                                v -> {},
                                                stager,
                                                IngestPass.Progress.NONE))
                .isInstanceOf(IngestPass.OutOfTime.class)
                .hasMessageContaining("time ran out at byte");
        assertThat(stager.aborted).containsExactly(1);
        assertThat(stager.completed).isEmpty();
    }
}
