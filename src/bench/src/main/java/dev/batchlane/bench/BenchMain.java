package dev.batchlane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

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
        root.set("machine", machine());
        ObjectNode settings = root.putObject("settings");
        settings.set("sizes", JSON.valueToTree(sizes));
        settings.set("heaps", JSON.valueToTree(heaps));
        settings.put("joinLines", joinLines);
        settings.put("repeat", REPEAT);
        settings.put("workDir", work.toString());
        settings.put("mb", "1 MB = 10^6 bytes; MB/s = input bytes / wall seconds of the operation");
        ArrayNode files = root.putArray("files");
        System.out.println("bench: work dir " + work + ", sizes " + sizes + ", heaps " + heaps);
        try {
            ArrayNode idle = root.putArray("idle");
            for (String heap : heaps) {
                JsonNode r = child(heap, "idle", work.resolve("none"), null, work);
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
                writeResults(outDir, root);
            }
            if (joinLines > 0) {
                root.set("join", measureJoin(joinLines, heaps, work));
            }
        } finally {
            Measure.deleteTree(work);
        }
        root.put("finishedAt", Instant.now().toString());
        writeResults(outDir, root);
        printTable(root);
        chart(outDir.resolve("throughput.png"), root, heaps.get(0));
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
        ObjectNode jq = bestTool(bytes, "jq", "-c", ".", file.toString());
        ObjectNode wc = bestTool(bytes, "wc", "-l", file.toString());
        f.set("jq", jq);
        f.set("wc", wc);
        double jqSeconds = jq.get("seconds").asDouble();
        ArrayNode runs = f.putArray("runs");
        for (String heap : heaps) {
            for (String mode : MODES) {
                JsonNode r = bestChild(heap, mode, file, null, work);
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
                JsonNode r = bestChild(heap, mode, staged, results, work);
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

    /**
     * How often each measurement runs; the fastest run is reported (the machine's cores may be
     * shared).
     */
    static final int REPEAT = Math.max(1, Integer.getInteger("bench.repeat", 1));

    /**
     * {@link #child} {@link #REPEAT} times: the fastest run, with every run's seconds and the load
     * average.
     */
    static JsonNode bestChild(String heap, String mode, Path input, Path results, Path work)
            throws Exception {
        ObjectNode best = null;
        ArrayNode all = JSON.createArrayNode();
        long maxHwm = 0;
        String load = loadAverage();
        for (int i = 0; i < REPEAT; i++) {
            ObjectNode r = (ObjectNode) child(heap, mode, input, results, work);
            all.add(r.get("seconds").asDouble());
            maxHwm = Math.max(maxHwm, r.get("vmHwmKb").asLong());
            if (best == null || r.get("seconds").asDouble() < best.get("seconds").asDouble()) {
                best = r;
            }
        }
        best.set("allSeconds", all);
        best.put("maxVmHwmKbOfRepeats", maxHwm);
        best.put("loadAverageBefore", load);
        best.put("loadAverageAfter", loadAverage());
        return best;
    }

    static ObjectNode bestTool(long bytes, String... command) throws Exception {
        ObjectNode best = null;
        ArrayNode all = JSON.createArrayNode();
        String load = loadAverage();
        for (int i = 0; i < REPEAT; i++) {
            ObjectNode r = tool(bytes, command);
            all.add(r.get("seconds").asDouble());
            if (best == null || r.get("seconds").asDouble() < best.get("seconds").asDouble()) {
                best = r;
            }
        }
        best.set("allSeconds", all);
        best.put("loadAverageBefore", load);
        best.put("loadAverageAfter", loadAverage());
        return best;
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Runs one Measure in a fresh JVM with -Xmx{heap}; returns its RESULT json. */
    static JsonNode child(String heap, String mode, Path input, Path results, Path work)
            throws Exception {
        List<String> cmd =
                new ArrayList<>(
                        List.of(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-Xmx" + heap,
                                "-cp",
                                System.getProperty("java.class.path"),
                                "-Djava.util.logging.config.file=/dev/null",
                                Measure.class.getName(),
                                mode,
                                input.toString()));
        if (results != null) {
            cmd.add(results.toString());
        }
        cmd.add(work.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String result = null;
        StringBuilder log = new StringBuilder();
        try (BufferedReader in =
                new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("RESULT ")) {
                    result = line.substring(7);
                } else if (log.length() < 20_000) {
                    log.append(line).append('\n');
                }
            }
        }
        int rc = p.waitFor();
        if (rc != 0 || result == null) {
            throw new IllegalStateException(
                    mode + " -Xmx" + heap + " failed (exit " + rc + "):\n" + log);
        }
        return JSON.readTree(result);
    }

    /** Wall time and peak RSS of an external tool, stdout discarded (GNU time reports the RSS). */
    static ObjectNode tool(long bytes, String... command) throws Exception {
        List<String> cmd = new ArrayList<>();
        boolean gnuTime = Files.isExecutable(Path.of("/usr/bin/time"));
        if (gnuTime) {
            cmd.addAll(List.of("/usr/bin/time", "-f", "BENCHTIME %M"));
        }
        cmd.addAll(List.of(command));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        double s = (System.nanoTime() - t0) / 1e9;
        if (rc != 0) {
            throw new IllegalStateException(
                    String.join(" ", command) + " failed (exit " + rc + "): " + err);
        }
        ObjectNode n = JSON.createObjectNode();
        n.put("command", String.join(" ", command) + " >/dev/null");
        n.put("seconds", s);
        n.put("mbPerSec", bytes / 1e6 / s);
        for (String line : err.split("\n")) {
            if (line.startsWith("BENCHTIME ")) {
                n.put("peakRssMb", Long.parseLong(line.substring(10).trim()) / 1024.0);
            }
        }
        System.out.printf(
                "bench: %-6s %6.2f s  %7.1f MB/s%n", command[0], s, n.get("mbPerSec").asDouble());
        return n;
    }

    private static ObjectNode machine() {
        ObjectNode m = JSON.createObjectNode();
        m.put("nproc", Runtime.getRuntime().availableProcessors());
        m.put("memTotal", grep("/proc/meminfo", "MemTotal:"));
        m.put("cpu", grep("/proc/cpuinfo", "model name"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put(
                "java",
                System.getProperty("java.vm.name")
                        + " "
                        + System.getProperty("java.runtime.version"));
        m.put("jq", run("jq", "--version"));
        m.put("commit", run("git", "rev-parse", "HEAD"));
        m.put(
                "dirtyCore",
                !run("git", "status", "--porcelain", "--", "../core", "../openai").isEmpty());
        return m;
    }

    private static String grep(String file, String prefix) {
        try {
            return Files.readAllLines(Path.of(file)).stream()
                    .filter(l -> l.startsWith(prefix))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out =
                    new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? out : "unknown";
        } catch (Exception e) {
            return "unknown";
        }
    }

    private static void writeResults(Path outDir, ObjectNode root) throws IOException {
        JSON.writeValue(outDir.resolve("results.json").toFile(), root);
    }

    private static void printTable(ObjectNode root) {
        System.out.println();
        System.out.printf(
                "%-10s %-6s %-18s %9s %8s %11s %8s %10s%n",
                "lines", "heap", "measurement", "seconds", "MB/s", "lines/s", "x jq", "peak RSS");
        for (JsonNode f : root.get("files")) {
            long lines = f.get("lines").asLong();
            double jqS = f.get("jq").get("seconds").asDouble();
            for (String t : List.of("jq", "wc")) {
                JsonNode n = f.get(t);
                System.out.printf(
                        "%-10d %-6s %-18s %9.2f %8.1f %11.0f %8.2f %7.0f MB%n",
                        lines,
                        "-",
                        t,
                        n.get("seconds").asDouble(),
                        n.get("mbPerSec").asDouble(),
                        lines / n.get("seconds").asDouble(),
                        jqS / n.get("seconds").asDouble(),
                        n.path("peakRssMb").asDouble(-1));
            }
            for (JsonNode r : f.get("runs")) {
                System.out.printf(
                        "%-10d %-6s %-18s %9.2f %8.1f %11.0f %8.2f %7.0f MB%n",
                        lines,
                        r.get("heap").asText(),
                        r.get("mode").asText(),
                        r.get("seconds").asDouble(),
                        r.get("mbPerSec").asDouble(),
                        r.get("linesPerSec").asDouble(),
                        r.get("vsJq").asDouble(),
                        r.get("peakRssMb").asDouble());
            }
        }
        JsonNode j = root.path("join");
        for (JsonNode r : j.path("runs")) {
            System.out.printf(
                    "%-10d %-6s %-18s %9.2f %8.1f %11.0f %8s %7.0f MB%n",
                    j.get("lines").asLong(),
                    r.get("heap").asText(),
                    r.get("mode").asText(),
                    r.get("seconds").asDouble(),
                    r.get("mbPerSec").asDouble(),
                    r.get("linesPerSec").asDouble(),
                    "-",
                    r.get("peakRssMb").asDouble());
        }
        System.out.println();
    }

    private static void chart(Path png, ObjectNode root, String heap) throws IOException {
        Map<String, List<Chart.Point>> series = Chart.newSeries();
        Map<String, String> names = new java.util.LinkedHashMap<>();
        names.put("jq", "jq -c .");
        names.put("wc", "wc -l");
        names.put("ingest-count", "ingest, exact token counts");
        names.put("ingest-nocount", "ingest, no counting");
        names.put("validate-count", "validation only, counts");
        names.put("validate-nocount", "validation only, no counting");
        names.values().forEach(n -> series.put(n, new ArrayList<>()));
        for (JsonNode f : root.get("files")) {
            double mb = f.get("mb").asDouble();
            series.get(names.get("jq"))
                    .add(new Chart.Point(mb, f.get("jq").get("mbPerSec").asDouble()));
            series.get(names.get("wc"))
                    .add(new Chart.Point(mb, f.get("wc").get("mbPerSec").asDouble()));
            for (JsonNode r : f.get("runs")) {
                if (r.get("heap").asText().equals(heap)) {
                    series.get(names.get(r.get("mode").asText()))
                            .add(new Chart.Point(mb, r.get("mbPerSec").asDouble()));
                }
            }
        }
        series.values().removeIf(List::isEmpty);
        if (series.isEmpty()) {
            return;
        }
        Chart.draw(
                png,
                "Batchlane ingest throughput vs file size (child JVM -Xmx"
                        + heap
                        + ", "
                        + root.get("machine").get("nproc").asInt()
                        + " cores)",
                "input file size (Harbor-shaped, ~2.4 KB lines)",
                "MB/s (log scale)",
                series);
    }
}
