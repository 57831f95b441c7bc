package dev.batchlane.provider.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.ingest.Violation;
import dev.batchlane.core.money.Estimates;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rules of a Bedrock batch record, {@code {"recordId", "modelInput"}}. Bedrock itself checks
 * only that each record is a JSON object of that form; the body is checked by the model when the
 * record runs, after the job was paid for. So the structure the chosen format needs is checked
 * here.
 *
 * <p>A file's choices ride as S3 object metadata, because a Bedrock job has one model and one
 * invocation type and the records carry neither: {@code model-id} (a model id or inference profile;
 * else the configured default model), {@code model-invocation-type} ({@code InvokeModel}, the
 * default as in Bedrock, or {@code Converse}) and {@code on-demand} ({@code never} forbids running
 * a small file through bedrock-runtime). The file's {@link FileRules#endpoint()} carries them to
 * submission as the bedrock-runtime path the records would take on demand, {@code
 * /model/<id>/invoke} or {@code /model/<id>/converse}, with {@code ?on-demand=never}.
 */
public final class BedrockContract implements RequestContract {
    public static final String MODEL_METADATA = "model-id";
    public static final String TYPE_METADATA = "model-invocation-type";
    public static final String ON_DEMAND_METADATA = "on-demand";

    /**
     * Bedrock documents recordId only as an alphanumeric string; 64 is this lane's bound, with '-'
     * and '_'.
     */
    private static final Pattern RECORD_ID = Pattern.compile("^[A-Za-z0-9_-]{1,64}$");

    /** The service model's ModelId pattern, simplified to ids, ARNs and inference profiles. */
    private static final Pattern MODEL_ID =
            Pattern.compile("^[A-Za-z0-9][A-Za-z0-9.:/_-]{0,2047}$");

    private final BedrockQuotas quotas;
    private final String model;
    private final InvocationType type;
    private final boolean onDemandAllowed;
    private final String fileProblem;

    public BedrockContract(BedrockQuotas quotas, String defaultModel) {
        this(quotas, defaultModel, InvocationType.INVOKE_MODEL, true, null);
    }

    private BedrockContract(
            BedrockQuotas quotas,
            String model,
            InvocationType type,
            boolean onDemandAllowed,
            String fileProblem) {
        this.quotas = quotas;
        this.model = model;
        this.type = type;
        this.onDemandAllowed = onDemandAllowed;
        this.fileProblem = fileProblem;
    }

    @Override
    public RequestContract forFile(Map<String, String> metadata) {
        String m = metadata.getOrDefault(MODEL_METADATA, model);
        String problem = null;
        if (m == null || m.isBlank()) {
            problem =
                    "model_missing: set the object metadata "
                            + MODEL_METADATA
                            + " (aws s3 cp --metadata model-id=anthropic.claude-3-haiku-20240307-v1:0) or batchlane.bedrock.default-model";
        } else if (!MODEL_ID.matcher(m).matches()) {
            problem =
                    "model_invalid: metadata "
                            + MODEL_METADATA
                            + " '"
                            + shorten(m)
                            + "' is not a Bedrock model id, model ARN or inference profile";
        }
        InvocationType t = type;
        String raw = metadata.get(TYPE_METADATA);
        if (raw != null) {
            t = InvocationType.parse(raw);
            if (t == null && problem == null) {
                problem =
                        "invocation_type_invalid: metadata "
                                + TYPE_METADATA
                                + " '"
                                + shorten(raw)
                                + "' must be InvokeModel or Converse";
            }
            if (t == null) {
                t = type;
            }
        }
        String od =
                metadata.getOrDefault(ON_DEMAND_METADATA, "allowed")
                        .trim()
                        .toLowerCase(Locale.ROOT);
        if (!od.equals("allowed") && !od.equals("never") && problem == null) {
            problem =
                    "on_demand_invalid: metadata "
                            + ON_DEMAND_METADATA
                            + " '"
                            + shorten(od)
                            + "' must be allowed or never";
        }
        return new BedrockContract(quotas, m, t, !od.equals("never"), problem);
    }

