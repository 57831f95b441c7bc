package dev.batchlane.provider.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.ProviderException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.bedrockruntime.model.ContentBlock;
import software.amazon.awssdk.services.bedrockruntime.model.ConversationRole;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseRequest;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseResponse;
import software.amazon.awssdk.services.bedrockruntime.model.InferenceConfiguration;
import software.amazon.awssdk.services.bedrockruntime.model.InvokeModelResponse;
import software.amazon.awssdk.services.bedrockruntime.model.Message;
import software.amazon.awssdk.services.bedrockruntime.model.SystemContentBlock;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A shard too small for a batch job, run record by record through bedrock-runtime (InvokeModel or
 * Converse, as the file's format says), in the batch output format (with {@code "onDemand": true})
 * so results and cleanup are one path. Each record is invoked at most once, because a model call is
 * billed whether or not its answer comes back:
 *
 * <ul>
 *   <li>before a call, {@code record-<n>.started} is written, only if absent (two overlapping steps
 *       cannot both claim a record); after it, the record's line is written at once as {@code
 *       record-<n>.jsonl.out}, so a step cut short keeps what it paid for, and a step run again (an
 *       overlapping poll, a retried read) skips it;
 *   <li>a record found started without a line lost its answer after the call left: it may have run
 *       and been billed, so it ends with {@value #OUTCOME_UNKNOWN} and is never invoked again; so
 *       does a call that timed out or failed with a server error (the runtime client makes one
 *       attempt, see {@link BedrockFactory#runtimeClient});
 *   <li>only a call refused before the model ran (throttled, not reached) is taken back (its marker
 *       deleted) and tried by a later poll;
 *   <li>a step starts a call only while the time left before its deadline exceeds one call's worst
 *       case ({@link BedrockConfig#requestTimeout()}) plus {@link #MARGIN};
 *   <li>a cancel ({@code cancel-requested} in the folder) stops further calls; the run ends {@code
 *       CANCELLED} with the lines it wrote, which are joined.
 * </ul>
 *
 * When every record has its line, {@code manifest.json.out} is written as Bedrock writes it and the
 * run is {@code COMPLETED}. Lines of the older {@code records-<first>.jsonl.out} objects (one per
 * step) are read as the records they hold.
 */
final class OnDemandRun {
    private static final System.Logger LOG = System.getLogger(OnDemandRun.class.getName());

    /**
     * The word shown for a shard run on demand, for people (the manifest's {@code providerStatus});
     * the lane knows it ran on demand from the submission's {@link
     * dev.batchlane.core.provider.RunMode}, never from this word.
     */
    static final String STATUS = "OnDemand";

    /** The error code of a record whose call left and whose answer was lost; final. */
    static final String OUTCOME_UNKNOWN = "on_demand_outcome_unknown";

    /** Room kept after one call's worst case for writing its line before the deadline. */
    static final Duration MARGIN = Duration.ofSeconds(10);

    static final String CANCEL_MARKER = "cancel-requested";

    private final BedrockConfig config;
    private final BedrockRuntimeClient runtime;
    private final S3Client s3;

    OnDemandRun(BedrockConfig config, BedrockRuntimeClient runtime, S3Client s3) {
        this.config = config;
        this.runtime = runtime;
        this.s3 = s3;
    }

    /**
     * Advances the run by at most {@code onDemandRecordsPerCall} records, starting no call that
     * could end after {@code deadline} as {@code clock} tells time.
     *
     * @param batchId {@code ondemand|<type>|<model>|<input key>}; the model may hold ':' but never
     *     '|'
     */
    BatchView step(String batchId, Instant deadline, Clock clock) {
        String[] parts = batchId.split("\\|", 4);
        InvocationType type = InvocationType.parse(parts[1]);
        String model = parts[2];
        String inputKey = parts[3];
        String folder = outputFolder(inputKey);
        List<String> records = readInput(inputKey);
        Map<Integer, JsonNode> outcomes = new TreeMap<>();
        Set<Integer> started = new HashSet<>();
        boolean cancelled = false;
        for (S3Object o :
                s3.listObjectsV2Paginator(l -> l.bucket(config.bucket()).prefix(folder))
                        .contents()) {
            String name = o.key().substring(folder.length());
            if (name.equals(CANCEL_MARKER)) {
                cancelled = true;
            } else if (name.startsWith("record-") && name.endsWith(".started")) {
                started.add(indexOf(name, ".started"));
            } else if (name.startsWith("record-") && name.endsWith(".jsonl.out")) {
                for (String line : readLines(o.key())) {
                    if (!line.isBlank()) {
                        outcomes.put(indexOf(name, ".jsonl.out"), readTree(line));
                    }
                }
            } else if (name.startsWith("records-") && name.endsWith(".jsonl.out")) {
                int i = Integer.parseInt(name.substring(8, name.length() - 10));
                for (String line : readLines(o.key())) {
                    if (!line.isBlank()) {
                        outcomes.put(i++, readTree(line));
                    }
                }
            }
        }
        for (int i : started) {
            if (!outcomes.containsKey(i) && i < records.size()) {
                ObjectNode line =
                        unknown(
                                readTree(records.get(i)),
                                i,
                                inputKey,
                                model,
                                "a step ended between the call and the write of its answer");
                put(lineKey(folder, i), line + "\n");
                outcomes.put(i, line);
            }
        }
        Duration worstCall = config.requestTimeout().plus(MARGIN);
        int ran = 0;
        for (int i = 0; i < records.size() && !cancelled; i++) {
            if (outcomes.containsKey(i)) {
                continue;
            }
            if (ran >= config.onDemandRecordsPerCall()) {
                break;
            }
            Duration left = Duration.between(clock.instant(), deadline);
            if (left.compareTo(worstCall) < 0) {
                LOG.log(
                        Level.INFO,
                        "on-demand run {0}: {1}s left before the step''s deadline, less than one"
                                + " call''s worst case ({2}s); the next poll goes on at record {3}",
                        inputKey,
                        left.toSeconds(),
                        worstCall.toSeconds(),
                        i + 1);
                break;
            }
            if (ran > 0 && exists(folder + CANCEL_MARKER)) {
                cancelled = true;
                break;
            }
            JsonNode record = readTree(records.get(i));
            if (!claim(folder + String.format("record-%06d.started", i))) {
                // Another step of this run holds the record (an overlapping poll, or a step
                // retried while the first still waits on the model). That step goes on with the
                // records after it; this one, whose listing is older, stops rather than invoke
                // them again.
                LOG.log(
                        Level.INFO,
                        "on-demand run {0}: record {1} is being run by another step; this step"
                                + " stops",
                        inputKey,
                        i + 1);
                break;
            }
            ObjectNode line = BedrockProvider.JSON.createObjectNode();
            line.set("recordId", record.get("recordId"));
            line.set("modelInput", record.get("modelInput"));
            try {
                JsonNode output =
                        type == InvocationType.CONVERSE
                                ? converse(model, record.path("modelInput"))
                                : invoke(model, record.path("modelInput"));
                line.set("modelOutput", output);
            } catch (AwsServiceException e) {
                if (e.isThrottlingException() || e.statusCode() == 429) {
                    // Refused before the model ran: taken back for a later poll.
                    delete(folder + String.format("record-%06d.started", i));
                    LOG.log(
                            Level.INFO,
                            "on-demand run {0}: throttled after {1} record(s); the next poll goes on",
                            inputKey,
                            ran);
                    break;
                }
                String message =
                        e.awsErrorDetails() == null
                                ? String.valueOf(e.getMessage())
                                : String.valueOf(e.awsErrorDetails().errorMessage());
                if (e.statusCode() >= 500 || e.statusCode() == 408) {
                    line =
                            unknown(
                                    record,
                                    i,
                                    inputKey,
                                    model,
                                    "the call failed with " + e.statusCode() + ": " + message);
                } else {
                    ObjectNode error = line.putObject("error");
                    error.put("errorCode", e.statusCode());
                    error.put("errorMessage", message);
                }
            } catch (SdkException e) {
                if (notSent(e)) {
                    delete(folder + String.format("record-%06d.started", i));
                    LOG.log(
                            Level.WARNING,
                            "on-demand run {0}: record {1} could not reach bedrock-runtime ({2});"
                                    + " the next poll tries it",
                            inputKey,
                            i + 1,
                            e.getMessage());
                    break;
                }
                line = unknown(record, i, inputKey, model, String.valueOf(e.getMessage()));
            } catch (IllegalArgumentException e) {
                // Refused here, before any call: final, as Bedrock's validation would be.
                ObjectNode error = line.putObject("error");
                error.put("errorCode", 400);
                error.put("errorMessage", String.valueOf(e.getMessage()));
            }
            line.put("onDemand", true);
            put(lineKey(folder, i), line + "\n");
            outcomes.put(i, line);
            ran++;
        }
        long succeeded = 0;
        long errors = 0;
        long inTokens = 0;
        long outTokens = 0;
        for (JsonNode n : outcomes.values()) {
            if (n.has("modelOutput")) {
                succeeded++;
                var u = BedrockResults.usageOf(n.get("modelOutput"));
                inTokens += u.inputTokens();
                outTokens += u.outputTokens();
            } else {
                errors++;
            }
        }
        long doneCount = outcomes.size();
        BatchCounts counts = new BatchCounts(records.size(), succeeded, errors);
        boolean complete = doneCount >= records.size();
        if (!complete && !cancelled) {
            return new BatchView(batchId, BatchState.RUNNING, STATUS, counts, null, null, null);
        }
        ObjectNode manifest = BedrockProvider.JSON.createObjectNode();
        manifest.put("totalRecordCount", records.size());
        manifest.put("processedRecordCount", doneCount);
        manifest.put("successRecordCount", succeeded);
        manifest.put("errorRecordCount", errors);
        manifest.put("inputTokenCount", inTokens);
        manifest.put("outputTokenCount", outTokens);
        manifest.put("onDemand", true);
        put(folder + "manifest.json.out", manifest.toString());
        return new BatchView(
                batchId,
                complete ? BatchState.COMPLETED : BatchState.CANCELLED,
                STATUS,
                counts,
                folder,
                null,
                null);
    }

    /** Stops further calls of the run: the next step starts none and ends it CANCELLED. */
    void cancel(String batchId) {
        put(outputFolder(batchId.split("\\|", 4)[3]) + CANCEL_MARKER, "");
    }

    private static String lineKey(String folder, int index) {
        return folder + String.format("record-%06d.jsonl.out", index);
    }

    private static int indexOf(String name, String suffix) {
        return Integer.parseInt(
                name.substring("record-".length(), name.length() - suffix.length()));
    }

    /** A final failure line for a record whose call left and whose answer is lost. */
    private static ObjectNode unknown(
            JsonNode record, int index, String inputKey, String model, String why) {
        ObjectNode line = BedrockProvider.JSON.createObjectNode();
        line.set("recordId", record.get("recordId"));
        line.set("modelInput", record.get("modelInput"));
        ObjectNode error = line.putObject("error");
        error.put("errorCode", OUTCOME_UNKNOWN);
        error.put(
                "errorMessage",
                OUTCOME_UNKNOWN
                        + ": record "
                        + record.path("recordId").asText("(no recordId)")
                        + " (line "
                        + (index + 1)
                        + " of "
                        + inputKey
                        + ") was sent to "
                        + model
                        + " and its answer was lost ("
                        + why
                        + "); it may have run and been billed, so it is not invoked again");
        line.put("onDemand", true);
        return line;
    }

    /**
     * Whether a client-side failure happened before the request left: only a refused connection
     * says so; a timeout or a broken connection may follow a call that ran.
     */
    private static boolean notSent(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException
                    || t instanceof java.net.UnknownHostException) {
                return true;
            }
        }
        return false;
    }

    String outputFolder(String inputKey) {
        String rest = inputKey.substring(config.inputPrefix().length());
        return config.outputPrefix() + rest.substring(0, rest.indexOf('/')) + "/ondemand/";
    }

    private JsonNode invoke(String model, JsonNode body) {
        InvokeModelResponse r =
                runtime.invokeModel(
                        i ->
                                i.modelId(model)
                                        .contentType("application/json")
                                        .accept("application/json")
                                        .body(SdkBytes.fromUtf8String(body.toString())));
        return readTree(r.body().asUtf8String());
    }

    /**
     * The SDK's Converse call takes typed messages: text content, system text and the common
     * inference settings are carried over; a record with other content blocks fails with a 400
     * saying so, where a batch job would have run it.
     */
    private JsonNode converse(String model, JsonNode input) {
        ConverseRequest.Builder b = ConverseRequest.builder().modelId(model);
        List<Message> messages = new ArrayList<>();
        for (JsonNode m : input.path("messages")) {
            List<ContentBlock> blocks = new ArrayList<>();
            for (JsonNode c : m.path("content")) {
                if (!c.path("text").isTextual() || c.size() != 1) {
                    throw new IllegalArgumentException(
                            "on demand, Converse records may hold only text content blocks");
                }
                blocks.add(ContentBlock.fromText(c.get("text").asText()));
            }
            messages.add(
                    Message.builder()
                            .role(ConversationRole.fromValue(m.path("role").asText()))
                            .content(blocks)
                            .build());
        }
        b.messages(messages);
        List<SystemContentBlock> system = new ArrayList<>();
        for (JsonNode s : input.path("system")) {
            if (s.path("text").isTextual()) {
                system.add(SystemContentBlock.fromText(s.get("text").asText()));
            }
        }
        if (!system.isEmpty()) {
            b.system(system);
        }
        JsonNode ic = input.path("inferenceConfig");
        if (ic.isObject()) {
            InferenceConfiguration.Builder c = InferenceConfiguration.builder();
            if (ic.has("maxTokens")) {
                c.maxTokens(ic.get("maxTokens").asInt());
            }
            if (ic.has("temperature")) {
                c.temperature((float) ic.get("temperature").asDouble());
            }
            if (ic.has("topP")) {
                c.topP((float) ic.get("topP").asDouble());
            }
            List<String> stops = new ArrayList<>();
            ic.path("stopSequences").forEach(s -> stops.add(s.asText()));
            if (!stops.isEmpty()) {
                c.stopSequences(stops);
            }
            b.inferenceConfig(c.build());
        }
        ConverseResponse r = runtime.converse(b.build());
        ObjectNode out = BedrockProvider.JSON.createObjectNode();
        ObjectNode message = out.putObject("output").putObject("message");
        message.put("role", r.output().message().roleAsString());
        ArrayNode content = message.putArray("content");
        for (ContentBlock c : r.output().message().content()) {
            if (c.text() != null) {
                content.addObject().put("text", c.text());
            }
        }
        out.put("stopReason", r.stopReasonAsString());
        ObjectNode usage = out.putObject("usage");
        usage.put("inputTokens", r.usage().inputTokens());
        usage.put("outputTokens", r.usage().outputTokens());
        usage.put("totalTokens", r.usage().totalTokens());
        if (r.metrics() != null) {
            out.putObject("metrics").put("latencyMs", r.metrics().latencyMs());
        }
        return out;
    }

    private List<String> readInput(String key) {
        List<String> lines = new ArrayList<>();
        for (String line : readLines(key)) {
            if (!line.isBlank()) {
                lines.add(line);
            }
        }
        return lines;
    }

    /** Whole objects, small by construction: fewer records than a batch job's minimum. */
    private List<String> readLines(String key) {
        try (InputStream in = s3.getObject(g -> g.bucket(config.bucket()).key(key));
                BufferedReader reader =
                        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            return reader.lines().toList();
        } catch (IOException e) {
            throw new ProviderException(
                    "bedrock on-demand read " + key + " failed: io_error", 0, "io_error", true, e);
        } catch (SdkException e) {
            throw BedrockFailures.failure("on-demand read " + key, e);
        }
    }

    private void put(String key, String body) {
        try {
            s3.putObject(
                    p -> p.bucket(config.bucket()).key(key).contentType("application/jsonl"),
                    RequestBody.fromString(body, StandardCharsets.UTF_8));
        } catch (SdkException e) {
            throw BedrockFailures.failure("on-demand write " + key, e);
        }
    }

    /**
     * Writes a record's marker only if none is there: S3's conditional create decides between two
     * steps that reach the same record at once, so only one of them invokes it. False when another
     * step's marker is there (412) or being written (409).
     */
    private boolean claim(String key) {
        try {
            s3.putObject(
                    p -> p.bucket(config.bucket()).key(key).ifNoneMatch("*"),
                    RequestBody.fromString("", StandardCharsets.UTF_8));
            return true;
        } catch (AwsServiceException e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                return false;
            }
            throw BedrockFailures.failure("on-demand write " + key, e);
        } catch (SdkException e) {
            throw BedrockFailures.failure("on-demand write " + key, e);
        }
    }

    /**
     * Whether {@code key} exists, asked as a listing of that very prefix rather than a HEAD: the
     * deployed role may list the output prefix, and a HEAD of a missing key without an
     * unconditioned s3:ListBucket is answered 403, not 404, by S3.
     */
    private boolean exists(String key) {
        try {
            return s3
                    .listObjectsV2(l -> l.bucket(config.bucket()).prefix(key).maxKeys(1))
                    .contents()
                    .stream()
                    .anyMatch(o -> o.key().equals(key));
        } catch (SdkException e) {
            throw BedrockFailures.failure("on-demand read " + key, e);
        }
    }

    private void delete(String key) {
        try {
            s3.deleteObject(d -> d.bucket(config.bucket()).key(key));
        } catch (SdkException e) {
            // Left in place, the marker makes the record's outcome unknown: never a second call.
            LOG.log(Level.WARNING, "on-demand run: deleting {0} failed: {1}", key, e.getMessage());
        }
    }

    private static JsonNode readTree(String line) {
        try {
            return BedrockProvider.JSON.readTree(line);
        } catch (IOException e) {
            throw new IllegalStateException("an on-demand line is not JSON: " + e.getMessage(), e);
        }
    }
}
