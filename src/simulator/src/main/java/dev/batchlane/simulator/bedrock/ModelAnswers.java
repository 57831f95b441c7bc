package dev.batchlane.simulator.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a model answers, in the two documented bodies: Anthropic's Messages response for native
 * InvokeModel bodies of Claude models, and the Converse response. Token counts are derived from the
 * request (one per four characters, at least one), so they are stable and add up in the manifest. A
 * body the model would refuse is described by the {@code *Problem} methods, worded as Bedrock's
 * ValidationException.
 */
final class ModelAnswers {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelAnswers() {}

    static String nativeProblem(String model, JsonNode body) {
        if (body == null || !body.isObject()) {
            return "Malformed input request: the body must be a JSON object";
        }
        if (!model.contains("anthropic.")) {
            return null;
        }
        if (!body.path("anthropic_version").isTextual()) {
            return "Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again.";
        }
        if (!body.path("max_tokens").isIntegralNumber() || body.path("max_tokens").asLong() < 1) {
            return "Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again.";
        }
        if (!body.path("messages").isArray() || body.path("messages").isEmpty()) {
            return "Malformed input request: #: required key [messages] not found, please reformat your input and try again.";
        }
        if (body.has("model")) {
            return "Malformed input request: #: extraneous key [model] is not permitted, please reformat your input and try again.";
        }
        return null;
    }

    static String converseProblem(JsonNode body) {
        if (body == null
                || !body.isObject()
                || !body.path("messages").isArray()
                || body.path("messages").isEmpty()) {
            return "A conversation must start with a user message. Try again with a conversation that starts with a user message.";
        }
        if (!body.path("messages").get(0).path("role").asText().equals("user")) {
            return "A conversation must start with a user message. Try again with a conversation that starts with a user message.";
        }
        if (body.has("toolConfig")) {
            return "Batch inference does not support tool use with the Converse invocation type.";
        }
        return null;
    }

    static ObjectNode nativeBody(String model, JsonNode body) {
        long in = tokens(body);
        long out = Math.min(body.path("max_tokens").asLong(16), 12);
        ObjectNode n = JSON.createObjectNode();
        n.put("id", "msg_bdrk_" + Integer.toHexString(body.hashCode()));
        n.put("type", "message");
        n.put("role", "assistant");
        n.put("model", model.replaceFirst("^.*anthropic\\.", "").replaceFirst("-v\\d+:\\d+$", ""));
        n.putArray("content").addObject().put("type", "text").put("text", "simulated answer");
        n.put("stop_reason", "end_turn");
        n.putNull("stop_sequence");
        ObjectNode usage = n.putObject("usage");
        usage.put("input_tokens", in);
        usage.put("output_tokens", out);
        return n;
    }

    static ObjectNode converse(JsonNode body) {
        long in = tokens(body);
        long out = Math.min(body.path("inferenceConfig").path("maxTokens").asLong(16), 12);
        ObjectNode n = JSON.createObjectNode();
        ObjectNode message = n.putObject("output").putObject("message");
        message.put("role", "assistant");
        message.putArray("content").addObject().put("text", "simulated answer");
        n.put("stopReason", "end_turn");
        ObjectNode usage = n.putObject("usage");
        usage.put("inputTokens", in);
        usage.put("outputTokens", out);
        usage.put("totalTokens", in + out);
        n.putObject("metrics").put("latencyMs", 120);
        return n;
    }

    private static long tokens(JsonNode body) {
        return Math.max(1, body.toString().length() / 4);
    }
}
