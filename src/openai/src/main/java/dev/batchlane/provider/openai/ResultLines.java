package dev.batchlane.provider.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.provider.FailureKind;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Usage;
import java.io.IOException;

/**
 * Turns one line of a batch output or error file, {@code {"id", "custom_id", "response":
 * {"status_code", "request_id", "body"} | null, "error": {"code", "message"} | null}}
 * (docs/providers.md), into the core's {@link LineResult}.
 */
final class ResultLines {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What a line with neither a response nor an error becomes, so the request is not silently
     * lost.
     */
    private static final Raw NO_RESULT =
            new Raw(
                    "{\"code\":\"no_result\",\"message\":\"the provider's result line "
                            + "had neither a response nor an error\"}",
                    "no_result");

    /** A line that is not a result line at all; it carries no text of the line, only why. */
    static final class MalformedLineException extends Exception {
        MalformedLineException(String reason, Throwable cause) {
            super(reason, cause, false, false);
        }
    }

    private ResultLines() {}

    /** The line as a result, or null when it is not one (the HTTP layer then skips it). */
    static LineResult parseOrNull(String line) {
        try {
            return parse(line);
        } catch (MalformedLineException e) {
            return null;
        }
    }

    /**
     * One streaming pass over the line: the fields the lane reads are picked out, the response body
     * and the error are cut out of the line as the provider wrote them, and everything else is
     * skipped without building a tree (a tree of every answer made this the slowest step of a
     * join).
     */
    static LineResult parse(String line) throws MalformedLineException {
        Fields f = new Fields();
        try (JsonParser p = JSON.getFactory().createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new MalformedLineException("not a JSON object", null);
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "custom_id" ->
                            f.customId = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "response" -> {
                        f.response = value == JsonToken.START_OBJECT;
                        f.statusCode = null;
                        f.body = null;
                        f.bodyError = null;
                        f.usage = null;
                        f.model = null;
                        if (f.response) {
                            response(p, line, f);
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "error" ->
                            f.error = value == JsonToken.VALUE_NULL ? null : rawValue(p, line);
                    default -> p.skipChildren();
                }
            }
        } catch (JsonProcessingException e) {
            throw new MalformedLineException("not valid JSON", e);
        } catch (IOException e) {
            throw new MalformedLineException("not readable", e);
        }
        if (f.customId == null || f.customId.isEmpty()) {
            throw new MalformedLineException("no custom_id", null);
        }
        if (f.response) {
            Integer statusCode = f.statusCode;
            if (statusCode != null && statusCode >= 200 && statusCode < 300) {
                return new LineResult(
                        f.customId,
                        Outcome.SUCCEEDED,
                        statusCode,
                        f.body == null ? null : f.body.json(),
                        null,
                        f.usage,
                        null,
                        f.model);
            }
            Raw error;
            if (f.bodyError != null) {
                error = f.bodyError;
            } else if (f.body != null) {
                error = f.body;
            } else if (f.error != null) {
                error = f.error;
            } else {
                error = NO_RESULT;
            }
            return new LineResult(
                    f.customId,
                    Outcome.FAILED,
                    statusCode,
                    null,
                    error.json(),
                    f.usage,
                    error.code(),
                    f.model,
                    OpenAiErrors.lineFailure(statusCode, error.code()));
        }
        if (f.error != null) {
            return new LineResult(
                    f.customId,
                    outcomeOf(f.error.code()),
                    null,
                    null,
                    f.error.json(),
                    null,
                    f.error.code(),
                    null,
                    OpenAiErrors.lineFailure(null, f.error.code()));
        }
        return new LineResult(
                f.customId,
                Outcome.FAILED,
                null,
                null,
                NO_RESULT.json(),
                null,
                NO_RESULT.code(),
                null,
                FailureKind.FINAL);
    }

    /** What one line says; the last occurrence of a repeated field wins, as in a JSON tree. */
    private static final class Fields {
        String customId;
        boolean response;
        Integer statusCode;
        Raw body;
        Raw bodyError;
        Usage usage;
        String model;
        Raw error;
    }

