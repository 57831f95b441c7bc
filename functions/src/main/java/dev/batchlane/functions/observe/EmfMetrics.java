package dev.batchlane.functions.observe;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.provider.Usage;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Publishes the lane's metrics in CloudWatch's embedded metric format: one JSON line on standard
 * output per event, which Lambda ships to CloudWatch Logs and CloudWatch turns into metrics — no
 * PutMetricData call, no IAM. Each metric is recorded dimension-free (what the alarms read) and by
 * {@code Provider}.
 */
public final class EmfMetrics implements LaneMetrics {
    public static final String NAMESPACE = "Batchlane";
    /** Counted each time poll finds a shard stuck; the deployment's StuckShards alarm reads it. */
    public static final String STUCK_SHARDS = "StuckShards";
    /** Counted for each failed ingest attempt; the deployment's IngestFailures alarm reads it. */
    public static final String INGEST_FAILURES = "IngestFailures";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintStream out;
    private final Clock clock;

    public EmfMetrics(PrintStream out, Clock clock) {
        this.out = out;
        this.clock = clock;
    }

    @Override
    public void jobAccepted(String provider, long requests) {
        emit(provider, Map.of("JobsAccepted", count(1)));
    }

    @Override
    public void jobRejected(String provider) {
        emit(provider, Map.of("JobsRejected", count(1)));
    }

    @Override
    public void requestsSubmitted(String provider, long requests) {
        emit(provider, Map.of("RequestsSubmitted", count(requests)));
    }

    @Override
    public void batchEnded(String provider, boolean failed, boolean expired) {
        emit(provider, Map.of("BatchesFailed", count(failed ? 1 : 0), "BatchesExpired", count(expired ? 1 : 0)));
    }

    @Override
    public void requestsFinished(String provider, long succeeded, long failed, Usage usage, BigDecimal costUsd) {
        Map<String, Value> m = new LinkedHashMap<>();
        m.put("RequestsSucceeded", count(succeeded));
        m.put("RequestsFailed", count(failed));
        m.put("InputTokens", count(usage.inputTokens()));
        m.put("OutputTokens", count(usage.outputTokens()));
        m.put("CostUsd", new Value(costUsd, "None"));
        emit(provider, m);
    }

    @Override
    public void shardStuck(String provider) {
        emit(provider, Map.of(STUCK_SHARDS, count(1)));
    }

    @Override
    public void ingestFailed() {
        emit(null, Map.of(INGEST_FAILURES, count(1)));
    }

    @Override
    public void pollCycle(long durationMillis, long oldestInFlightSeconds) {
        emit(null, Map.of("PollCycles", count(1), "PollCycleDurationMs", new Value(durationMillis, "Milliseconds"),
                "OldestInFlightShardAgeSeconds", new Value(oldestInFlightSeconds, "Seconds")));
    }

    private record Value(Number value, String unit) {}

    private static Value count(long n) {
        return new Value(n, "Count");
    }

    private void emit(String provider, Map<String, Value> metrics) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode aws = root.putObject("_aws");
        aws.put("Timestamp", clock.millis());
        ObjectNode directive = aws.putArray("CloudWatchMetrics").addObject();
        directive.put("Namespace", NAMESPACE);
        ArrayNode dimensions = directive.putArray("Dimensions");
        dimensions.addArray();
        if (provider != null) {
            dimensions.addArray().add("Provider");
            root.put("Provider", provider);
        }
        ArrayNode defs = directive.putArray("Metrics");
        metrics.forEach((name, v) -> {
            defs.addObject().put("Name", name).put("Unit", v.unit());
            root.putPOJO(name, v.value());
        });
        synchronized (out) {
            out.println(root);
        }
    }
}
