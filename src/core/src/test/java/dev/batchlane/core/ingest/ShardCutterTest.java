package dev.batchlane.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.money.TokenEstimate;
import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ShardCutterTest {
    private final ExecutorService finisher = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        finisher.shutdownNow();
    }

    /** Shards kept in memory by index; an upload closed without completing counts as aborted. */
    private static final class Shards implements IngestPass.Stager {
        final Map<Integer, String> completed = new LinkedHashMap<>();
        final List<Integer> aborted = new ArrayList<>();

        @Override
        public ObjectStore.Upload open(int index) {
            return ObjectStore.Upload.inMemory(
                    bytes -> completed.put(index, new String(bytes, StandardCharsets.UTF_8)));
        }

        @Override
        public void staged(IngestPass.StagedShard shard) {}
    }

    private static void add(ShardCutter cutter, String line, long inputs) throws IOException {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        cutter.add(b, 0, b.length, inputs, "m", new TokenEstimate(1, 1, 0), Long.MAX_VALUE);
    }

    @Test
    void aShardCloses_atItsRequestLimit_atItsByteLimitCountingNewlines_andAtItsInputLimit()
            throws IOException {
        Shards stager = new Shards();
        // 2 requests, 8 bytes (a 3-byte line takes 4 with its newline), 5 inputs per shard.
        ShardCutter cutter = new ShardCutter(stager, new IngestLimits(2, 8, 7, 10, 5), finisher);

        add(cutter, "aaa", 1);
        add(cutter, "bbb", 1); // two requests: full
        add(cutter, "ccc", 1);
        add(cutter, "dddd", 1); // 4 + 5 bytes > 8: a new shard
        add(cutter, "e", 4); // 7 bytes and 5 inputs: the shard is exactly full
        add(cutter, "f", 1); // a third request: closed by the request limit
        cutter.finish();

        assertThat(stager.completed)
                .containsExactly(
                        Map.entry(1, "aaa\nbbb\n"),
                        Map.entry(2, "ccc\n"),
                        Map.entry(3, "dddd\ne\n"),
                        Map.entry(4, "f\n"));
        assertThat(cutter.staged())
                .extracting(IngestPass.StagedShard::bytes)
                .containsExactly(8L, 4L, 7L, 2L);
    }

    @Test
    void aLineThatWouldPassTheQueueTokenLimit_startsTheNextShard_andEachShardKeepsItsEstimate()
            throws IOException {
        Shards stager = new Shards();
        ShardCutter cutter =
                new ShardCutter(stager, new IngestLimits(100, 1000, 100, 10, 100), finisher);

        for (String line : List.of("a", "b", "c")) {
            byte[] b = line.getBytes(StandardCharsets.UTF_8);
            // 40 input tokens a line under a queue limit of 100: two lines fit, the third does not.
            cutter.add(b, 0, b.length, 1, "m", new TokenEstimate(1, 40, 7), 100);
        }
        cutter.finish();

        assertThat(stager.completed).containsExactly(Map.entry(1, "a\nb\n"), Map.entry(2, "c\n"));
        assertThat(cutter.staged())
                .extracting(IngestPass.StagedShard::estimates)
                .containsExactly(
                        Map.of("m", new TokenEstimate(2, 80, 14)),
                        Map.of("m", new TokenEstimate(1, 40, 7)));
        assertThat(cutter.staged())
                .extracting(IngestPass.StagedShard::inputTokens)
                .containsExactly(80L, 40L);
    }

    @Test
    void aLineThatWouldPassTheInputLimit_startsTheNextShard() throws IOException {
        Shards stager = new Shards();
        ShardCutter cutter =
                new ShardCutter(stager, new IngestLimits(100, 1000, 100, 10, 5), finisher);

        add(cutter, "a", 3);
        add(cutter, "b", 3);
        cutter.finish();

        assertThat(stager.completed).containsExactly(Map.entry(1, "a\n"), Map.entry(2, "b\n"));
    }

    @Test
    void stop_abortsTheOpenShard_andStagesNothingMore() throws IOException {
        Shards stager = new Shards();
        ShardCutter cutter = new ShardCutter(stager, new IngestLimits(1, 1000, 100, 10), finisher);
        add(cutter, "a", 1);
        add(cutter, "b", 1); // shard 1 completes in the background, shard 2 is open

        cutter.stop();
        cutter.finish();

        assertThat(cutter.staging()).isFalse();
        assertThat(stager.completed).containsOnlyKeys(1);
        assertThat(cutter.staged()).extracting(IngestPass.StagedShard::index).containsExactly(1);
    }
}
