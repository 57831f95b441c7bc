package dev.batchlane.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The queue path's benchmark (issue 23 item 7): what the coalescing policy costs in provider
 * batches at a given arrival rate and maximum wait ({@link QueueCadence}), and how many requests
 * per second one intake accepts on the real buffer ({@link QueueIntakeRate}). Prints tables and
 * writes {@code queue.json} to {@code bench.out}.
 *
 * <p>System properties: {@code bench.queue.rates} (requests per second, default 0.05,0.5,5,50),
 * {@code bench.queue.waits} (ISO-8601, default PT10M,PT1H), {@code bench.queue.span} (simulated
 * time, default PT6H).
 */
public final class QueueBenchMain {
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private QueueBenchMain() {}

    /** Held so the level sticks: each flush logs a line, thousands in a simulated day. */
    private static final java.util.logging.Logger QUIET =
            java.util.logging.Logger.getLogger("dev.batchlane");

    public static void main(String[] args) throws Exception {
        QUIET.setLevel(java.util.logging.Level.WARNING);
        List<Double> rates =
                Arrays.stream(System.getProperty("bench.queue.rates", "0.05,0.5,5,50").split(","))
                        .map(String::trim)
                        .map(Double::parseDouble)
                        .toList();
        List<Duration> waits =
                Arrays.stream(System.getProperty("bench.queue.waits", "PT10M,PT1H").split(","))
                        .map(String::trim)
                        .map(Duration::parse)
                        .toList();
        Duration span = Duration.parse(System.getProperty("bench.queue.span", "PT6H"));
        Path out = Path.of(System.getProperty("bench.out", "target/bench"));
        Files.createDirectories(out);
        ObjectNode report = JSON.createObjectNode();
        report.set("machine", BenchMachine.describe());
        ArrayNode cadence = report.putArray("cadence");
        System.out.printf(
                "%nqueue cadence over %s of Poisson arrivals, flusher every minute (OpenAI limits)%n",
                span);
        System.out.printf(
                "%10s %8s %9s %8s %10s %9s %9s %9s %9s%n",
                "req/s",
                "max-wait",
                "requests",
                "batches",
                "req/batch",
                "max batch",
                "wait p50",
                "wait p95",
                "wait max");
        for (Duration wait : waits) {
            for (double rate : rates) {
                QueueCadence.Result r = QueueCadence.run(rate, wait, span, 7);
                System.out.printf(
                        "%10.2f %8s %9d %8d %10.1f %9d %8.0fs %8.0fs %8.0fs%n",
                        rate,
                        wait,
                        r.requests(),
                        r.batches(),
                        r.requestsPerBatch(),
                        r.maxBatch(),
                        r.waitP50Seconds(),
                        r.waitP95Seconds(),
                        r.waitMaxSeconds());
                cadence.addPOJO(r);
            }
        }
        int intakeRequests = Integer.parseInt(System.getProperty("bench.queue.intake", "5000"));
        if (intakeRequests > 0) {
            QueueIntakeRate.Result r = QueueIntakeRate.run(intakeRequests);
            System.out.printf(
                    "%nintake, one request after the other, OpenAI's contract, DynamoDB Local:%n"
                            + "  %d requests: %.0f req/s accepted; plain PutItem %.0f req/s (ratio %.2f);"
                            + " the check alone %.0f req/s%n",
                    r.requests(),
                    r.intakePerSecond(),
                    r.putItemPerSecond(),
                    r.ratio(),
                    r.checkOnlyPerSecond());
            report.putPOJO("intake", r);
        }
        Files.writeString(out.resolve("queue.json"), JSON.writeValueAsString(report));
        System.out.println("\nwrote " + out.resolve("queue.json"));
    }
}
