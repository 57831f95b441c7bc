package dev.batchlane.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.ingest.Violation;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The rules of an OpenAI Batch input line, {@code {"custom_id", "method", "url", "body"}}
 * (docs/providers.md). They are checked here, before upload, because OpenAI reports a broken line
 * only asynchronously — by failing the whole batch after it was created — whereas a rejection at
 * ingest can name every bad line at once.
 */
public final class OpenAiContract implements RequestContract {
    /**
     * The {@code CreateBatchRequest.endpoint} values, in the spec's order (it is also the message's
     * order).
     */
    public static final List<String> ENDPOINTS =
            List.of(
                    "/v1/responses",
                    "/v1/chat/completions",
                    "/v1/embeddings",
                    "/v1/completions",
                    "/v1/moderations",
                    "/v1/images/generations",
                    "/v1/images/edits",
                    "/v1/videos");

    private static final Set<String> OPENAI_FIELDS = Set.of("custom_id", "method", "url", "body");
    private static final Set<String> BODY_ONLY_FIELDS = Set.of("custom_id", "body");

    /** Enough of a bad value to recognise it; a whole request body would drown the report. */
    private static final int MAX_SHOWN_CHARS = 80;

    private final Vendor vendor;
    private final List<String> endpoints;
    private final Set<String> endpointSet;
    private final Set<String> fields;
    private final String fieldList;

    public OpenAiContract() {
        this(Vendor.OPENAI);
    }

    /** The rules of {@code vendor}'s lines: its line format, endpoints and custom_id length. */
    public OpenAiContract(Vendor vendor) {
        this.vendor = vendor;
        this.endpoints = vendor.endpoints();
        this.endpointSet = Set.copyOf(endpoints);
        boolean full = vendor.lineFormat() == Vendor.LineFormat.OPENAI;
        this.fields = full ? OPENAI_FIELDS : BODY_ONLY_FIELDS;
        this.fieldList = full ? "custom_id, method, url and body" : "custom_id and body";
    }

    @Override
    public String idField() {
        return "custom_id";
    }

    @Override
    public FileRules startFile() {
        return new Rules();
    }

    private boolean bodyOnly() {
        return vendor.lineFormat() == Vendor.LineFormat.BODY_ONLY;
    }

    /** The vendor as a message names it: "an OpenAI", "a together". */
    private String article() {
        return vendor == Vendor.OPENAI
                ? "an OpenAI"
                : (vendor.name().matches("[aeiou].*") ? "an " : "a ") + vendor.name();
    }

    /**
     * Per-file memory: the url and model of the first line that had a valid one, which every later
     * line must repeat because one OpenAI batch has one endpoint and one model.
     */
    private final class Rules implements FileRules {
        private String endpoint;
        private long endpointLine;
        private String model;
        private long modelLine;

        @Override
        public void check(long lineNumber, String customId, ObjectNode line, ViolationSink out) {
            for (Iterator<String> names = line.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!fields.contains(name)) {
                    out.add(
                            new Violation(
                                    lineNumber,
                                    customId,
                                    "unknown_field",
                                    "line "
                                            + lineNumber
                                            + ": unknown field "
                                            + quote(name)
                                            + "; "
                                            + article()
                                            + " batch line has only "
                                            + fieldList));
                }
            }
            if (vendor.maxCustomIdChars() > 0
                    && customId != null
                    && customId.codePointCount(0, customId.length()) > vendor.maxCustomIdChars()) {
                out.add(
                        new Violation(
                                lineNumber,
                                customId,
                                "custom_id_too_long",
                                "line "
                                        + lineNumber
                                        + ": custom_id "
                                        + quote(customId)
                                        + " has "
                                        + customId.codePointCount(0, customId.length())
                                        + " characters; "
                                        + vendor.name()
                                        + " takes at most "
                                        + vendor.maxCustomIdChars()));
            }
            if (bodyOnly()) {
                endpoint = endpoints.get(0);
            } else {
                JsonNode method = line.get("method");
                if (method == null || !method.isTextual() || !method.asText().equals("POST")) {
                    out.add(
                            new Violation(
                                    lineNumber,
                                    customId,
                                    "method_invalid",
                                    "line "
                                            + lineNumber
                                            + ": method must be \"POST\", found "
                                            + shown(method)));
                }
                checkUrl(lineNumber, customId, line.get("url"), out);
            }
            JsonNode body = line.get("body");
            if (body == null || !body.isObject()) {
                out.add(
                        new Violation(
                                lineNumber,
                                customId,
                                "body_invalid",
                                "line "
                                        + lineNumber
                                        + ": body must be a JSON object holding the request, found "
                                        + shown(body)));
                return;
            }
            checkModel(lineNumber, customId, body.get("model"), out);
            JsonNode stream = body.get("stream");
            if (stream != null && stream.isBoolean() && stream.booleanValue()) {
                out.add(
                        new Violation(
                                lineNumber,
                                customId,
                                "stream_not_supported",
                                "line "
                                        + lineNumber
                                        + ": body.stream is true, but batch requests cannot stream; remove it or set it to false"));
            }
        }

