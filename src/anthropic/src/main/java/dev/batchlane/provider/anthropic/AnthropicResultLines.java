package dev.batchlane.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.provider.FailureKind;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Usage;
import java.io.IOException;
import java.util.Set;

/**
 * Anthropic's result lines, {@code {"custom_id", "result": {"type", ...}}}, as the core's results.
 */
final class AnthropicResultLines {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AnthropicResultLines() {}

    /**
     * One result line, or null when it is not one: not a JSON object, no custom_id, or no result
     * object.
     */
    static LineResult parse(String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (IOException notJson) {
            return null;
        }
        if (node == null
                || !node.isObject()
                || !node.path("custom_id").isTextual()
                || node.path("custom_id").asText().isEmpty()
                || !node.path("result").isObject()) {
            return null;
        }
        return toResult(node);
    }

    static LineResult toResult(JsonNode line) {
        String id = line.path("custom_id").asText();
        JsonNode result = line.path("result");
        String type = result.path("type").asText();
        return switch (type) {
            case "succeeded" -> {
                JsonNode message = result.path("message");
                JsonNode u = message.path("usage");
                long cacheRead = u.path("cache_read_input_tokens").asLong(0);
                long input =
                        u.path("input_tokens").asLong(0)
                                + cacheRead
                                + u.path("cache_creation_input_tokens").asLong(0);
                yield new LineResult(
                        id,
                        Outcome.SUCCEEDED,
                        200,
                        message.toString(),
                        null,
                        new Usage(input, cacheRead, u.path("output_tokens").asLong(0)),
                        null,
                        message.path("model").isTextual() ? message.path("model").asText() : null);
            }
            case "errored" -> {
                JsonNode error = result.path("error");
                String errorType = error.path("error").path("type").asText(null);
                yield new LineResult(
                        id,
                        Outcome.FAILED,
                        errorType == null ? null : statusOf(errorType),
                        null,
                        error.toString(),
                        null,
                        errorType,
                        null,
                        failureOf(errorType));
            }
            case "canceled" ->
                    new LineResult(
                            id,
                            Outcome.CANCELLED,
                            null,
                            null,
                            "{\"type\":\"canceled\",\"message\":\"the batch was cancelled before this request ran\"}",
                            null,
                            "canceled",
                            null);
            case "expired" ->
                    new LineResult(
                            id,
                            Outcome.EXPIRED,
                            null,
                            null,
                            "{\"type\":\"expired\",\"message\":\"the batch expired before this request ran\"}",
                            null,
                            "expired",
                            null);
            default ->
                    new LineResult(
                            id,
                            Outcome.FAILED,
                            null,
                            null,
                            result.toString(),
                            null,
                            "unknown_result_type",
                            null,
                            FailureKind.FINAL);
        };
    }

    /**
     * The error types that mean "not now" rather than "never": a rate limit, Anthropic's own
     * trouble, a timeout, an overload. The request itself may go through in a later batch.
     */
    static final Set<String> PASSING_TYPES =
            Set.of("rate_limit_error", "api_error", "overloaded_error", "timeout_error");

    static FailureKind failureOf(String errorType) {
        return errorType != null && PASSING_TYPES.contains(errorType)
                ? FailureKind.PASSING
                : FailureKind.FINAL;
    }

    /** The HTTP status Anthropic documents for each error type (docs/providers.md). */
    static Integer statusOf(String type) {
        return switch (type) {
            case "invalid_request_error" -> 400;
            case "authentication_error" -> 401;
            case "billing_error" -> 402;
            case "permission_error" -> 403;
            case "not_found_error" -> 404;
            case "request_too_large" -> 413;
            case "rate_limit_error" -> 429;
            case "api_error" -> 500;
            case "timeout_error" -> 504;
            case "overloaded_error" -> 529;
            default -> null;
        };
    }
}
