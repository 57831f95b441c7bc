package dev.batchlane.local.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * EventBridge PutEvents, played by the local stack: each entry is authorized on its bus's ARN with
 * {@code events:source} and {@code events:detail-type} from the entry (IAM evaluates every entry),
 * and the accepted entries are kept for whoever wants to see what was sent.
 */
public final class EventBridgeRules implements ServiceRules {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String region;
    private final String account;
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();

    public EventBridgeRules(String region, String account) {
        this.region = region;
        this.account = account;
    }

    @Override
    public String signingName() {
        return "events";
    }

    @Override
    public List<AccessRequest> authorizations(Call call) {
        if (!"PutEvents".equals(call.targetOperation())) {
            return List.of();
        }
        try {
            List<AccessRequest> out = new ArrayList<>();
            for (JsonNode e : JSON.readTree(call.body()).path("Entries")) {
                String bus = e.path("EventBusName").asText("default");
                String arn =
                        bus.startsWith("arn:")
                                ? bus
                                : "arn:aws:events:" + region + ":" + account + ":event-bus/" + bus;
                out.add(
                        AccessRequest.of("events:PutEvents", arn)
                                .with("events:source", e.path("Source").asText())
                                .with("events:detail-type", e.path("DetailType").asText()));
            }
            return out;
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public Optional<Answer> serve(Call call) {
        try {
            var answer = JSON.createObjectNode().put("FailedEntryCount", 0);
            var entries = answer.putArray("Entries");
            for (JsonNode e : JSON.readTree(call.body()).path("Entries")) {
                received.add(e);
                entries.addObject().put("EventId", java.util.UUID.randomUUID().toString());
            }
            return Optional.of(
                    Answer.json(200, "application/x-amz-json-1.1", null, answer.toString()));
        } catch (IOException e) {
            return Optional.of(
                    Answer.json(
                            400,
                            "application/x-amz-json-1.1",
                            "ValidationException",
                            "{\"__type\":\"ValidationException\",\"message\":\"unreadable request\"}"));
        }
    }

    /** The entries put so far, as sent. */
    public List<JsonNode> received() {
        return List.copyOf(received);
    }

    @Override
    public Answer denied(Call call, String message) {
        return Answer.json(
                400,
                "application/x-amz-json-1.1",
                "AccessDeniedException",
                "{\"__type\":\"AccessDeniedException\",\"message\":"
                        + ServiceRules.quote(message)
                        + "}");
    }
}
