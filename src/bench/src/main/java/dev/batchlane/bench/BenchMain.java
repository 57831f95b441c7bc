package dev.batchlane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * The benchmark (issue 10 item 11). For each file size it generates a Harbor-shaped file, times
 * {@code jq -c .} and {@code wc -l} on it, then runs each Batchlane measurement ({@link Measure})
 * in a child JVM per heap size and reads the child's peak RSS; then it times complete's join of one
 * shard. Prints a table, writes {@code results.json} and {@code throughput.png} to {@code
 * bench.out}.
 *
 * <p>System properties: {@code bench.sizes} (lines, comma-separated; default 100000,300000), {@code
 * bench.heaps} (-Xmx of the children; default 3g,512m), {@code bench.allowHuge} (true to allow
 * files over 1M lines, which need ~2.3× their size free, e.g. ~10 GB for 1.8M lines), {@code
 * bench.joinLines} (default 50000), {@code bench.workDir} (where files are generated; default
 * java.io.tmpdir), {@code bench.out} (default target/bench), {@code bench.repeat} (runs per
 * measurement, fastest reported; default 1), {@code bench.modes} (a subset of the four ingest
 * measurements; default all).
 */
public final class BenchMain {
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final List<String> ALL_MODES =
            List.of("validate-count", "validate-nocount", "ingest-count", "ingest-nocount");

    /**
     * {@code -Dbench.modes=validate-nocount,ingest-nocount} runs a subset (e.g. a quick look at a
     * huge file).
     */
    static final List<String> MODES =
            Arrays.stream(System.getProperty("bench.modes", String.join(",", ALL_MODES)).split(","))
                    .map(String::trim)
                    .filter(ALL_MODES::contains)
                    .toList();

    /** Generated lines average ~2.45 KB; used to check free disk before writing. */
    private static final long BYTES_PER_LINE_ESTIMATE = 2_500;

    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        List<Long> sizes =
                Arrays.stream(System.getProperty("bench.sizes", "100000,300000").split(","))
                        .map(String::trim)
                        .filter(s -> !s.isEmpty())
                        .map(Long::parseLong)
                        .sorted()
                        .toList();
        List<String> heaps =
                Arrays.stream(System.getProperty("bench.heaps", "3g,512m").split(","))
                        .map(String::trim)
                        .filter(s -> !s.isEmpty())
                        .toList();
        boolean allowHuge = Boolean.getBoolean("bench.allowHuge");
        long joinLines = Long.getLong("bench.joinLines", 50_000);
        Path workRoot =
                Path.of(System.getProperty("bench.workDir", System.getProperty("java.io.tmpdir")));
        Path outDir =
                Files.createDirectories(Path.of(System.getProperty("bench.out", "target/bench")));
        Path work = Files.createTempDirectory(workRoot, "batchlane-bench-");

