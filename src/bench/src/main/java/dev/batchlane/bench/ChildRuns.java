package dev.batchlane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs what the benchmark times in processes of their own: a {@link Measure} in a child JVM with
 * the heap under test, or an external tool ({@code jq}, {@code wc}). A child process gives each
 * measurement its own heap and a peak RSS that is its alone.
 */
final class ChildRuns {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ChildRuns() {}

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
}
