package dev.batchlane.core.provider;

/**
 * One provider result line in the internal shape. {@code responseJson} and {@code errorJson} are
 * raw JSON text (or null), passed through to the joined results without re-modelling them.
 */
public record LineResult(
        String customId,
        Outcome outcome,
        Integer statusCode,
        String responseJson,
        String errorJson,
        Usage usage) {
}
