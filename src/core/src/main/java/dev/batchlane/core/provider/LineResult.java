package dev.batchlane.core.provider;

/**
 * One provider result line in the internal shape. {@code responseJson} and {@code errorJson} are
 * raw JSON text (or null), passed through to the joined results without re-modelling them. {@code
 * errorCode} is the provider's machine-readable error code or type as the adapter read it from its
 * own error shape (OpenAI's {@code error.code}, Anthropic's {@code error.type}), null when there is
 * none; retry decisions read it and the status, never the human message. {@code model} is the model
 * the provider says answered, when the line names one.
 */
public record LineResult(
        String customId,
        Outcome outcome,
        Integer statusCode,
        String responseJson,
        String errorJson,
        Usage usage,
        String errorCode,
        String model) {

    /** A line without an error code or model, for providers whose lines carry neither. */
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
