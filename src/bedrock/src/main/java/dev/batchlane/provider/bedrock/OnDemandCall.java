package dev.batchlane.provider.bedrock;

import static dev.batchlane.core.provider.KeyRedaction.redactKeys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.bedrockruntime.model.ContentBlock;
import software.amazon.awssdk.services.bedrockruntime.model.ConversationRole;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseRequest;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseResponse;
import software.amazon.awssdk.services.bedrockruntime.model.InferenceConfiguration;
import software.amazon.awssdk.services.bedrockruntime.model.InvokeModelResponse;
import software.amazon.awssdk.services.bedrockruntime.model.Message;
import software.amazon.awssdk.services.bedrockruntime.model.SystemContentBlock;

/**
 * One record's call to bedrock-runtime (InvokeModel or Converse) and what its outcome means: a line
 * to keep (the model's output, a final error, or {@value OnDemandRun#OUTCOME_UNKNOWN} when the call
 * may have run and its answer is lost), or the record taken back because the call never reached the
 * model. The caller has claimed the record before; it writes the line or releases the claim.
 * Bedrock's and the SDK's text is kept with its key-shaped words redacted: the line goes on into
 * the results, and the reason of a record taken back into the log.
 */
final class OnDemandCall {
    /** How one call ended for its record. */
    sealed interface Verdict permits Kept, TakenBack {}

    /** The record's line, in the batch output format: written once and never invoked again. */
    record Kept(ObjectNode line) implements Verdict {}

    /**
     * Refused before the model ran, so nothing was billed and a later poll may invoke the record;
     * {@code detail} says why, for the log.
     */
    record TakenBack(Refusal refusal, String detail) implements Verdict {}

    enum Refusal {
        /** Bedrock throttled the call (throttling, 429). */
        THROTTLED,
        /** The request never left: the connection was refused or the host unknown. */
        NOT_SENT
    }

    private final BedrockRuntimeClient runtime;

    OnDemandCall(BedrockRuntimeClient runtime) {
        this.runtime = runtime;
    }

    /** Invokes {@code record} (line {@code index + 1} of {@code inputKey}) once. */
    Verdict call(InvocationType type, String model, JsonNode record, int index, String inputKey) {
        ObjectNode line = BedrockProvider.JSON.createObjectNode();
        line.set("recordId", record.get("recordId"));
        line.set("modelInput", record.get("modelInput"));
        try {
            JsonNode output =
                    type == InvocationType.CONVERSE
                            ? converse(model, record.path("modelInput"))
                            : invoke(model, record.path("modelInput"));
            line.set("modelOutput", output);
        } catch (AwsServiceException e) {
            if (e.isThrottlingException() || e.statusCode() == 429) {
                return new TakenBack(Refusal.THROTTLED, redactKeys(String.valueOf(e.getMessage())));
            }
            String message =
                    redactKeys(
                            e.awsErrorDetails() == null
                                    ? String.valueOf(e.getMessage())
                                    : String.valueOf(e.awsErrorDetails().errorMessage()));
            if (e.statusCode() >= 500 || e.statusCode() == 408) {
                line =
                        unknown(
                                record,
                                index,
                                inputKey,
                                model,
                                "the call failed with " + e.statusCode() + ": " + message);
            } else {
                ObjectNode error = line.putObject("error");
                error.put("errorCode", e.statusCode());
                error.put("errorMessage", message);
            }
        } catch (SdkException e) {
            if (notSent(e)) {
                return new TakenBack(Refusal.NOT_SENT, redactKeys(e.getMessage()));
            }
            line =
                    unknown(
                            record,
                            index,
                            inputKey,
                            model,
                            redactKeys(String.valueOf(e.getMessage())));
        } catch (IllegalArgumentException e) {
            // Refused here, before any call: final, as Bedrock's validation would be.
            ObjectNode error = line.putObject("error");
            error.put("errorCode", 400);
            error.put("errorMessage", String.valueOf(e.getMessage()));
        }
        line.put("onDemand", true);
        return new Kept(line);
    }