    /**
     * A shard under the model's minimum records per job runs on demand (unless the file says never,
     * when it is refused instead): its requests are priced at the synchronous price.
     */
    @Override
    public long onDemandBelow() {
        return onDemandAllowed ? quotas.minRecordsPerJob() : 0;
    }

    @Override
    public String idField() {
        return "recordId";
    }

    @Override
    public FileRules startFile() {
        return new FileRules() {
            @Override
            public void check(long n, String recordId, ObjectNode line, ViolationSink out) {
                if (recordId != null && !RECORD_ID.matcher(recordId).matches()) {
                    out.add(
                            new Violation(
                                    n,
                                    recordId,
                                    "record_id_invalid",
                                    "line "
                                            + n
                                            + ": recordId '"
                                            + shorten(recordId)
                                            + "' must be 1 to 64 letters, digits, '_' or '-'"));
                }
                for (Iterator<String> it = line.fieldNames(); it.hasNext(); ) {
                    String f = it.next();
                    if (!f.equals("recordId") && !f.equals("modelInput")) {
                        out.add(
                                new Violation(
                                        n,
                                        recordId,
                                        "unknown_field",
                                        "line "
                                                + n
                                                + ": unknown field '"
                                                + shorten(f)
                                                + "'; a Bedrock batch record has only recordId and modelInput"));
                    }
                }
                JsonNode input = line.get("modelInput");
                if (input == null || !input.isObject()) {
                    out.add(
                            new Violation(
                                    n,
                                    recordId,
                                    "model_input_invalid",
                                    "line "
                                            + n
                                            + ": modelInput must be an object holding the "
                                            + type.wire()
                                            + " request body"));
                    return;
                }
                switch (type) {
                    case CONVERSE -> checkConverse(n, recordId, input, out);
                    case INVOKE_MODEL -> checkNative(n, recordId, input, out);
                }
            }

            @Override
            public void finish(long requests, ViolationSink out) {
                if (fileProblem != null) {
                    int colon = fileProblem.indexOf(':');
                    out.add(
                            new Violation(
                                    0,
                                    null,
                                    fileProblem.substring(0, colon),
                                    "the file: " + fileProblem.substring(colon + 2)));
                    return;
                }
                if (requests < quotas.minRecordsPerJob() && !onDemandAllowed) {
                    out.add(
                            new Violation(
                                    0,
                                    null,
                                    "below_minimum_records",
                                    "the file holds "
                                            + requests
                                            + " record(s), below Bedrock's quota 'Minimum number of records per batch inference job' ("
                                            + quotas.minRecordsPerJob()
                                            + ") for "
                                            + model
                                            + ", and its metadata says "
                                            + ON_DEMAND_METADATA
                                            + "=never, so it cannot run on demand either"));
                }
            }

            @Override
            public String endpoint() {
                return fileProblem != null ? null : endpointFor(model, type, onDemandAllowed);
            }

            @Override
            public String model() {
                return model;
            }

            @Override
            public String modelOf(ObjectNode line) {
                return model;
            }

            /** Only the output cap, under the name the core's estimate reads. */
            @Override
            public JsonNode requestBody(ObjectNode line) {
                ObjectNode caps = JsonNodeFactory.instance.objectNode();
                long cap = outputCap(line.path("modelInput"));
                if (cap > 0) {
                    caps.put("max_tokens", cap);
                }
                return caps;
            }

            @Override
            public long inputTokens(ObjectNode line) {
                return Estimates.approximateTokens(line.path("modelInput"));
            }
        };
    }

    /** The output cap of a record in either format, 0 when it sets none. */
    static long outputCap(JsonNode input) {
        for (JsonNode cap :
                new JsonNode[] {
                    input.path("inferenceConfig").path("maxTokens"),
                    input.path("max_tokens"),
                    input.path("inferenceConfig").path("max_new_tokens"),
                    input.path("max_gen_len"),
                    input.path("textGenerationConfig").path("maxTokenCount")
                }) {
            if (cap.canConvertToLong() && cap.asLong() > 0) {
                return cap.asLong();
            }
        }
        return 0;
    }

