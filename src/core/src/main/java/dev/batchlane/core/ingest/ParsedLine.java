package dev.batchlane.core.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.core.money.TokenEstimate;

/**
 * What a worker made of one line. {@code tokens} and {@code model} are a stateless estimate, used
 * only if the in-order checks find the line valid; {@code jsonCode} and {@code jsonMessage} say why
 * a line is not JSON.
 */
record ParsedLine(
        Kind kind,
        JsonNode node,
        String jsonCode,
        String jsonMessage,
        TokenEstimate tokens,
        String model,
        long inputs) {

    enum Kind {
        BLANK,
        OVERSIZED,
        BAD_UTF8,
        BAD_JSON,
        NOT_OBJECT,
        OBJECT
    }

    ParsedLine(
            Kind kind,
            JsonNode node,
            String jsonCode,
            String jsonMessage,
            TokenEstimate tokens,
            String model) {
        this(kind, node, jsonCode, jsonMessage, tokens, model, 1);
    }
}
