package dev.batchlane.functions.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.provider.Usage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The lines CloudWatch must be able to read as embedded-metric-format documents. */
class EmfMetricsTest {
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final EmfMetrics metrics =
            new EmfMetrics(
                    new PrintStream(buffer, true, StandardCharsets.UTF_8),
                    Clock.fixed(Instant.parse("2026-11-20T18:00:00Z"), ZoneOffset.UTC));

    private JsonNode only() throws Exception {
        String[] lines = buffer.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(1);
        return new ObjectMapper().readTree(lines[0]);
    }

    @Test
    void requestsFinished_isOneDocument_dimensionFreeAndByProvider_withEveryValueDeclared()
            throws Exception {
        metrics.requestsFinished(
                "openai", 98, 2, new Usage(1000, 100, 300), new BigDecimal("0.0123"));

        JsonNode doc = only();
        JsonNode directive = doc.at("/_aws/CloudWatchMetrics/0");
        assertThat(doc.at("/_aws/Timestamp").asLong())
                .isEqualTo(Instant.parse("2026-11-20T18:00:00Z").toEpochMilli());
        assertThat(directive.get("Namespace").asText()).isEqualTo("Batchlane");
        assertThat(directive.get("Dimensions").toString()).isEqualTo("[[],[\"Provider\"]]");
        assertThat(doc.get("Provider").asText()).isEqualTo("openai");
        for (JsonNode def : directive.get("Metrics")) {
            assertThat(doc.has(def.get("Name").asText()))
                    .as("value for %s", def.get("Name"))
                    .isTrue();
        }
        assertThat(doc.get("RequestsSucceeded").asLong()).isEqualTo(98);
        assertThat(doc.get("RequestsFailed").asLong()).isEqualTo(2);
        assertThat(doc.get("InputTokens").asLong()).isEqualTo(1000);
        assertThat(doc.get("OutputTokens").asLong()).isEqualTo(300);
        assertThat(doc.get("CostUsd").decimalValue()).isEqualByComparingTo("0.0123");
    }

    @Test
    void pollCycle_feedsThePollerAndOldestShardAlarms() throws Exception {
        metrics.pollCycle(42, 3600);
        JsonNode doc = only();
        assertThat(doc.at("/_aws/CloudWatchMetrics/0/Dimensions").toString()).isEqualTo("[[]]");
        assertThat(doc.get("PollCycles").asLong()).isEqualTo(1);
        assertThat(doc.get("PollCycleDurationMs").asLong()).isEqualTo(42);
        assertThat(doc.get("OldestInFlightShardAgeSeconds").asLong()).isEqualTo(3600);
    }

    @Test
    void batchEnded_countsFailedAndExpiredSeparately() throws Exception {
        metrics.batchEnded("openai", false, true);
        JsonNode doc = only();
        assertThat(doc.get("BatchesFailed").asLong()).isZero();
        assertThat(doc.get("BatchesExpired").asLong()).isEqualTo(1);
    }

    @Test
    void queueDepth_isDimensionFreeAndByQueue_withTheWaitPercentTheAlarmReads() throws Exception {
        metrics.queueDepth("openai/tickets", 12, 7200, 200);
        JsonNode doc = only();
        assertThat(doc.at("/_aws/CloudWatchMetrics/0/Dimensions").toString())
                .isEqualTo("[[],[\"Queue\"]]");
        assertThat(doc.get("Queue").asText()).isEqualTo("openai/tickets");
        assertThat(doc.get("QueueDepth").asLong()).isEqualTo(12);
        assertThat(doc.get("QueueOldestRequestAgeSeconds").asLong()).isEqualTo(7200);
        assertThat(doc.get("QueueOldestWaitPercentOfMax").asLong()).isEqualTo(200);
    }

    @Test
    void requestEnqueued_countsKeptDuplicateAndRefusedApart() throws Exception {
        metrics.requestEnqueued("openai/tickets", false, false);
        JsonNode doc = only();
        assertThat(doc.get("RequestsEnqueued").asLong()).isZero();
        assertThat(doc.get("DuplicatesAtEnqueue").asLong()).isZero();
        assertThat(doc.get("RequestsRefusedAtEnqueue").asLong()).isEqualTo(1);
    }
}