        ObjectNode root = JSON.createObjectNode();
        root.put("startedAt", Instant.now().toString());
        root.set("machine", BenchMachine.describe());
        ObjectNode settings = root.putObject("settings");
        settings.set("sizes", JSON.valueToTree(sizes));
        settings.set("heaps", JSON.valueToTree(heaps));
        settings.put("joinLines", joinLines);
        settings.put("repeat", ChildRuns.REPEAT);
        settings.put("workDir", work.toString());
        settings.put("mb", "1 MB = 10^6 bytes; MB/s = input bytes / wall seconds of the operation");
        ArrayNode files = root.putArray("files");
        System.out.println("bench: work dir " + work + ", sizes " + sizes + ", heaps " + heaps);
        try {
            ArrayNode idle = root.putArray("idle");
            for (String heap : heaps) {
                JsonNode r = ChildRuns.child(heap, "idle", work.resolve("none"), null, work);
                idle.add(
                        JSON.createObjectNode()
                                .put("heap", heap)
                                .put("peakRssMb", r.get("vmHwmKb").asLong() / 1024.0));
            }
            for (long lines : sizes) {
                long need = lines * BYTES_PER_LINE_ESTIMATE * 23 / 10 + (1L << 30);
                long free = Files.getFileStore(work).getUsableSpace();
                if (lines > 1_000_000 && !allowHuge) {
                    System.out.println(
                            "bench: skipping "
                                    + lines
                                    + " lines: over 1M lines needs -Dbench.allowHuge=true"
                                    + " (about "
                                    + need / 1_000_000_000
                                    + " GB free; "
                                    + free / 1_000_000_000
                                    + " GB free now)");
                    continue;
                }
                if (free < need) {
                    System.out.println(
                            "bench: skipping "
                                    + lines
                                    + " lines: needs about "
                                    + need / 1_000_000_000
                                    + " GB free in "
                                    + work
                                    + ", has "
                                    + free / 1_000_000_000
                                    + " GB");
                    continue;
                }
                files.add(measureFile(lines, heaps, work));
                BenchReport.writeResults(outDir, root);
            }
            if (joinLines > 0) {
                root.set("join", measureJoin(joinLines, heaps, work));
            }
        } finally {
            Measure.deleteTree(work);
        }
        root.put("finishedAt", Instant.now().toString());
        BenchReport.writeResults(outDir, root);
        BenchReport.printTable(root);
        BenchReport.chart(outDir.resolve("throughput.png"), root, heaps.get(0));
        System.out.println(
                "bench: wrote "
                        + outDir.resolve("results.json")
                        + " and "
                        + outDir.resolve("throughput.png"));
    }

    private static ObjectNode measureFile(long lines, List<String> heaps, Path work)
            throws Exception {
        Path file = work.resolve(String.format("harbor-%d.jsonl", lines));
        long t0 = System.nanoTime();
        long bytes = HarborFiles.writeRequests(file, lines);
        double gen = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
                "bench: generated %s: %d lines, %.1f MB (%.0f bytes/line) in %.1f s%n",
                file.getFileName(), lines, bytes / 1e6, (double) bytes / lines, gen);
        ObjectNode f = JSON.createObjectNode();
        f.put("lines", lines);
        f.put("bytes", bytes);
        f.put("mb", bytes / 1e6);
        f.put("avgLineBytes", (double) bytes / lines);
        f.put("generateSeconds", gen);
        ObjectNode jq = ChildRuns.bestTool(bytes, "jq", "-c", ".", file.toString());
        ObjectNode wc = ChildRuns.bestTool(bytes, "wc", "-l", file.toString());
        f.set("jq", jq);
        f.set("wc", wc);
        double jqSeconds = jq.get("seconds").asDouble();
        ArrayNode runs = f.putArray("runs");
        for (String heap : heaps) {
            for (String mode : MODES) {
                JsonNode r = ChildRuns.bestChild(heap, mode, file, null, work);
                if (r.get("lines").asLong() != lines) {
                    throw new IllegalStateException(
                            mode + " saw " + r.get("lines") + " lines, expected " + lines);
                }
                ObjectNode run = summary(heap, mode, r, bytes, lines);
                run.put("vsJq", jqSeconds / r.get("seconds").asDouble());
                runs.add(run);
                System.out.printf(
                        "bench: %,d lines  -Xmx%-5s %-17s %7.1f MB/s %9.0f lines/s  %.2f× jq  peak RSS %6.0f MB%n",
                        lines,
                        heap,
                        mode,
                        run.get("mbPerSec").asDouble(),
                        run.get("linesPerSec").asDouble(),
                        run.get("vsJq").asDouble(),
                        run.get("peakRssMb").asDouble());
            }
        }
        Files.delete(file);
        return f;
    }

    private static ObjectNode measureJoin(long lines, List<String> heaps, Path work)
            throws Exception {
        Path staged = work.resolve("shard-00000.jsonl");
        Path results = work.resolve("batch_output.jsonl");
        HarborFiles.writeRequests(staged, lines);
        HarborFiles.writeResults(results, lines);
        ObjectNode j = JSON.createObjectNode();
        j.put("lines", lines);
        j.put("stagedBytes", Files.size(staged));
        j.put("resultBytes", Files.size(results));
        ArrayNode runs = j.putArray("runs");
        for (String heap : heaps) {
            for (String mode : List.of("complete", "join", "join-warm")) {
                JsonNode r = ChildRuns.bestChild(heap, mode, staged, results, work);
                ObjectNode run = summary(heap, mode, r, Files.size(results), lines);
                run.put("succeeded", r.get("succeeded").asLong());
                run.put("failed", r.get("failed").asLong());
                runs.add(run);
                System.out.printf(
                        "bench: join %,d lines -Xmx%-5s %-9s %6.2f s %9.0f lines/s  peak RSS %6.0f MB%n",
                        lines,
                        heap,
                        mode,
                        run.get("seconds").asDouble(),
                        run.get("linesPerSec").asDouble(),
                        run.get("peakRssMb").asDouble());
            }
        }
        Files.delete(staged);
        Files.delete(results);
        return j;
    }

    private static ObjectNode summary(
            String heap, String mode, JsonNode r, long bytes, long lines) {
        double s = r.get("seconds").asDouble();
        ObjectNode run = JSON.createObjectNode();
        run.put("heap", heap);
        run.put("mode", mode);
        run.put("seconds", s);
        run.put("mbPerSec", bytes / 1e6 / s);
        run.put("linesPerSec", lines / s);
        run.put("peakRssMb", r.get("vmHwmKb").asLong() / 1024.0);
        run.set("child", r);
        return run;
    }
}