    /**
     * A value as the provider wrote it: containers are cut out of the line; scalars, which carry no
     * re-serialisation risk, are written from their token. {@code code} is an error's {@code code},
     * or its {@code type} when the code is null (OpenAI's envelope allows either), else null.
     */
    private record Raw(String json, String code) {}

    /** Reads a {@code response} object: status code, and the body cut out of the line. */
    private static void response(JsonParser p, String line, Fields f) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "status_code" ->
                        f.statusCode =
                                value == JsonToken.VALUE_NUMBER_INT
                                                && p.getNumberType() == JsonParser.NumberType.INT
                                        ? p.getIntValue()
                                        : null;
                case "body" -> {
                    f.bodyError = null;
                    f.usage = null;
                    f.model = null;
                    if (value == JsonToken.VALUE_NULL) {
                        f.body = null;
                    } else if (value == JsonToken.START_OBJECT) {
                        long start = p.currentTokenLocation().getCharOffset();
                        body(p, line, f);
                        f.body =
                                new Raw(
                                        cut(line, start, p.currentLocation().getCharOffset()),
                                        null);
                    } else {
                        f.body = rawValue(p, line);
                    }
                }
                default -> p.skipChildren();
            }
        }
    }

    /** Inside a response body: its usage and its error, if any; the rest is skipped. */
    private static void body(JsonParser p, String line, Fields f) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "usage" -> {
                    JsonNode usage = value == JsonToken.START_OBJECT ? p.readValueAsTree() : null;
                    if (value != JsonToken.START_OBJECT) {
                        p.skipChildren();
                    }
                    f.usage = usage(usage);
                }
                case "error" ->
                        f.bodyError = value == JsonToken.VALUE_NULL ? null : rawValue(p, line);
                case "model" -> f.model = value == JsonToken.VALUE_STRING ? p.getText() : null;
                default -> p.skipChildren();
            }
        }
    }

    /** The current value as JSON text: a container cut out of the line, a scalar from its token. */
    private static Raw rawValue(JsonParser p, String line) throws IOException {
        JsonToken value = p.currentToken();
        if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
            long start = p.currentTokenLocation().getCharOffset();
            JsonNode tree = p.readValueAsTree();
            return new Raw(cut(line, start, p.currentLocation().getCharOffset(), tree), code(tree));
        }
        JsonNode scalar = p.readValueAsTree();
        return new Raw(scalar.toString(), null);
    }

    private static String code(JsonNode error) {
        for (String field : new String[] {"code", "type"}) {
            JsonNode v = error.get(field);
            if (v != null && v.isTextual() && !v.asText().isEmpty()) {
                return v.asText();
            }
        }
        return null;
    }

    private static String cut(String line, long start, long end) {
        return line.substring((int) start, (int) end);
    }

    private static String cut(String line, long start, long end, JsonNode fallback) {
        if (start < 0 || end > line.length() || start >= end) {
            return fallback.toString();
        }
        return line.substring((int) start, (int) end);
    }

    /**
     * A request OpenAI never ran is told apart from one that ran and failed by the error's code.
     */
    private static Outcome outcomeOf(String code) {
        return switch (code == null ? "" : code) {
            case "batch_expired" -> Outcome.EXPIRED;
            case "batch_cancelled" -> Outcome.CANCELLED;
            default -> Outcome.FAILED;
        };
    }

    /**
     * Tokens from a response body's {@code usage}: Responses and Images report {@code
     * input_tokens}/{@code output_tokens}, Chat Completions, Completions and Embeddings {@code
     * prompt_tokens}/{@code completion_tokens} (Embeddings without the latter).
     */
    static Usage usage(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return null;
        }
        if (usage.has("input_tokens") || usage.has("output_tokens")) {
            return new Usage(
                    usage.path("input_tokens").asLong(0),
                    usage.path("input_tokens_details").path("cached_tokens").asLong(0),
                    usage.path("output_tokens").asLong(0));
        }
        if (usage.has("prompt_tokens") || usage.has("completion_tokens")) {
            return new Usage(
                    usage.path("prompt_tokens").asLong(0),
                    usage.path("prompt_tokens_details").path("cached_tokens").asLong(0),
                    usage.path("completion_tokens").asLong(0));
        }
        return null;
    }
}
