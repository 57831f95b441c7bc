package dev.batchlane.simulator.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.SplittableRandom;

/**
 * Builds the response body a real endpoint would have returned for one batch request line, with
 * deterministic usage so tests can predict it:
 *
 * <ul>
 *   <li>prompt tokens = ceil(characters of the text inputs / 4) + 3 per chat message or response
 *       input item (instructions count as one item);
 *   <li>completion tokens = min(max_completion_tokens | max_tokens | max_output_tokens, 16), or 16;
 *   <li>cached tokens = floor(prompt tokens × the configured cached fraction).
 * </ul>
 */
final class ResponseSynthesizer {
    static final String CHAT = "/v1/chat/completions";
    static final String COMPLETIONS = "/v1/completions";
    static final String EMBEDDINGS = "/v1/embeddings";
    static final String RESPONSES = "/v1/responses";
    static final String MODERATIONS = "/v1/moderations";
    static final String IMAGE_GENERATIONS = "/v1/images/generations";
    static final String IMAGE_EDITS = "/v1/images/edits";
    static final String VIDEOS = "/v1/videos";
    static final int NATURAL_COMPLETION_TOKENS = 16;
    private static final int DEFAULT_EMBEDDING_DIMENSIONS = 8;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** A synthesized body and the usage it reports. */
    record Result(ObjectNode body, KnownUsage usage) {}

    private ResponseSynthesizer() {}

    /**
     * The 400 a real endpoint would give this request body, or null when it would accept it. Only
     * the parameters every request of the endpoint needs are checked.
     */
    static FaultPlan.LineFailure check(String endpoint, JsonNode body) {
        if (!endpoint.equals(MODERATIONS) && !nonEmptyText(body.get("model"))) {
            return new FaultPlan.LineFailure(400, null, "you must provide a model parameter", null);
        }
        String required =
                switch (endpoint) {
                    case CHAT ->
                            body.path("messages").isArray() && !body.path("messages").isEmpty()
                                    ? null
                                    : "messages";
                    case EMBEDDINGS, MODERATIONS -> body.hasNonNull("input") ? null : "input";
                    case COMPLETIONS, IMAGE_GENERATIONS, IMAGE_EDITS, VIDEOS ->
                            body.hasNonNull("prompt") ? null : "prompt";
                    default -> null;
                };
        if (required != null) {
            return new FaultPlan.LineFailure(
                    400,
                    "missing_required_parameter",
                    "Missing required parameter: '" + required + "'.",
                    required);
        }
        return null;
    }

    static Result respond(
            String endpoint, String customId, JsonNode body, long created, double cachedFraction) {
        String model =
                body.path("model")
                        .asText(endpoint.equals(MODERATIONS) ? "omni-moderation-latest" : "");
        long prompt = promptTokens(endpoint, body);
        long cached = (long) Math.floor(prompt * cachedFraction);
        Integer cap = firstInt(body, "max_completion_tokens", "max_tokens", "max_output_tokens");
        long completion =
                cap == null
                        ? NATURAL_COMPLETION_TOKENS
                        : Math.max(1, Math.min(cap, NATURAL_COMPLETION_TOKENS));
        boolean truncated = cap != null && cap < NATURAL_COMPLETION_TOKENS;
        String text = "Simulated reply to " + customId + ".";
        return switch (endpoint) {
            case CHAT ->
                    new Result(
                            chatCompletion(
                                    model, created, text, truncated, prompt, cached, completion),
                            new KnownUsage(prompt, cached, completion));
            case COMPLETIONS ->
                    new Result(
                            textCompletion(model, created, text, truncated, prompt, completion),
                            new KnownUsage(prompt, 0, completion));
            case RESPONSES ->
                    new Result(
                            response(model, created, text, truncated, prompt, cached, completion),
                            new KnownUsage(prompt, cached, completion));
            case EMBEDDINGS ->
                    new Result(embeddings(model, body, prompt), new KnownUsage(prompt, 0, 0));
            case MODERATIONS -> new Result(moderation(model, body), KnownUsage.ZERO);
            case IMAGE_GENERATIONS, IMAGE_EDITS ->
                    new Result(
                            image(created, prompt, completion),
                            new KnownUsage(prompt, 0, completion));
            case VIDEOS -> new Result(video(model, created), KnownUsage.ZERO);
            default ->
                    throw new IllegalStateException(
                            "endpoint accepted at creation but not simulated: " + endpoint);
        };
    }

