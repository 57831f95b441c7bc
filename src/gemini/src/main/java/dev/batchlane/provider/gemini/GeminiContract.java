package dev.batchlane.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.ingest.Violation;
import dev.batchlane.core.money.Estimates;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rules of a Gemini batch line, {@code {"key", "request"}} with {@code request} a
 * GenerateContentRequest. A Gemini batch runs on one model, named on the batch rather than on its
 * lines, so the model of a file comes from the object's metadata {@code model} ({@code aws s3 cp
 * --metadata model=gemini-2.5-flash}); a file without it may name the model in each line's {@code
 * request.model} instead, and every line that names one must name the same. Google validates lines
 * only while the batch runs, so a structural error caught here is one batch not paid for.
 */
public final class GeminiContract implements RequestContract {
    /** The S3 user-metadata key naming the file's model ({@code x-amz-meta-model} on the wire). */
    public static final String MODEL_METADATA = "model";

    /**
     * A Files API upload holds at most 2 GiB; shards stay below 2 × 10^9 bytes so the framing never
     * meets the limit. Google states no request count per batch: 50,000 keeps a shard's results
     * file and its retry child of a size that one complete invocation streams comfortably.
     */
    public static final IngestLimits LIMITS =
            new IngestLimits(50_000, 2_000_000_000L, 20 * 1024 * 1024, 20);

    private static final Pattern MODEL = Pattern.compile("^[a-z0-9][a-z0-9._-]{0,127}$");
    private static final int MAX_SHOWN_CHARS = 80;

    /**
     * The output limit each model family documents, used when a line sets no {@code
     * maxOutputTokens}: Gemini then lets the answer run to the model's own limit, so the budget
     * must assume it. Longest prefix wins; an unknown model uses the lane's default.
     */
    static final Map<String, Long> OUTPUT_LIMITS =
            Map.of(
                    "gemini-2.0-flash", 8_192L,
                    "gemini-2.5-", 65_536L,
                    "gemini-3-", 65_536L);

    private final String fileModel;

    public GeminiContract() {
        this(null);
    }

    private GeminiContract(String fileModel) {
        this.fileModel = fileModel;
    }

    @Override
    public String idField() {
        return "key";
    }

    /** The model named by the object's {@code model} metadata, {@code models/} prefix optional. */
    @Override
    public RequestContract forFile(Map<String, String> objectMetadata) {
        String named = objectMetadata == null ? null : objectMetadata.get(MODEL_METADATA);
        return new GeminiContract(named == null || named.isBlank() ? null : bare(named.trim()));
    }

    @Override
    public FileRules startFile() {
        return new Rules(fileModel);
    }

    /** The batch-creation path of a model: {@code models/{model}:batchGenerateContent}. */
    public static String endpointFor(String model) {
        return "models/" + model + ":batchGenerateContent";
    }

    static String bare(String model) {
        return model.startsWith("models/") ? model.substring("models/".length()) : model;
    }

    private static final class Rules implements FileRules {
        private final String metadataModel;
        private String model;
        private long modelLine;

        Rules(String metadataModel) {
            this.metadataModel = metadataModel;
            if (metadataModel != null && MODEL.matcher(metadataModel).matches()) {
                this.model = metadataModel;
            }
        }

        @Override
        public void check(long n, String key, ObjectNode line, ViolationSink out) {
            if (metadataModel != null && model == null) {
                // On every line: no line of this file can run, whatever the invalid-line policy.
                out.add(
                        new Violation(
                                n,
                                key,
                                "model_invalid",
                                "line "
                                        + n
                                        + ": the file's model metadata "
                                        + shown(metadataModel)
                                        + " is not a Gemini model name such as gemini-2.5-flash"));
            }
            for (Iterator<String> names = line.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!name.equals("key") && !name.equals("request")) {
                    out.add(
                            new Violation(
                                    n,
                                    key,
                                    "unknown_field",
                                    "line "
                                            + n
                                            + ": unknown field "
                                            + shown(name)
                                            + "; a Gemini batch line has only key and request"));
                }
            }
            JsonNode request = line.get("request");
            if (request == null || !request.isObject()) {
                out.add(
                        new Violation(
                                n,
                                key,
                                "request_invalid",
                                "line "
                                        + n
                                        + ": request must be an object holding a GenerateContentRequest, found "
                                        + kind(request)));
                return;
            }
            checkContents(n, key, request.get("contents"), out);
            checkModel(n, key, request.get("model"), out);
            if (request.has("stream")) {
                out.add(
                        new Violation(
                                n,
                                key,
                                "stream_not_supported",
                                "line "
                                        + n
                                        + ": request.stream is set, but batch requests cannot stream; remove it"));
            }
            JsonNode config = generationConfig(request);
            if (config != null && !config.isObject()) {
                out.add(
                        new Violation(
                                n,
                                key,
                                "generation_config_invalid",
                                "line "
                                        + n
                                        + ": request.generationConfig must be an object, found "
                                        + kind(config)));
            } else if (config != null) {
                checkPositive(
                        n,
                        key,
                        field(config, "maxOutputTokens", "max_output_tokens"),
                        "generationConfig.maxOutputTokens",
                        "max_output_tokens_invalid",
                        out);
                checkPositive(
                        n,
                        key,
                        field(config, "candidateCount", "candidate_count"),
                        "generationConfig.candidateCount",
                        "candidate_count_invalid",
                        out);
            }
        }