        private void checkUrl(long lineNumber, String customId, JsonNode url, ViolationSink out) {
            if (url == null || !url.isTextual() || !endpointSet.contains(url.asText())) {
                out.add(
                        new Violation(
                                lineNumber,
                                customId,
                                "url_invalid",
                                "line "
                                        + lineNumber
                                        + ": url must be one of "
                                        + String.join(", ", endpoints)
                                        + "; found "
                                        + shown(url)));
                return;
            }
            String value = url.asText();
            if (endpoint == null) {
                endpoint = value;
                endpointLine = lineNumber;
            } else if (!endpoint.equals(value)) {
                out.add(
                        new Violation(
                                lineNumber,
                                customId,
                                "url_mismatch",
                                "line "
                                        + lineNumber
                                        + ": url "
                                        + quote(value)
                                        + " differs from "
                                        + quote(endpoint)
                                        + " on line "
                                        + endpointLine
                                        + "; every line of a batch file must target the same endpoint"));
            }
        }

        private void checkModel(
                long lineNumber, String customId, JsonNode model, ViolationSink out) {
            if (model == null || !model.isTextual() || model.asText().isEmpty()) {
                out.add(
                        new Violation(
                                lineNumber,
                                customId,
                                "model_missing",
                                "line "
                                        + lineNumber
                                        + ": body.model must be a non-empty string naming the model, found "
                                        + shown(model)));
                return;
            }
            String value = model.asText();
            if (this.model == null) {
                this.model = value;
                modelLine = lineNumber;
            } else if (!this.model.equals(value)) {
                out.add(
                        new Violation(
                                lineNumber,
                                customId,
                                "model_mismatch",
                                "line "
                                        + lineNumber
                                        + ": body.model "
                                        + quote(value)
                                        + " differs from "
                                        + quote(this.model)
                                        + " on line "
                                        + modelLine
                                        + "; every line of a batch file must use the same model"));
            }
        }

        @Override
        public String endpoint() {
            return endpoint;
        }

        @Override
        public String model() {
            return model;
        }

        @Override
        public JsonNode requestBody(ObjectNode line) {
            return line.get("body");
        }

        @Override
        public long inputTokens(ObjectNode line) {
            return Tokens.forModel(modelOf(line)).prompt(requestBody(line));
        }

        @Override
        public long inputs(ObjectNode line) {
            return embeddingInputs(line);
        }
    }

    /**
     * What one line counts against OpenAI's 50,000 embedding inputs per batch: every element of an
     * {@code /v1/embeddings} {@code input} array — a string, or an array of token ids — and one for
     * a single string or a single array of token ids. Any other endpoint's line is one.
     */
    static long embeddingInputs(ObjectNode line) {
        JsonNode url = line.get("url");
        if (url == null || !"/v1/embeddings".equals(url.asText())) {
            return 1;
        }
        JsonNode input = line.path("body").path("input");
        if (!input.isArray() || input.isEmpty()) {
            return 1;
        }
        // [1, 2, 3] is one tokenized input; ["a", "b"] and [[1, 2], [3]] are one input per element.
        return input.get(0).isNumber() ? 1 : input.size();
    }

    /**
     * A value as it appeared in the line (JSON text), cut short, or "nothing" when it was absent.
     */
    static String shown(JsonNode value) {
        if (value == null) {
            return "nothing";
        }
        return truncate(value.toString());
    }

    private static String quote(String text) {
        return truncate(com.fasterxml.jackson.databind.node.TextNode.valueOf(text).toString());
    }

    private static String truncate(String text) {
        if (text.length() <= MAX_SHOWN_CHARS) {
            return text;
        }
        // Never cut a surrogate pair in half: the message must stay valid UTF-16.
        int end = MAX_SHOWN_CHARS;
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end) + "… (" + text.length() + " chars)";
    }
}
