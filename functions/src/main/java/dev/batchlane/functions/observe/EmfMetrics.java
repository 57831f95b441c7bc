package dev.batchlane.functions.observe;

import static dev.batchlane.core.lane.LaneNames.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneNames;
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
 * {@code Provider}, or, for the queue lane's, by {@code Queue} ({@code provider/name}).
 */
public final class EmfMetrics implements LaneMetrics {
    public static final String NAMESPACE = LaneNames.METRIC_NAMESPACE;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintStream out;
    private final Clock clock;

    public EmfMetrics(PrintStream out, Clock clock) {
        this.out = out;
        this.clock = clock;
    }

    @Override
    public void jobAccepted(String provider, long requests) {
        emit(provider, Map.of(METRIC_JOBS_ACCEPTED, count(1)));
    }

    @Override
    public void jobRejected(String provider) {
        emit(provider, Map.of(METRIC_JOBS_REJECTED, count(1)));
    }

    @Override
    public void requestsSubmitted(String provider, long requests) {
        emit(provider, Map.of(METRIC_REQUESTS_SUBMITTED, count(requests)));
    }

    @Override
    public void batchEnded(String provider, boolean failed, boolean expired) {
        emit(
                provider,
                Map.of(
                        METRIC_BATCHES_FAILED,
                        count(failed ? 1 : 0),
                        METRIC_BATCHES_EXPIRED,
                        count(expired ? 1 : 0)));
    }

    @Override
    public void requestsFinished(
            String provider, long succeeded, long failed, Usage usage, BigDecimal costUsd) {
        Map<String, Value> m = new LinkedHashMap<>();
        m.put(METRIC_REQUESTS_SUCCEEDED, count(succeeded));
        m.put(METRIC_REQUESTS_FAILED, count(failed));
        m.put(METRIC_INPUT_TOKENS, count(usage.inputTokens()));
        m.put(METRIC_OUTPUT_TOKENS, count(usage.outputTokens()));
        m.put(METRIC_COST_USD, new Value(costUsd, "None"));
        emit(provider, m);
    }

    @Override
    public void shardStuck(String provider) {
        emit(provider, Map.of(METRIC_STUCK_SHARDS, count(1)));
    }

    @Override
    public void ingestFailed() {
        emit(null, Map.of(METRIC_INGEST_FAILURES, count(1)));
    }

    @Override
    public void pollCycle(long durationMillis, long oldestInFlightSeconds) {
        emit(
                null,
                Map.of(
                        METRIC_POLL_CYCLES,
                        count(1),
                        METRIC_POLL_CYCLE_DURATION_MS,
                        new Value(durationMillis, "Milliseconds"),
                        METRIC_OLDEST_IN_FLIGHT_SHARD_AGE_SECONDS,
                        new Value(oldestInFlightSeconds, "Seconds")));
    }

    @Override
    public void requestEnqueued(String queue, boolean accepted, boolean duplicate) {
        Map<String, Value> m = new LinkedHashMap<>();
        m.put(METRIC_REQUESTS_ENQUEUED, count(accepted ? 1 : 0));
        m.put(METRIC_DUPLICATES_AT_ENQUEUE, count(duplicate ? 1 : 0));
        m.put(METRIC_REQUESTS_REFUSED_AT_ENQUEUE, count(accepted || duplicate ? 0 : 1));
        emit(METRIC_DIMENSION_QUEUE, queue, m);
    }

    @Override
    public void queueDepth(
            String queue, long requests, long oldestAgeSeconds, long waitPercentOfMax) {
        Map<String, Value> m = new LinkedHashMap<>();
        m.put(METRIC_QUEUE_DEPTH, count(requests));
        m.put(METRIC_QUEUE_OLDEST_AGE_SECONDS, new Value(oldestAgeSeconds, "Seconds"));
        m.put(METRIC_QUEUE_WAIT_PERCENT, new Value(waitPercentOfMax, "Percent"));
        emit(METRIC_DIMENSION_QUEUE, queue, m);
    }

    @Override
    public void queueFlushed(String queue, long requests, long bytes) {
        emit(
                METRIC_DIMENSION_QUEUE,
                queue,
                Map.of(
                        METRIC_QUEUE_FLUSHES,
                        count(1),
                        METRIC_QUEUE_FLUSH_REQUESTS,
                        count(requests)));
    }

    @Override
    public void answersSent(String queue, long answers) {
        emit(METRIC_DIMENSION_QUEUE, queue, Map.of(METRIC_ANSWERS_SENT, count(answers)));
    }

    private record Value(Number value, String unit) {}

    private static Value count(long n) {
        return new Value(n, "Count");
    }

    private void emit(String provider, Map<String, Value> metrics) {
        emit(METRIC_DIMENSION_PROVIDER, provider, metrics);
    }

    /**
     * One document: the metrics dimension-free and, when {@code value} is set, by {@code
     * dimension}.
     */
    private void emit(String dimension, String value, Map<String, Value> metrics) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode aws = root.putObject("_aws");
        aws.put("Timestamp", clock.millis());
        ObjectNode directive = aws.putArray("CloudWatchMetrics").addObject();
        directive.put("Namespace", NAMESPACE);
        ArrayNode dimensions = directive.putArray("Dimensions");
        dimensions.addArray();
        if (value != null) {
            dimensions.addArray().add(dimension);
            root.put(dimension, value);
        }
        ArrayNode defs = directive.putArray("Metrics");
        metrics.forEach(
                (name, v) -> {
                    defs.addObject().put("Name", name).put("Unit", v.unit());
                    root.putPOJO(name, v.value());
                });
        synchronized (out) {
            out.println(root);
        }
    }
}