    static long promptTokens(String endpoint, JsonNode body) {
        TextCount count = new TextCount();
        switch (endpoint) {
            case CHAT ->
                    body.path("messages")
                            .forEach(
                                    message -> {
                                        count.units++;
                                        count.add(message.get("content"));
                                    });
            case RESPONSES -> {
                if (body.hasNonNull("instructions")) {
                    count.units++;
                    count.add(body.get("instructions"));
                }
                JsonNode input = body.get("input");
                if (input != null && input.isArray()) {
                    input.forEach(
                            item -> {
                                count.units++;
                                count.add(item.isTextual() ? item : item.get("content"));
                            });
                } else if (input != null && !input.isNull()) {
                    count.units++;
                    count.add(input);
                }
            }
            case EMBEDDINGS, MODERATIONS -> count.add(body.get("input"));
            default -> count.add(body.get("prompt"));
        }
        return (count.chars + 3) / 4 + 3L * count.units;
    }

    private static ObjectNode chatCompletion(
            String model,
            long created,
            String text,
            boolean truncated,
            long prompt,
            long cached,
            long completion) {
        ObjectNode body = NODES.objectNode();
        body.put("id", Ids.withPrefix("chatcmpl-"));
        body.put("object", "chat.completion");
        body.put("created", created);
        body.put("model", model);
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", text);
        message.putNull("refusal");
        message.putArray("annotations");
        choice.putNull("logprobs");
        choice.put("finish_reason", truncated ? "length" : "stop");
        ObjectNode usage = body.putObject("usage");
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", prompt + completion);
        usage.putObject("prompt_tokens_details")
                .put("cached_tokens", cached)
                .put("audio_tokens", 0);
        usage.putObject("completion_tokens_details")
                .put("reasoning_tokens", 0)
                .put("audio_tokens", 0)
                .put("accepted_prediction_tokens", 0)
                .put("rejected_prediction_tokens", 0);
        body.put("service_tier", "default");
        body.putNull("system_fingerprint");
        return body;
    }

    private static ObjectNode textCompletion(
            String model,
            long created,
            String text,
            boolean truncated,
            long prompt,
            long completion) {
        ObjectNode body = NODES.objectNode();
        body.put("id", Ids.withPrefix("cmpl-"));
        body.put("object", "text_completion");
        body.put("created", created);
        body.put("model", model);
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("text", text);
        choice.put("index", 0);
        choice.putNull("logprobs");
        choice.put("finish_reason", truncated ? "length" : "stop");
        ObjectNode usage = body.putObject("usage");
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", prompt + completion);
        return body;
    }

    private static ObjectNode response(
            String model,
            long created,
            String text,
            boolean truncated,
            long prompt,
            long cached,
            long completion) {
        ObjectNode body = NODES.objectNode();
        body.put("id", Ids.withPrefix("resp_"));
        body.put("object", "response");
        body.put("created_at", created);
        body.put("status", truncated ? "incomplete" : "completed");
        body.putNull("error");
        if (truncated) {
            body.putObject("incomplete_details").put("reason", "max_output_tokens");
        } else {
            body.putNull("incomplete_details");
        }
        body.put("model", model);
        ObjectNode message = body.putArray("output").addObject();
        message.put("type", "message");
        message.put("id", Ids.withPrefix("msg_"));
        message.put("status", truncated ? "incomplete" : "completed");
        message.put("role", "assistant");
        ObjectNode part = message.putArray("content").addObject();
        part.put("type", "output_text");
        part.put("text", text);
        part.putArray("annotations");
        ObjectNode usage = body.putObject("usage");
        usage.put("input_tokens", prompt);
        usage.putObject("input_tokens_details").put("cached_tokens", cached);
        usage.put("output_tokens", completion);
        usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
        usage.put("total_tokens", prompt + completion);
        return body;
    }

