package dev.batchlane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a benchmark run leaves: {@code results.json} (everything measured, rewritten after each file
 * so a run cut short keeps what it had), the table on standard output, and the throughput chart.
 */
final class BenchReport {
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BenchReport() {}

    static void writeResults(Path outDir, ObjectNode root) throws IOException {
        JSON.writeValue(outDir.resolve("results.json").toFile(), root);
    }

    static void printTable(ObjectNode root) {
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

    static void chart(Path png, ObjectNode root, String heap) throws IOException {
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
