package dev.batchlane.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.ingest.Violation;
import java.util.Iterator;
import java.util.regex.Pattern;

/**
 * The rules of an Anthropic batch line, {@code {"custom_id", "params"}} (docs/providers.md).
 * Anthropic validates params only after the batch was created, as errored results; checking the
 * structure here rejects a broken file before it is paid for.
 */
public final class AnthropicContract implements RequestContract {
    /**
     * What the create call wraps around the staged lines: {@code {"requests":[} line, line, …
     * {@code ]}}.
     */
    static final String BODY_HEAD = "{\"requests\":[";

    static final String BODY_TAIL = "]}";

    /**
     * Bytes the create call's body holds beyond the staged shard: the head and tail, less the last
     * line's newline (the newlines between lines become the array's commas, byte for byte).
     */
    static final long BODY_FRAMING_BYTES = BODY_HEAD.length() + BODY_TAIL.length() - 1;

    /** The documented cap on one batch's request body: 256 MB, decimal, as the 413 counts it. */
    static final long MAX_BODY_BYTES = 256 * IngestLimits.MB;

    /**
     * At most 100,000 requests or 256 MB of request body per batch, whichever comes first; the
     * shard's byte limit leaves room for the body's framing, so a full shard's body is at most
     * 256,000,000 bytes.
     */
    public static final IngestLimits LIMITS =
            new IngestLimits(100_000, MAX_BODY_BYTES - BODY_FRAMING_BYTES, 10 * 1024 * 1024, 20);

    private static final Pattern CUSTOM_ID = Pattern.compile("^[a-zA-Z0-9_-]{1,64}$");

    @Override
    public String idField() {
        return "custom_id";
    }

    @Override
    public FileRules startFile() {
        return new FileRules() {
            private String model;

            @Override
            public void check(long n, String customId, ObjectNode line, ViolationSink out) {
                if (customId != null && !CUSTOM_ID.matcher(customId).matches()) {
                    out.add(
                            new Violation(
                                    n,
                                    customId,
                                    "custom_id_invalid",
                                    "line "
                                            + n
                                            + ": custom_id '"
                                            + shorten(customId)
                                            + "' must be 1 to 64 letters, digits, '_' or '-' (Anthropic's rule)"));
                }
                for (Iterator<String> it = line.fieldNames(); it.hasNext(); ) {
                    String f = it.next();
                    if (!f.equals("custom_id") && !f.equals("params")) {
                        out.add(
                                new Violation(
                                        n,
                                        customId,
                                        "unknown_field",
                                        "line "
                                                + n
                                                + ": unknown field '"
                                                + shorten(f)
                                                + "'; an Anthropic batch line has only custom_id and params"));
                    }
                }
                JsonNode params = line.get("params");
                if (params == null || !params.isObject()) {
                    out.add(
                            new Violation(
                                    n,
                                    customId,
                                    "params_invalid",
                                    "line "
                                            + n
                                            + ": params must be an object holding the Messages request"));
                    return;
                }
                JsonNode m = params.get("model");
                if (m == null || !m.isTextual() || m.asText().isEmpty()) {
                    out.add(
                            new Violation(
                                    n,
                                    customId,
                                    "model_missing",
                                    "line "
                                            + n
                                            + ": params.model must be a non-empty string naming the model"));
                } else if (model == null) {
                    model = m.asText();
                }
                JsonNode max = params.get("max_tokens");
                if (max == null
                        || !max.canConvertToLong()
                        || !max.isIntegralNumber()
                        || max.asLong() < 1) {
                    out.add(
                            new Violation(
                                    n,
                                    customId,
                                    "max_tokens_invalid",
                                    "line "
                                            + n
                                            + ": params.max_tokens must be a positive integer, found "
                                            + (max == null ? "nothing" : shorten(max.toString()))));
                }
                JsonNode messages = params.get("messages");
                if (messages == null || !messages.isArray() || messages.isEmpty()) {
                    out.add(
                            new Violation(
                                    n,
                                    customId,
                                    "messages_invalid",
                                    "line " + n + ": params.messages must be a non-empty array"));
                }
                JsonNode stream = params.get("stream");
                if (stream != null && stream.isBoolean() && stream.booleanValue()) {
                    out.add(
                            new Violation(
                                    n,
                                    customId,
                                    "stream_not_supported",
                                    "line "
                                            + n
                                            + ": params.stream is true, but batch requests cannot stream; remove it"));
                }
            }

            @Override
            public String endpoint() {
                return "/v1/messages";
            }

            @Override
            public String model() {
                return model;
            }

            @Override
            public JsonNode requestBody(ObjectNode line) {
                return line.get("params");
            }
        };
    }

    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "… (" + s.length() + " chars)";
    }
}
