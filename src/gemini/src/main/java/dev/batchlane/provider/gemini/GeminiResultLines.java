package dev.batchlane.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.provider.FailureKind;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Usage;
import java.io.IOException;

/**
 * One line of a Gemini responses file: {@code {"key", "response": GenerateContentResponse}}, or for
 * a request that failed {@code {"key", "error": Status}} (some clients see {@code status}; both are
 * read). Lines are joined by key, never by their order.
 */
final class GeminiResultLines {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GeminiResultLines() {}

    /** The line in the lane's shape, or null when it is not a result line (no key, not JSON). */
    static LineResult parse(String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (IOException e) {
            return null;
        }
        if (node == null || !node.isObject()) {
            return null;
        }
        String key = GeminiProvider.text(node.get("key"));
        if (key == null || key.isEmpty()) {
            return null;
        }
        JsonNode response = node.get("response");
        if (response != null && response.isObject()) {
            return new LineResult(
                    key,
                    Outcome.SUCCEEDED,
                    200,
                    response.toString(),
                    null,
                    usage(response.path("usageMetadata")));
        }
        JsonNode error = node.has("error") ? node.get("error") : node.get("status");
        if (error != null && error.isObject()) {
            int code = error.path("code").asInt(2);
            return new LineResult(
                    key,
                    Outcome.FAILED,
                    httpStatus(code),
                    null,
                    error.toString(),
                    null,
                    null,
                    null,
                    failureOf(code));
        }
        return null;
    }

    /**
     * What the line is billed for. The prompt count already includes cached content; tool-use
     * prompts are input too; thinking tokens are billed as output.
     */
    static Usage usage(JsonNode u) {
        long input =
                u.path("promptTokenCount").asLong(0) + u.path("toolUsePromptTokenCount").asLong(0);
        long cached = u.path("cachedContentTokenCount").asLong(0);
        long output =
                u.path("candidatesTokenCount").asLong(0) + u.path("thoughtsTokenCount").asLong(0);
        return new Usage(input, Math.min(cached, input), output);
    }

    /**
     * Whether a request that failed with this {@code google.rpc.Code} may go through in a later
     * batch: the codes Google names transient (UNKNOWN, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED,
     * ABORTED, INTERNAL, UNAVAILABLE) pass; the request's own faults (INVALID_ARGUMENT,
     * FAILED_PRECONDITION, PERMISSION_DENIED, …) and UNIMPLEMENTED do not. A value that already is
     * an HTTP status is read as one.
     */
    static FailureKind failureOf(int rpcCode) {
        return switch (rpcCode) {
            case 2, 4, 8, 10, 13, 14 -> FailureKind.PASSING;
            case 0, 1, 3, 5, 6, 7, 9, 11, 12, 15, 16 -> FailureKind.FINAL;
            default -> FailureKind.ofHttpStatus(httpStatus(rpcCode));
        };
    }

    /**
     * A {@code google.rpc.Code} as the HTTP status Google maps it to, written to the joined line so
     * people read a Gemini line as they read the others. A value that already is an HTTP status is
     * kept.
     */
    static int httpStatus(int rpcCode) {
        return switch (rpcCode) {
            case 0 -> 200;
            case 1 -> 499;
            case 3, 9, 11 -> 400;
            case 4 -> 504;
            case 5 -> 404;
            case 6, 10 -> 409;
            case 7 -> 403;
            case 8 -> 429;
            case 12 -> 501;
            case 14 -> 503;
            case 16 -> 401;
            case 2, 13, 15 -> 500;
            default -> rpcCode >= 100 && rpcCode < 600 ? rpcCode : 500;
        };
    }
}
