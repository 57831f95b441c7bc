package dev.batchlane.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Throughput and peak heap of the two streaming passes of ingest (validate, then cut into shards)
 * over a generated file, never written whole anywhere. Not part of the default build:
 * {@code ./mvnw -B -pl src/core test -Dgroups=benchmark -Dbench.lines=1000000 -DargLine=-Xmx128m}.
 * The figures are printed; the only assertion is that the passes complete under the heap given.
 */
@Tag("benchmark")
class StreamingBenchmark {

    /** ~300-byte chat requests, generated on the fly. */
    static InputStream generated(long lines) {
        return new InputStream() {
            long line;
            byte[] current = new byte[0];
            int pos;

            @Override
            public int read() {
                if (pos == current.length) {
                    if (line == lines) {
                        return -1;
                    }
                    current = ("{\"custom_id\":\"row-" + line++ + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                            + "\"body\":{\"model\":\"gpt-4o-mini\",\"max_tokens\":60,\"messages\":[{\"role\":\"system\","
                            + "\"content\":\"Score the transaction for fraud risk.\"},{\"role\":\"user\",\"content\":"
                            + "\"amount=" + (line * 13 % 997) + " country=DE merchant=m" + (line % 31)
                            + " card_present=true hour=23 prior=4\"}]}}\n").getBytes(StandardCharsets.UTF_8);
                    pos = 0;
                }
                return current[pos++] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int n = 0;
                while (n < len) {
                    int c = read();
                    if (c < 0) {
                        return n == 0 ? -1 : n;
                    }
                    b[off + n++] = (byte) c;
                }
                return n;
            }
        };
    }

    @Test
    void validateAndShard_generatedFile_reportThroughputAndPeakHeap() throws Exception {
        long lines = Long.getLong("bench.lines", 200_000);
        IngestLimits limits = IngestLimits.OPENAI;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
        long t0 = System.nanoTime();
        FileValidator.Result r = new FileValidator(new TestContract(), limits).validate(generated(lines), v -> { });
        long t1 = System.nanoTime();
        Path tmp = Files.createTempDirectory("bench-");
        long[] shards = {0};
        new Sharder(limits, tmp).cut(generated(lines), s -> shards[0]++);
        long t2 = System.nanoTime();
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        double mb = r.bytes() / 1e6;
        System.out.printf("BENCH lines=%d bytes=%.1fMB validate=%.1fs (%.1f MB/s) shard=%.1fs (%.1f MB/s) shards=%d"
                        + " peakHeap=%.1fMB maxHeap=%.1fMB%n", lines, mb, (t1 - t0) / 1e9, mb / ((t1 - t0) / 1e9),
                (t2 - t1) / 1e9, mb / ((t2 - t1) / 1e9), shards[0], peak / 1e6,
                Runtime.getRuntime().maxMemory() / 1e6);
        assertThat(r.valid()).isTrue();
        assertThat(r.requests()).isEqualTo(lines);
    }
}
