package dev.batchlane.provider.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Usage;
import java.io.IOException;

/**
 * Turns one line of a batch output or error file, {@code {"id", "custom_id", "response":
 * {"status_code", "request_id", "body"} | null, "error": {"code", "message"} | null}}
 * (PROVIDERS.md §1.4), into the core's {@link LineResult}.
 */
final class ResultLines {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What a line with neither a response nor an error becomes, so the request is not silently lost. */
    private static final String NO_RESULT = "{\"code\":\"no_result\",\"message\":\"the provider's result line "
            + "had neither a response nor an error\"}";

    /** A line that is not a result line at all; it carries no text of the line, only why. */
    static final class MalformedLineException extends Exception {
        MalformedLineException(String reason, Throwable cause) {
            super(reason, cause, false, false);
        }
    }

    private ResultLines() {
    }

    static LineResult parse(String line) throws MalformedLineException {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new MalformedLineException("not valid JSON", e);
        }
        if (node == null || !node.isObject()) {
            throw new MalformedLineException("not a JSON object", null);
        }
        JsonNode id = node.get("custom_id");
        if (id == null || !id.isTextual() || id.asText().isEmpty()) {
            throw new MalformedLineException("no custom_id", null);
        }
        String customId = id.asText();
        JsonNode response = node.get("response");
        JsonNode error = node.get("error");
        if (response != null && response.isObject()) {
            JsonNode status = response.get("status_code");
            Integer statusCode = status != null && status.isIntegralNumber() && status.canConvertToInt()
                    ? status.intValue() : null;
            JsonNode body = response.get("body");
            Usage usage = body == null ? null : usage(body.get("usage"));
            if (statusCode != null && statusCode >= 200 && statusCode < 300) {
                return new LineResult(customId, Outcome.SUCCEEDED, statusCode,
                        body == null ? null : raw(line, body, "response", "body"), null, usage);
            }
            String errorJson;
            JsonNode bodyError = body == null ? null : body.get("error");
            if (bodyError != null && !bodyError.isNull()) {
                errorJson = raw(line, bodyError, "response", "body", "error");
            } else if (body != null && !body.isNull()) {
                errorJson = raw(line, body, "response", "body");
            } else if (error != null && !error.isNull()) {
                errorJson = raw(line, error, "error");
            } else {
                errorJson = NO_RESULT;
            }
            return new LineResult(customId, Outcome.FAILED, statusCode, null, errorJson, usage);
        }
        if (error != null && !error.isNull()) {
            return new LineResult(customId, outcomeOf(error.path("code").asText("")), null, null,
                    raw(line, error, "error"), null);
        }
        return new LineResult(customId, Outcome.FAILED, null, null, NO_RESULT, null);
    }

    /** A request OpenAI never ran is told apart from one that ran and failed by the error's code. */
    private static Outcome outcomeOf(String code) {
        return switch (code) {
            case "batch_expired" -> Outcome.EXPIRED;
            case "batch_cancelled" -> Outcome.CANCELLED;
            default -> Outcome.FAILED;
        };
    }

    /**
     * Tokens from a response body's {@code usage}: Responses and Images report
     * {@code input_tokens}/{@code output_tokens}, Chat Completions, Completions and Embeddings
     * {@code prompt_tokens}/{@code completion_tokens} (Embeddings without the latter).
     */
    static Usage usage(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return null;
        }
        if (usage.has("input_tokens") || usage.has("output_tokens")) {
            return new Usage(usage.path("input_tokens").asLong(0),
                    usage.path("input_tokens_details").path("cached_tokens").asLong(0),
                    usage.path("output_tokens").asLong(0));
        }
        if (usage.has("prompt_tokens") || usage.has("completion_tokens")) {
            return new Usage(usage.path("prompt_tokens").asLong(0),
                    usage.path("prompt_tokens_details").path("cached_tokens").asLong(0),
                    usage.path("completion_tokens").asLong(0));
        }
        return null;
    }

    /**
     * The JSON text of the value at {@code path}, cut out of the line exactly as the provider wrote
     * it: re-serialising the tree could change how numbers are written (an embedding's floats, say),
     * and the results promise the provider's response unaltered. Scalars, which carry no such risk,
     * come from {@code fallback}.
     */
    static String raw(String line, JsonNode fallback, String... path) {
        try (JsonParser parser = JSON.getFactory().createParser(line)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return fallback.toString();
            }
            for (int depth = 0; depth < path.length; depth++) {
                JsonToken value = seekField(parser, path[depth]);
                if (value == null) {
                    return fallback.toString();
                }
                boolean last = depth == path.length - 1;
                if (last && (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY)) {
                    long start = parser.currentTokenLocation().getCharOffset();
                    parser.skipChildren();
                    long end = parser.currentLocation().getCharOffset();
                    if (start < 0 || end > line.length() || start >= end) {
                        return fallback.toString();
                    }
                    return line.substring((int) start, (int) end);
                }
                if (last || value != JsonToken.START_OBJECT) {
                    return fallback.toString();
                }
            }
            return fallback.toString();
        } catch (IOException e) {
            return fallback.toString();
        }
    }

    /** Moves to the value of field {@code name} of the object the parser is in; null if it has none. */
    private static JsonToken seekField(JsonParser parser, String name) throws IOException {
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            if (field.equals(name)) {
                return value;
            }
            parser.skipChildren();
        }
        return null;
    }
}
