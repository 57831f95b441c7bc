package dev.batchlane.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.core.provider.FailureKind;
import dev.batchlane.core.provider.ProviderBusy;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.http.Failures;
import java.util.Set;

/**
 * What OpenAI's errors mean beyond their status: the queue refusing, and a failed batch's reasons.
 */
final class OpenAiErrors {
    /**
     * The codes OpenAI answers when the queue, not the batch, is the problem (create or
     * validation).
     */
    static final String TOKEN_LIMIT = "token_limit_exceeded";

    static final String FILE_NOT_READY = "file_not_ready";

    /**
     * Error codes of a failed request line (its {@code error.code}, or {@code error.type} when the
     * code is null) that mean "not now" rather than "never": the request may go through in a later
     * batch.
     */
    static final Set<String> PASSING_LINE_CODES =
            Set.of(
                    "rate_limit_exceeded",
                    "server_error",
                    "timeout",
                    "request_timeout",
                    "batch_expired",
                    "batch_cancelled");

    private OpenAiErrors() {}

    /**
     * A failed request line read as passing or final: by its HTTP status as every HTTP API means
     * it, and by OpenAI's own codes for what the status does not say (a line of the error file has
     * no status).
     */
    static FailureKind lineFailure(Integer status, String code) {
        if (code != null && PASSING_LINE_CODES.contains(code)) {
            return FailureKind.PASSING;
        }
        return FailureKind.ofHttpStatus(status);
    }

    /**
     * A refused create that is about the queue, not the batch: the enqueued-token limit, the input
     * file not ready yet, or 429. Decided by the error code and status; only the stated limit is
     * read from the message.
     */
    static ProviderException busyIfQueue(ProviderException e) {
        ProviderBusy busy = null;
        if (TOKEN_LIMIT.equals(e.code())) {
            busy =
                    new ProviderBusy(
                            ProviderBusy.Reason.ENQUEUED_TOKENS,
                            ProviderBusy.limitIn(e.getMessage()),
                            e.code());
        } else if (FILE_NOT_READY.equals(e.code())) {
            busy = new ProviderBusy(ProviderBusy.Reason.FILE_NOT_READY, null, e.code());
        } else if (e.statusCode() == 429) {
            busy = new ProviderBusy(ProviderBusy.Reason.RATE_LIMITED, null, e.code());
        }
        if (busy == null) {
            return e;
        }
        return new ProviderException(
                e.getMessage(),
                e.statusCode(),
                e.code(),
                true,
                e.retryAfter().orElse(null),
                busy,
                e.getCause());
    }

    /**
     * A batch failed in validation only because the enqueued-token limit was reached (every error
     * has that code): none of its requests ran, and it may be submitted again once there is room.
     */
    static ProviderBusy queueFailure(JsonNode errors) {
        if (!errors.isArray() || errors.isEmpty()) {
            return null;
        }
        Long limit = null;
        for (JsonNode e : errors) {
            if (!TOKEN_LIMIT.equals(e.path("code").asText(null))) {
                return null;
            }
            if (limit == null) {
                limit =
                        ProviderBusy.limitIn(
                                e.path("message").isTextual() ? e.get("message").asText() : null);
            }
        }
        return new ProviderBusy(ProviderBusy.Reason.ENQUEUED_TOKENS, limit, TOKEN_LIMIT);
    }

    /**
     * One line about why OpenAI failed a batch, from {@code errors.data}: the first error with its
     * line number and how many more there are, e.g. {@code line 3 invalid_json_line: ...; 2 more}.
     */
    static String failureSummary(JsonNode errors) {
        if (!errors.isArray() || errors.isEmpty()) {
            return "openai failed the batch without saying why";
        }
        JsonNode first = errors.get(0);
        StringBuilder summary = new StringBuilder();
        JsonNode line = first.get("line");
        if (line != null && line.canConvertToLong()) {
            summary.append("line ").append(line.asLong()).append(' ');
        }
        String code = first.path("code").isTextual() ? first.get("code").asText() : null;
        String message = first.path("message").isTextual() ? first.get("message").asText() : null;
        summary.append(code == null ? "error" : code)
                .append(": ")
                .append(message == null ? "no message" : Failures.truncate(message));
        if (errors.size() > 1) {
            summary.append("; ").append(errors.size() - 1).append(" more");
        }
        return summary.toString();
    }
}
