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
import java.util.ArrayList;
import java.util.List;
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
 * Converse, as the file's format says). It advances on each poll by at most {@code
 * onDemandRecordsPerCall} records, so no poll invocation runs long, and writes each step's records
 * as one {@code records-<first>.jsonl.out} object in the batch output format (with {@code
 * "onDemand": true}), named by its first record: a step repeated by an overlapping poll rewrites
 * the same object rather than adding lines. A throttled call ends the step early; the next poll
 * goes on from there. When every record has its line, {@code manifest.json.out} is written as
 * Bedrock writes it and the run is {@code COMPLETED}.
 */
final class OnDemandRun {
    private static final System.Logger LOG = System.getLogger(OnDemandRun.class.getName());

    /**
     * The word shown for a shard run on demand, for people (the manifest's {@code providerStatus});
     * the lane knows it ran on demand from the submission's {@link
     * dev.batchlane.core.provider.RunMode}, never from this word.
     */
    static final String STATUS = "OnDemand";

    private final BedrockConfig config;
    private final BedrockRuntimeClient runtime;
    private final S3Client s3;

    OnDemandRun(BedrockConfig config, BedrockRuntimeClient runtime, S3Client s3) {
        this.config = config;
        this.runtime = runtime;
        this.s3 = s3;
    }

    /** {@code ondemand|<type>|<model>|<input key>}; the model may hold ':' but never '|'. */
    BatchView step(String batchId) {
        String[] parts = batchId.split("\\|", 4);
        InvocationType type = InvocationType.parse(parts[1]);
        String model = parts[2];
        String inputKey = parts[3];
        String folder = outputFolder(inputKey);
        List<String> records = readInput(inputKey);
        List<String> done = new ArrayList<>();
        long doneCount = 0;
        long succeeded = 0;
        long errors = 0;
        long inTokens = 0;
        long outTokens = 0;
        for (S3Object o :
                s3.listObjectsV2Paginator(l -> l.bucket(config.bucket()).prefix(folder))
                        .contents()) {
            if (o.key().endsWith(".jsonl.out")) {
                done.add(o.key());
            }
        }
        for (String key : done) {
            for (String line : readLines(key)) {
                JsonNode n = readTree(line);
                doneCount++;
                if (n.has("modelOutput")) {
                    succeeded++;
                    var u = BedrockProvider.usageOf(n.get("modelOutput"));
                    inTokens += u.inputTokens();
                    outTokens += u.outputTokens();
                } else {
                    errors++;
                }
            }
        }
        if (doneCount < records.size()) {
            int first = (int) doneCount;
            StringBuilder out = new StringBuilder();
            int ran = 0;
            for (int i = first; i < records.size() && ran < config.onDemandRecordsPerCall(); i++) {
                JsonNode record = readTree(records.get(i));
                ObjectNode line = BedrockProvider.JSON.createObjectNode();
                line.set("recordId", record.get("recordId"));
                line.set("modelInput", record.get("modelInput"));
                try {
                    JsonNode output =
                            type == InvocationType.CONVERSE
                                    ? converse(model, record.path("modelInput"))
                                    : invoke(model, record.path("modelInput"));
                    line.set("modelOutput", output);
                    succeeded++;
                    var u = BedrockProvider.usageOf(output);
                    inTokens += u.inputTokens();
                    outTokens += u.outputTokens();
                } catch (AwsServiceException e) {
                    if (e.isThrottlingException() || e.statusCode() == 429) {
                        LOG.log(
                                Level.INFO,
                                "on-demand run {0}: throttled after {1} record(s); the next poll goes on",
                                inputKey,
                                ran);
                        break;
                    }
                    ObjectNode error = line.putObject("error");
                    error.put("errorCode", e.statusCode());
                    error.put(
                            "errorMessage",
                            e.awsErrorDetails() == null
                                    ? String.valueOf(e.getMessage())
                                    : String.valueOf(e.awsErrorDetails().errorMessage()));
                    errors++;
                } catch (SdkException | IllegalArgumentException e) {
                    ObjectNode error = line.putObject("error");
                    error.put("errorCode", e instanceof IllegalArgumentException ? 400 : 500);
                    error.put("errorMessage", String.valueOf(e.getMessage()));
                    errors++;
                }
                line.put("onDemand", true);
                out.append(line).append('\n');
                ran++;
            }
            if (ran > 0) {
                String key = folder + String.format("records-%06d.jsonl.out", first);
                put(key, out.toString());
                doneCount += ran;
            }
        }
        BatchCounts counts = new BatchCounts(records.size(), succeeded, errors);
        if (doneCount < records.size()) {
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
        return new BatchView(batchId, BatchState.COMPLETED, STATUS, counts, folder, null, null);
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
            throw BedrockProvider.failure("on-demand read " + key, e);
        }
    }

    private void put(String key, String body) {
        try {
            s3.putObject(
                    p -> p.bucket(config.bucket()).key(key).contentType("application/jsonl"),
                    RequestBody.fromString(body, StandardCharsets.UTF_8));
        } catch (SdkException e) {
            throw BedrockProvider.failure("on-demand write " + key, e);
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