    private static void checkConverse(long n, String id, JsonNode input, ViolationSink out) {
        JsonNode messages = input.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            out.add(
                    new Violation(
                            n,
                            id,
                            "messages_invalid",
                            "line "
                                    + n
                                    + ": modelInput.messages must be a non-empty array (Converse format)"));
        } else {
            for (int i = 0; i < messages.size(); i++) {
                JsonNode m = messages.get(i);
                String role = m.path("role").asText("");
                if (!role.equals("user") && !role.equals("assistant")
                        || !m.path("content").isArray()) {
                    out.add(
                            new Violation(
                                    n,
                                    id,
                                    "messages_invalid",
                                    "line "
                                            + n
                                            + ": modelInput.messages["
                                            + i
                                            + "] needs role user or assistant and a content array (Converse format)"));
                    break;
                }
            }
        }
        if (input.has("modelId")) {
            out.add(
                    new Violation(
                            n,
                            id,
                            "unknown_field",
                            "line "
                                    + n
                                    + ": modelInput.modelId is not part of a batch record; the job's model comes from metadata model-id"));
        }
        if (input.has("toolConfig")) {
            out.add(
                    new Violation(
                            n,
                            id,
                            "tools_not_supported",
                            "line "
                                    + n
                                    + ": modelInput.toolConfig: Bedrock batch jobs of type Converse do not run tool use; use InvokeModel"));
        }
        JsonNode max = input.path("inferenceConfig").get("maxTokens");
        if (max != null && (!max.isIntegralNumber() || max.asLong() < 1)) {
            out.add(
                    new Violation(
                            n,
                            id,
                            "max_tokens_invalid",
                            "line "
                                    + n
                                    + ": modelInput.inferenceConfig.maxTokens must be a positive integer, found "
                                    + shorten(max.toString())));
        }
    }

    /**
     * Native bodies are the model's own; Anthropic's Messages body on Bedrock is the common one and
     * is checked fully.
     */
    private void checkNative(long n, String id, JsonNode input, ViolationSink out) {
        if (!isAnthropic(model)) {
            return;
        }
        if (!input.path("anthropic_version").isTextual()) {
            out.add(
                    new Violation(
                            n,
                            id,
                            "anthropic_version_missing",
                            "line "
                                    + n
                                    + ": modelInput.anthropic_version must be a string (bedrock-2023-05-31) for Claude's native body"));
        }
        JsonNode max = input.get("max_tokens");
        if (max == null || !max.isIntegralNumber() || max.asLong() < 1) {
            out.add(
                    new Violation(
                            n,
                            id,
                            "max_tokens_invalid",
                            "line "
                                    + n
                                    + ": modelInput.max_tokens must be a positive integer, found "
                                    + (max == null ? "nothing" : shorten(max.toString()))));
        }
        JsonNode messages = input.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            out.add(
                    new Violation(
                            n,
                            id,
                            "messages_invalid",
                            "line "
                                    + n
                                    + ": modelInput.messages must be a non-empty array for Claude's native body"));
        }
        if (input.has("model")) {
            out.add(
                    new Violation(
                            n,
                            id,
                            "unknown_field",
                            "line "
                                    + n
                                    + ": modelInput.model is not part of Claude's body on Bedrock; the job's model comes from metadata model-id"));
        }
        JsonNode stream = input.get("stream");
        if (stream != null && stream.asBoolean(false)) {
            out.add(
                    new Violation(
                            n,
                            id,
                            "stream_not_supported",
                            "line "
                                    + n
                                    + ": modelInput.stream is true, but batch records cannot stream; remove it"));
        }
    }

    static boolean isAnthropic(String model) {
        return model != null && model.contains("anthropic.");
    }

    static String endpointFor(String model, InvocationType type, boolean onDemandAllowed) {
        return "/model/"
                + model
                + "/"
                + (type == InvocationType.CONVERSE ? "converse" : "invoke")
                + (onDemandAllowed ? "" : "?on-demand=never");
    }

    static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "… (" + s.length() + " chars)";
    }
}
