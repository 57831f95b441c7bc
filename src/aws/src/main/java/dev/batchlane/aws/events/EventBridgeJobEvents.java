package dev.batchlane.aws.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.lane.JobEvents;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;

/**
 * Puts the {@code Batchlane Job Completed} event on an EventBridge bus with the PutEvents API.
 * The SDK's EventBridge client is not on the registry this project builds from, so the call is
 * made with the SDK's own pieces — its SigV4 signer, credentials chain and HTTP client — on the
 * documented JSON protocol ({@code X-Amz-Target: AWSEvents.PutEvents}).
 */
public final class EventBridgeJobEvents implements JobEvents {
    public static final String SOURCE = dev.batchlane.core.lane.LaneNames.EVENT_SOURCE;
    public static final String DETAIL_TYPE = dev.batchlane.core.lane.LaneNames.EVENT_JOB_COMPLETED;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SdkHttpClient http;
    private final AwsCredentialsProvider credentials;
    private final String region;
    private final URI endpoint;
    private final String busName;

    public EventBridgeJobEvents(SdkHttpClient http, AwsCredentialsProvider credentials, String region, URI endpoint,
            String busName) {
        this.http = http;
        this.credentials = credentials;
        this.region = region;
        this.endpoint = endpoint != null ? endpoint : URI.create("https://events." + region + ".amazonaws.com");
        this.busName = busName;
    }

    @Override
    public void jobCompleted(JobCompleted e) {
        byte[] body = putEventsBody(e, busName);
        SdkHttpRequest request = SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(endpoint)
                .putHeader("Content-Type", "application/x-amz-json-1.1")
                .putHeader("X-Amz-Target", "AWSEvents.PutEvents")
                .putHeader("Content-Length", Integer.toString(body.length)).build();
        ContentStreamProvider payload = () -> new ByteArrayInputStream(body);
        SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r.identity(credentials.resolveCredentials())
                .request(request).payload(payload)
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "events")
                .putProperty(AwsV4HttpSigner.REGION_NAME, region));
        try {
            HttpExecuteResponse response = http.prepareRequest(HttpExecuteRequest.builder().request(signed.request())
                    .contentStreamProvider(signed.payload().orElse(payload)).build()).call();
            String answer = read(response.responseBody().orElse(null));
            if (!response.httpResponse().isSuccessful()) {
                throw new IllegalStateException("job " + e.jobId() + ": EventBridge PutEvents failed with HTTP "
                        + response.httpResponse().statusCode() + ": " + answer);
            }
            if (JSON.readTree(answer).path("FailedEntryCount").asInt(0) > 0) {
                throw new IllegalStateException("job " + e.jobId() + ": EventBridge refused the completion event: " + answer);
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("job " + e.jobId() + ": EventBridge PutEvents did not answer", ex);
        }
    }

    /** The PutEvents request: one entry whose detail is the job's summary (never request text). */
    static byte[] putEventsBody(JobCompleted e, String busName) {
        ObjectNode detail = JSON.createObjectNode();
        detail.put("jobId", e.jobId());
        detail.put("provider", e.provider());
        detail.put("model", e.model());
        detail.put("manifest", "s3://" + e.bucket() + "/" + e.manifestKey());
        ObjectNode counts = detail.putObject("counts");
        counts.put("requests", e.requests());
        counts.put("succeeded", e.succeeded());
        counts.put("failed", e.failed());
        counts.put("expired", e.expired());
        counts.put("cancelled", e.cancelled());
        counts.put("missing", e.missing());
        ObjectNode usage = detail.putObject("usage");
        usage.put("inputTokens", e.usage().inputTokens());
        usage.put("cachedInputTokens", e.usage().cachedInputTokens());
        usage.put("outputTokens", e.usage().outputTokens());
        ObjectNode cost = detail.putObject("cost");
        cost.put("batchUsd", e.batchUsd());
        cost.put("syncUsd", e.syncUsd());
        cost.put("savingUsd", e.batchUsd() == null || e.syncUsd() == null ? null : e.syncUsd().subtract(e.batchUsd()));
        ObjectNode root = JSON.createObjectNode();
        ObjectNode entry = root.putArray("Entries").addObject();
        entry.put("Source", SOURCE);
        entry.put("DetailType", DETAIL_TYPE);
        entry.put("Detail", detail.toString());
        entry.put("EventBusName", busName);
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String read(InputStream in) throws IOException {
        if (in == null) {
            return "";
        }
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