    /** A final failure line for a record whose call left and whose answer is lost. */
    static ObjectNode unknown(
            JsonNode record, int index, String inputKey, String model, String why) {
        ObjectNode line = BedrockProvider.JSON.createObjectNode();
        line.set("recordId", record.get("recordId"));
        line.set("modelInput", record.get("modelInput"));
        ObjectNode error = line.putObject("error");
        error.put("errorCode", OnDemandRun.OUTCOME_UNKNOWN);
        error.put(
                "errorMessage",
                OnDemandRun.OUTCOME_UNKNOWN
                        + ": record "
                        + record.path("recordId").asText("(no recordId)")
                        + " (line "
                        + (index + 1)
                        + " of "
                        + inputKey
                        + ") was sent to "
                        + model
                        + " and its answer was lost ("
                        + why
                        + "); it may have run and been billed, so it is not invoked again");
        line.put("onDemand", true);
        return line;
    }

    /**
     * Whether a client-side failure happened before the request left: only a refused connection
     * says so; a timeout or a broken connection may follow a call that ran.
     */
    private static boolean notSent(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException
                    || t instanceof java.net.UnknownHostException) {
                return true;
            }
        }
        return false;
    }

    private JsonNode invoke(String model, JsonNode body) {
        InvokeModelResponse r =
                runtime.invokeModel(
                        i ->
                                i.modelId(model)
                                        .contentType("application/json")
                                        .accept("application/json")
                                        .body(SdkBytes.fromUtf8String(body.toString())));
        return OnDemandFolder.readTree(r.body().asUtf8String());
    }

    /**
     * The SDK's Converse call takes typed messages: text content, system text and the common
     * inference settings are carried over; a record with other content blocks fails with a 400
     * saying so, where a batch job would have run it.
     */
    private JsonNode converse(String model, JsonNode input) {
        ConverseRequest.Builder b = ConverseRequest.builder().modelId(model);
        List<Message> messages = new ArrayList<>();
        for (JsonNode m : input.path("messages")) {
            List<ContentBlock> blocks = new ArrayList<>();
            for (JsonNode c : m.path("content")) {
                if (!c.path("text").isTextual() || c.size() != 1) {
                    throw new IllegalArgumentException(
                            "on demand, Converse records may hold only text content blocks");
                }
                blocks.add(ContentBlock.fromText(c.get("text").asText()));
            }
            messages.add(
                    Message.builder()
                            .role(ConversationRole.fromValue(m.path("role").asText()))
                            .content(blocks)
                            .build());
        }
        b.messages(messages);
        List<SystemContentBlock> system = new ArrayList<>();
        for (JsonNode s : input.path("system")) {
            if (s.path("text").isTextual()) {
                system.add(SystemContentBlock.fromText(s.get("text").asText()));
            }
        }
        if (!system.isEmpty()) {
            b.system(system);
        }
        JsonNode ic = input.path("inferenceConfig");
        if (ic.isObject()) {
            InferenceConfiguration.Builder c = InferenceConfiguration.builder();
            if (ic.has("maxTokens")) {
                c.maxTokens(ic.get("maxTokens").asInt());
            }
            if (ic.has("temperature")) {
                c.temperature((float) ic.get("temperature").asDouble());
            }
            if (ic.has("topP")) {
                c.topP((float) ic.get("topP").asDouble());
            }
            List<String> stops = new ArrayList<>();
            ic.path("stopSequences").forEach(s -> stops.add(s.asText()));
            if (!stops.isEmpty()) {
                c.stopSequences(stops);
            }
            b.inferenceConfig(c.build());
        }
        ConverseResponse r = runtime.converse(b.build());
        ObjectNode out = BedrockProvider.JSON.createObjectNode();
        ObjectNode message = out.putObject("output").putObject("message");
        message.put("role", r.output().message().roleAsString());
        ArrayNode content = message.putArray("content");
        for (ContentBlock c : r.output().message().content()) {
            if (c.text() != null) {
                content.addObject().put("text", c.text());
            }
        }
        out.put("stopReason", r.stopReasonAsString());
        ObjectNode usage = out.putObject("usage");
        usage.put("inputTokens", r.usage().inputTokens());
        usage.put("outputTokens", r.usage().outputTokens());
        usage.put("totalTokens", r.usage().totalTokens());
        if (r.metrics() != null) {
            out.putObject("metrics").put("latencyMs", r.metrics().latencyMs());
        }
        return out;
    }
}