        private static void checkContents(
                long n, String key, JsonNode contents, ViolationSink out) {
            if (contents == null || !contents.isArray() || contents.isEmpty()) {
                out.add(
                        new Violation(
                                n,
                                key,
                                "contents_invalid",
                                "line "
                                        + n
                                        + ": request.contents must be a non-empty array of Content objects, found "
                                        + kind(contents)));
                return;
            }
            int i = 0;
            for (JsonNode content : contents) {
                JsonNode parts = content.get("parts");
                if (!content.isObject() || parts == null || !parts.isArray() || parts.isEmpty()) {
                    out.add(
                            new Violation(
                                    n,
                                    key,
                                    "contents_invalid",
                                    "line "
                                            + n
                                            + ": request.contents["
                                            + i
                                            + "] must be an object with a non-empty parts array"));
                    return;
                }
                i++;
            }
        }

        private void checkModel(long n, String key, JsonNode named, ViolationSink out) {
            if (named == null) {
                if (model == null && metadataModel == null) {
                    out.add(
                            new Violation(
                                    n,
                                    key,
                                    "model_missing",
                                    "line "
                                            + n
                                            + ": no model: put it on the file "
                                            + "(--metadata model=gemini-2.5-flash) or in request.model on every line"));
                }
                return;
            }
            if (!named.isTextual() || !MODEL.matcher(bare(named.asText())).matches()) {
                out.add(
                        new Violation(
                                n,
                                key,
                                "model_invalid",
                                "line "
                                        + n
                                        + ": request.model "
                                        + shown(named.toString())
                                        + " is not a Gemini model name such as models/gemini-2.5-flash"));
                return;
            }
            String value = bare(named.asText());
            if (model == null) {
                model = value;
                modelLine = n;
            } else if (!model.equals(value)) {
                out.add(
                        new Violation(
                                n,
                                key,
                                "model_mismatch",
                                "line "
                                        + n
                                        + ": request.model "
                                        + shown(value)
                                        + " differs from "
                                        + shown(model)
                                        + (modelLine == 0
                                                ? " named by the file's metadata"
                                                : " on line " + modelLine)
                                        + "; a Gemini batch runs one model, so a file holds one"));
            }
        }

        private static void checkPositive(
                long n, String key, JsonNode value, String name, String code, ViolationSink out) {
            if (value != null
                    && (!value.isIntegralNumber()
                            || !value.canConvertToInt()
                            || value.asInt() < 1)) {
                out.add(
                        new Violation(
                                n,
                                key,
                                code,
                                "line "
                                        + n
                                        + ": request."
                                        + name
                                        + " must be a positive integer, found "
                                        + shown(value.toString())));
            }
        }

        @Override
        public String endpoint() {
            return model == null ? null : endpointFor(model);
        }

        @Override
        public String model() {
            return model;
        }

        @Override
        public JsonNode requestBody(ObjectNode line) {
            return line.get("request");
        }

        /**
         * The file's model: a Gemini batch runs one, whatever a line says (a mismatch is a
         * violation).
         */
        @Override
        public String modelOf(ObjectNode line) {
            if (model != null) {
                return model;
            }
            JsonNode named = line.path("request").get("model");
            return named != null && named.isTextual() ? bare(named.asText()) : null;
        }

        /**
         * The answer's cap times the candidates asked for. Without a cap Gemini runs to the model's
         * own output limit, so that is what the budget assumes; thinking tokens count against the
         * same cap.
         */
        @Override
        public long maxOutputTokens(ObjectNode line, long fallback) {
            JsonNode config = generationConfig(line.path("request"));
            JsonNode cap =
                    config == null ? null : field(config, "maxOutputTokens", "max_output_tokens");
            JsonNode candidates =
                    config == null ? null : field(config, "candidateCount", "candidate_count");
            long perCandidate =
                    cap != null && cap.canConvertToLong() && cap.asLong() > 0
                            ? cap.asLong()
                            : outputLimit(modelOf(line), fallback);
            long count =
                    candidates != null && candidates.canConvertToLong() && candidates.asLong() > 0
                            ? candidates.asLong()
                            : 1;
            return perCandidate * count;
        }

        /**
         * Google publishes no tokenizer for Gemini (its countTokens method is a network call per
         * request, too slow and too costly for a guard at ingest), so input tokens are approximated
         * with the core's documented rule: a token per four characters of every string, keys
         * included. That overcounts English text; inline media (base64 {@code inlineData}) is
         * overcounted far more, and media behind a {@code fileData} URI is not seen at all.
         */
        @Override
        public long inputTokens(ObjectNode line) {
            return Estimates.approximateTokens(line.path("request"));
        }
    }

    static long outputLimit(String model, long fallback) {
        if (model == null) {
            return fallback;
        }
        String best = null;
        for (String prefix : OUTPUT_LIMITS.keySet()) {
            if (model.startsWith(prefix) && (best == null || prefix.length() > best.length())) {
                best = prefix;
            }
        }
        return best == null ? fallback : Math.max(fallback, OUTPUT_LIMITS.get(best));
    }

    /** The proto3 JSON mapping accepts both spellings; Google's cookbook files use snake_case. */
    static JsonNode generationConfig(JsonNode request) {
        return field(request, "generationConfig", "generation_config");
    }

    private static JsonNode field(JsonNode node, String camel, String snake) {
        JsonNode v = node.get(camel);
        return v != null ? v : node.get(snake);
    }

    private static String kind(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String shown(String s) {
        String q = "'" + s + "'";
        return q.length() <= MAX_SHOWN_CHARS
                ? q
                : q.substring(0, MAX_SHOWN_CHARS) + "…' (" + s.length() + " chars)";
    }
}
