package dev.batchlane.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.batchlane.aws.events.EventBridgeJobEvents;
import dev.batchlane.core.lane.JobEvents;
import dev.batchlane.core.provider.Usage;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;

/** The PutEvents call as EventBridge receives it, captured by a loopback endpoint. */
class EventBridgeJobEventsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private HttpServer server;
    private final Map<String, String> seen = new ConcurrentHashMap<>();
    private volatile String answer = "{\"FailedEntryCount\":0,\"Entries\":[{\"EventId\":\"e-1\"}]}";
    private volatile int status = 200;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(
                "/",
                ex -> {
                    seen.put("target", ex.getRequestHeaders().getFirst("X-Amz-Target"));
                    seen.put("authorization", ex.getRequestHeaders().getFirst("Authorization"));
                    seen.put("contentType", ex.getRequestHeaders().getFirst("Content-Type"));
                    seen.put(
                            "body",
                            new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                    byte[] out = answer.getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
                    ex.sendResponseHeaders(status, out.length);
                    try (OutputStream o = ex.getResponseBody()) {
                        o.write(out);
                    }
                });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    /**
     * The SDK's own EventBridge client, as the functions build it, pointed at the loopback
     * endpoint.
     */
    private EventBridgeJobEvents events() {
        EventBridgeClient client =
                EventBridgeClient.builder()
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .credentialsProvider(
                                StaticCredentialsProvider.create(
                                        AwsBasicCredentials.create("AKIDLOCAL", "secret")))
                        .region(Region.EU_WEST_1)
                        .endpointOverride(
                                URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
                        .build();
        return new EventBridgeJobEvents(client, "batchlane");
    }

    private static JobEvents.JobCompleted completed() {
        return new JobEvents.JobCompleted(
                "job-1",
                "openai",
                "gpt-4o-mini",
                "bucket",
                "results/job-1/manifest.json",
                10,
                8,
                1,
                1,
                0,
                0,
                new Usage(1000, 100, 200),
                new BigDecimal("0.0012"),
                new BigDecimal("0.0024"));
    }

    @Test
    void jobCompleted_putsOneSignedEventWithTheSummaryOnTheBus() throws Exception {
        events().jobCompleted(completed());

        assertThat(seen.get("target")).isEqualTo("AWSEvents.PutEvents");
        assertThat(seen.get("contentType")).isEqualTo("application/x-amz-json-1.1");
        assertThat(seen.get("authorization"))
                .startsWith("AWS4-HMAC-SHA256 Credential=AKIDLOCAL/")
                .contains("/eu-west-1/events/aws4_request");
        JsonNode entry = JSON.readTree(seen.get("body")).get("Entries").get(0);
        assertThat(entry.get("Source").asText()).isEqualTo("batchlane");
        assertThat(entry.get("DetailType").asText()).isEqualTo("Batchlane Job Completed");
        assertThat(entry.get("EventBusName").asText()).isEqualTo("batchlane");
        JsonNode detail = JSON.readTree(entry.get("Detail").asText());
        assertThat(detail.get("jobId").asText()).isEqualTo("job-1");
        assertThat(detail.get("manifest").asText())
                .isEqualTo("s3://bucket/results/job-1/manifest.json");
        assertThat(detail.at("/counts/succeeded").asLong()).isEqualTo(8);
        assertThat(detail.at("/cost/savingUsd").decimalValue()).isEqualByComparingTo("0.0012");
    }

    @Test
    void aRefusedEntry_isAnError_soTheInvocationIsRetried() {
        answer = "{\"FailedEntryCount\":1,\"Entries\":[{\"ErrorCode\":\"AccessDeniedException\"}]}";
        assertThatThrownBy(() -> events().jobCompleted(completed()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("job-1")
                .hasMessageContaining("AccessDeniedException");
    }

    @Test
    void aDeniedCall_isAnErrorNamingTheJobAndTheBus() {
        // What EventBridge answers a role without events:PutEvents on the bus.
        status = 400;
        answer =
                "{\"__type\":\"AccessDeniedException\",\"message\":\"User: arn:aws:sts::000000000000:assumed-role/"
                        + "batchlane-complete is not authorized to perform: events:PutEvents\"}";
        assertThatThrownBy(() -> events().jobCompleted(completed()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("job-1")
                .hasMessageContaining("bus batchlane")
                .hasMessageContaining("events:PutEvents");
    }
}
