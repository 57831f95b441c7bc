package dev.batchlane.aws.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.lane.JobEvents;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResultEntry;

/**
 * Puts the {@code Batchlane Job Completed} event on an EventBridge bus with the SDK's EventBridge
 * client (PutEvents). The client is built by the caller — region, endpoint, credentials and HTTP
 * client are the deployment's business, not this adapter's.
 */
public final class EventBridgeJobEvents implements JobEvents {
    public static final String SOURCE = dev.batchlane.core.lane.LaneNames.EVENT_SOURCE;
    public static final String DETAIL_TYPE = dev.batchlane.core.lane.LaneNames.EVENT_JOB_COMPLETED;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EventBridgeClient events;
    private final String busName;

    public EventBridgeJobEvents(EventBridgeClient events, String busName) {
        this.events = events;
        this.busName = busName;
    }

    @Override
    public void jobCompleted(JobCompleted e) {
        PutEventsResponse response;
        try {
            response = events.putEvents(r -> r.entries(entry(e, busName)));
        } catch (SdkException ex) {
            // Thrown on, so that the stream invocation fails and is retried; the job names the
            // event lost.
            throw new IllegalStateException(
                    "job "
                            + e.jobId()
                            + ": EventBridge PutEvents to bus "
                            + busName
                            + " failed: "
                            + ex.getMessage(),
                    ex);
        }
        // PutEvents answers 200 even when it refuses an entry; the refusal is in the entry's error
        // code.
        Integer failed = response.failedEntryCount();
        if (failed != null && failed > 0) {
            PutEventsResultEntry first =
                    response.entries().isEmpty() ? null : response.entries().get(0);
            throw new IllegalStateException(
                    "job "
                            + e.jobId()
                            + ": EventBridge refused the completion event on bus "
                            + busName
                            + ": "
                            + (first == null
                                    ? "no reason given"
                                    : first.errorCode()
                                            + " "
                                            + (first.errorMessage() == null
                                                    ? ""
                                                    : first.errorMessage())));
        }
    }

    /** The PutEvents entry: the job's summary as detail (never request text). */
    static PutEventsRequestEntry entry(JobCompleted e, String busName) {
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
        cost.put(
                "savingUsd",
                e.batchUsd() == null || e.syncUsd() == null
                        ? null
                        : e.syncUsd().subtract(e.batchUsd()));
        return PutEventsRequestEntry.builder()
                .source(SOURCE)
                .detailType(DETAIL_TYPE)
                .detail(detail.toString())
                .eventBusName(busName)
                .build();
    }
}
