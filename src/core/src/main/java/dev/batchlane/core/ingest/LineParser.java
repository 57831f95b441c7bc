package dev.batchlane.core.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.money.TokenEstimate;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * What a worker thread makes of each line, off the reading thread: UTF-8 decoding, JSON parsing and
 * token counting, the expensive part of a pass. One per worker thread: a decoder and a set of file
 * rules used only for stateless estimates; the in-order half decides what is valid.
 */
final class LineParser {
    private final CharsetDecoder utf8 =
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final RequestContract.FileRules estimator;
    private final long defaultMaxOutputTokens;

    LineParser(RequestContract contract, long defaultMaxOutputTokens) {
        this.estimator = contract.startFile();
        this.defaultMaxOutputTokens = defaultMaxOutputTokens;
    }

    /** Parses every line of {@code c} into {@code c.parsed}. */
    LineChunk parseAll(LineChunk c) {
        c.parsed = new ParsedLine[c.count];
        for (int i = 0; i < c.count; i++) {
            c.parsed[i] = parse(c, i);
        }
        return c;
    }

    ParsedLine parse(LineChunk c, int i) {
        if (c.oversized[i]) {
            return new ParsedLine(ParsedLine.Kind.OVERSIZED, null, null, null, null, null);
        }
        if (blank(c.data, c.start[i], c.length[i])) {
            return new ParsedLine(ParsedLine.Kind.BLANK, null, null, null, null, null);
        }
        String text;
        try {
            text = utf8.reset().decode(ByteBuffer.wrap(c.data, c.start[i], c.length[i])).toString();
        } catch (CharacterCodingException e) {
            return new ParsedLine(ParsedLine.Kind.BAD_UTF8, null, null, null, null, null);
        }
        JsonNode node;
        try {
            node = FileValidator.LINE_MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            return new ParsedLine(
                    ParsedLine.Kind.BAD_JSON,
                    null,
                    FileValidator.jsonCode(e),
                    e.getOriginalMessage(),
                    null,
                    null);
        }
        if (!(node instanceof ObjectNode object)) {
            return new ParsedLine(ParsedLine.Kind.NOT_OBJECT, node, null, null, null, null);
        }
        TokenEstimate tokens = null;
        String model = null;
        long inputs = 1;
        try {
            // Counted here, on every core; used only if the in-order checks find the line valid.
            JsonNode body = estimator.requestBody(object);
            if (body != null && body.isObject()) {
                model = estimator.modelOf(object);
                tokens =
                        new TokenEstimate(
                                1,
                                estimator.inputTokens(object),
                                estimator.maxOutputTokens(object, defaultMaxOutputTokens));
            }
            inputs = estimator.inputs(object);
        } catch (RuntimeException e) {
            // A line odd enough to trip the estimate breaks a rule the in-order checks report; its
            // count is not used.
            tokens = null;
            inputs = 1;
        }
        return new ParsedLine(ParsedLine.Kind.OBJECT, object, null, null, tokens, model, inputs);
    }

    private static boolean blank(byte[] b, int from, int len) {
        for (int i = from; i < from + len; i++) {
            if (b[i] != ' ' && b[i] != '\t') {
                return false;
            }
        }
        return true;
    }
}