    private static ObjectNode embeddings(String model, JsonNode request, long prompt) {
        int dimensions =
                request.path("dimensions").canConvertToInt()
                        ? Math.max(1, Math.min(request.path("dimensions").asInt(), 4096))
                        : DEFAULT_EMBEDDING_DIMENSIONS;
        JsonNode input = request.get("input");
        // A flat array of numbers is one pre-tokenised input, an array of strings or arrays is
        // many.
        boolean many = input.isArray() && !input.isEmpty() && !input.get(0).isNumber();
        ArrayNode data = NODES.arrayNode();
        int count = many ? input.size() : 1;
        for (int i = 0; i < count; i++) {
            JsonNode item = many ? input.get(i) : input;
            SplittableRandom random = new SplittableRandom(item.toString().hashCode());
            ObjectNode embedding = data.addObject();
            embedding.put("object", "embedding");
            embedding.put("index", i);
            ArrayNode vector = embedding.putArray("embedding");
            for (int d = 0; d < dimensions; d++) {
                vector.add((float) (random.nextDouble() * 2 - 1));
            }
        }
        ObjectNode body = NODES.objectNode();
        body.put("object", "list");
        body.set("data", data);
        body.put("model", model);
        body.putObject("usage").put("prompt_tokens", prompt).put("total_tokens", prompt);
        return body;
    }

    private static ObjectNode moderation(String model, JsonNode request) {
        JsonNode input = request.get("input");
        int count = input.isArray() ? Math.max(1, input.size()) : 1;
        ObjectNode body = NODES.objectNode();
        body.put("id", Ids.withPrefix("modr-"));
        body.put("model", model);
        ArrayNode results = body.putArray("results");
        for (int i = 0; i < count; i++) {
            ObjectNode result = results.addObject();
            result.put("flagged", false);
            result.putObject("categories");
            result.putObject("category_scores");
        }
        return body;
    }

    private static ObjectNode image(long created, long prompt, long completion) {
        ObjectNode body = NODES.objectNode();
        body.put("created", created);
        // A 1x1 transparent PNG: small, valid, and obviously not a real result.
        body.putArray("data")
                .addObject()
                .put(
                        "b64_json",
                        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=");
        ObjectNode usage = body.putObject("usage");
        usage.put("input_tokens", prompt);
        usage.putObject("input_tokens_details").put("text_tokens", prompt).put("image_tokens", 0);
        usage.put("output_tokens", completion);
        usage.put("total_tokens", prompt + completion);
        return body;
    }

    private static ObjectNode video(String model, long created) {
        ObjectNode body = NODES.objectNode();
        body.put("id", Ids.withPrefix("video_"));
        body.put("object", "video");
        body.put("model", model);
        body.put("status", "completed");
        body.put("progress", 100);
        body.put("created_at", created);
        body.put("completed_at", created);
        return body;
    }

    private static Integer firstInt(JsonNode body, String... names) {
        for (String name : names) {
            JsonNode value = body.get(name);
            if (value != null && value.canConvertToInt()) {
                return value.asInt();
            }
        }
        return null;
    }

    private static boolean nonEmptyText(JsonNode node) {
        return node != null && node.isTextual() && !node.asText().isEmpty();
    }

    /** Characters of text found in a content value, and how many messages/items carried it. */
    private static final class TextCount {
        long chars;
        long units;

        void add(JsonNode content) {
            if (content == null || content.isNull()) {
                return;
            }
            if (content.isTextual()) {
                chars += content.asText().length();
            } else if (content.isNumber()) {
                chars += 4; // a pre-tokenised token id
            } else if (content.isArray()) {
                content.forEach(this::add);
            } else if (content.isObject() && content.hasNonNull("text")) {
                add(content.get("text"));
            }
        }
    }
}
