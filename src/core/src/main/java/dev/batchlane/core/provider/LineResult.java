package dev.batchlane.core.provider;

/**
 * One provider result line in the internal shape. {@code responseJson} and {@code errorJson} are
 * raw JSON text (or null), passed through to the joined results without re-modelling them. {@code
 * errorCode} is the provider's machine-readable error code or type as the adapter read it from its
 * own error shape (OpenAI's {@code error.code}, Anthropic's {@code error.type}), null when there is
 * none; it is written to the joined line for people. {@code failureKind} is the adapter's reading
 * of a FAILED line's status and code (passing or final), the only thing the resubmission rule
 * reads; null for every other outcome. {@code model} is the model the provider says answered, when
 * the line names one.
 */
public record LineResult(
        String customId,
        Outcome outcome,
        Integer statusCode,
        String responseJson,
        String errorJson,
        Usage usage,
        String errorCode,
        String model,
        FailureKind failureKind) {

    public LineResult {
        if (outcome == Outcome.FAILED && failureKind == null) {
            throw new IllegalArgumentException(
                    "result line "
                            + customId
                            + ": a FAILED line needs its adapter's failureKind (passing or final)");
        }
        if (outcome != Outcome.FAILED) {
            failureKind = null;
        }
        if (outcome != Outcome.SUCCEEDED) {
            // A failed line quotes the provider's error (a 401's "Incorrect API key provided:
            // sk-pro****xyz"), and the line goes on to the user's results: every adapter's lines
            // pass here. A succeeded line is the model's answer and is never touched.
            errorJson = KeyRedaction.redactKeys(errorJson);
            responseJson = KeyRedaction.redactKeys(responseJson);
        }
    }

    /**
     * A line whose failure, if any, is read from its HTTP status alone ({@link
     * FailureKind#ofHttpStatus}): for providers whose lines carry no code of their own worth more.
     */
    public LineResult(
            String customId,
            Outcome outcome,
            Integer statusCode,
            String responseJson,
            String errorJson,
            Usage usage,
            String errorCode,
            String model) {
        this(
                customId,
                outcome,
                statusCode,
                responseJson,
                errorJson,
                usage,
                errorCode,
                model,
                FailureKind.ofHttpStatus(statusCode));
    }

    /** A line without an error code or model, its failure read from its HTTP status alone. */
    public LineResult(
            String customId,
            Outcome outcome,
            Integer statusCode,
            String responseJson,
            String errorJson,
            Usage usage) {
        this(customId, outcome, statusCode, responseJson, errorJson, usage, null, null);
    }
}
