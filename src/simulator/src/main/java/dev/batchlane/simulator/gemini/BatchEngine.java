package dev.batchlane.simulator.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * Batches: {@code models.batchGenerateContent}, {@code batches.list}, {@code batches.get}, {@code
 * batches.cancel} and {@code batches.delete}, and the run of each batch over the simulator's clock.
 */
final class BatchEngine {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_PAGE = 20;
    private static final String OUTPUT_TYPE =
            "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput";
    private static final String BATCH_TYPE =
            "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch";

    final Map<String, Batch> batches = Collections.synchronizedMap(new LinkedHashMap<>());
    private final FileStore store;
    private final FaultPlan faults;
    private final Wire wire;
    private final Clock clock;
    private final Random random;
    private final Path dir;
    volatile Duration stepDuration;
    private long knownPrompt;
    private long knownCandidates;
    private long knownThoughts;
    private int createCount;

    BatchEngine(
            FileStore store,
            FaultPlan faults,
            Wire wire,
            Clock clock,
            Random random,
            Path dir,
            Duration stepDuration) {
        this.store = store;
        this.faults = faults;
        this.wire = wire;
        this.clock = clock;
        this.random = random;
        this.dir = dir;
        this.stepDuration = stepDuration;
    }

    synchronized int createCount() {
        return createCount;
    }

    synchronized long[] knownUsage() {
        return new long[] {knownPrompt, knownCandidates, knownThoughts};
    }

    int create(HttpExchange ex, String model) throws IOException {
        JsonNode body = Wire.readJson(ex);
        FaultPlan.CallFault fault = faults.takeFault("create");
        if (fault != null && !fault.applied) {
            return wire.refuse(ex, fault, "create");
        }
        if (body == null || !body.path("batch").isObject()) {
            return wire.send(
                    ex,
                    400,
                    Wire.error(
                            400,
                            "INVALID_ARGUMENT",
                            "the body must be a BatchGenerateContentRequest "
                                    + "{\"batch\": GenerateContentBatch}"));
        }
        String invalid = wire.invalidRequest("BatchGenerateContentRequest", body);
        if (invalid != null) {
            return wire.send(ex, 400, Wire.error(400, "INVALID_ARGUMENT", invalid));
        }
        JsonNode batch = body.get("batch");
        String displayName = batch.path("displayName").asText("");
        if (displayName.isEmpty()) {
            return wire.send(
                    ex, 400, Wire.error(400, "INVALID_ARGUMENT", "batch.display_name is required"));
        }
        JsonNode bodyModel = batch.get("model");
        if (bodyModel != null && !bodyModel.asText().equals("models/" + model)) {
            return wire.send(
                    ex,
                    400,
                    Wire.error(
                            400,
                            "INVALID_ARGUMENT",
                            "batch.model "
                                    + bodyModel
                                    + " does not match the "
                                    + "model in the URL, models/"
                                    + model));
        }
        if (!model.startsWith("gemini-")) {
            return wire.send(
                    ex,
                    404,
                    Wire.error(
                            404,
                            "NOT_FOUND",
                            "models/"
                                    + model
                                    + " is not found for API version v1beta, "
                                    + "or is not supported for batchGenerateContent."));
        }
        JsonNode input = batch.path("inputConfig");
        String fileName = input.path("fileName").asText("");
        if (input.has("requests")) {
            return wire.send(
                    ex,
                    400,
                    Wire.error(400, "INVALID_ARGUMENT", "this simulator takes file input only"));
        }
        if (!fileName.startsWith("files/")) {
            return wire.send(
                    ex,
                    400,
                    Wire.error(
                            400, "INVALID_ARGUMENT", "batch.input_config.file_name is required"));
        }
        StoredFile f = store.files.get(fileName.substring("files/".length()));
        if (f == null || f.deleted || f.generated) {
            return wire.send(
                    ex,
                    400,
                    Wire.error(
                            400, "INVALID_ARGUMENT", "input file " + fileName + " was not found"));
        }
        String id = UUID.randomUUID().toString().replace("-", "").substring(0, 24);
        Batch b =
                new Batch(
                        id,
                        "models/" + model,
                        displayName,
                        fileName,
                        (ObjectNode) input.deepCopy(),
                        clock.instant());
        b.requestCount = Wire.countLines(f.path);
        synchronized (this) {
            createCount++;
        }
        b.expire = faults.takeExpiry();
        batches.put(id, b);
        if (fault != null) {
            return wire.lose(ex, fault, "create", wire.conform("Operation", operation(b)));
        }
        return wire.send(ex, 200, wire.conform("Operation", operation(b)));
    }

    int list(HttpExchange ex, Map<String, String> q) throws IOException {
        FaultPlan.CallFault fault = faults.takeFault("list");
        if (fault != null) {
            return wire.refuse(ex, fault, "list");
        }
        int size = MAX_PAGE;
        if (q.containsKey("pageSize")) {
            try {
                size = Math.max(1, Math.min(MAX_PAGE, Integer.parseInt(q.get("pageSize"))));
            } catch (NumberFormatException e) {
                return wire.send(
                        ex,
                        400,
                        Wire.error(400, "INVALID_ARGUMENT", "pageSize must be an integer"));
            }
        }
        List<Batch> live;
        synchronized (batches) {
            live = new ArrayList<>(batches.values().stream().filter(b -> !b.deleted).toList());
        }
        Collections.reverse(live);
        int from = Wire.pageStart(q);
        if (from < 0) {
            return wire.send(ex, 400, Wire.error(400, "INVALID_ARGUMENT", "invalid page token"));
        }
        ObjectNode out = JSON.createObjectNode();
        ArrayNode ops = out.putArray("operations");
        for (int i = from; i < Math.min(live.size(), from + size); i++) {
            ops.add(operation(live.get(i)));
        }
        if (from + size < live.size()) {
            out.put("nextPageToken", Wire.pageToken(from + size));
        }
        return wire.send(ex, 200, wire.conform("ListOperationsResponse", out));
    }

    int batch(HttpExchange ex, String method, String id, boolean cancel) throws IOException {
        String operation = cancel ? "cancel" : method.equals("DELETE") ? "batches.delete" : "get";
        if (cancel) {
            Wire.readJson(ex);
        }
        FaultPlan.CallFault fault = faults.takeFault(operation);
        if (fault != null && !fault.applied) {
            return wire.refuse(ex, fault, operation);
        }
        Batch b = batches.get(id);
        if (b == null || b.deleted) {
            return wire.send(
                    ex, 404, Wire.error(404, "NOT_FOUND", "Requested entity was not found."));
        }
        if (cancel && method.equals("POST")) {
            synchronized (this) {
                if (!b.done()) {
                    b.cancelRequested = true;
                }
            }
            return wire.send(ex, 200, wire.conform("Empty", JSON.createObjectNode()));
        }
        if (method.equals("GET") && !cancel) {
            step(b);
            return wire.send(ex, 200, wire.conform("Operation", operation(b)));
        }
        if (method.equals("DELETE") && !cancel) {
            b.deleted = true;
            if (fault != null) {
                return wire.refuse(ex, fault, operation);
            }
            return wire.send(ex, 200, wire.conform("Empty", JSON.createObjectNode()));
        }
        return wire.send(
                ex, 405, Wire.error(405, "INVALID_ARGUMENT", method + " is not allowed here"));
    }

    /** One state further per get after {@code stepDuration}: PENDING → RUNNING → an end. */
    private synchronized void step(Batch b) throws IOException {
        Instant now = clock.instant();
        if (b.done() || Duration.between(b.lastStep, now).compareTo(stepDuration) < 0) {
            return;
        }
        b.lastStep = now;
        b.updatedAt = now;
        if (b.cancelRequested) {
            b.state = "BATCH_STATE_CANCELLED";
            b.endedAt = now;
            b.error = Wire.status(1, "CANCELLED", "the batch was cancelled");
            return;
        }
        if (b.state.equals("BATCH_STATE_PENDING")) {
            b.state = "BATCH_STATE_RUNNING";
            return;
        }
        if (b.expire) {
            b.state = "BATCH_STATE_EXPIRED";
            b.endedAt = now;
            b.error =
                    Wire.status(
                            4,
                            "DEADLINE_EXCEEDED",
                            "Batch has not been processed within the 48h timeframe");
            return;
        }
        StoredFile input = store.files.get(b.inputFile.substring("files/".length()));
        FaultPlan.Damage damage = faults.takeDamage();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(input.path)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode req;
                try {
                    req = JSON.readTree(line);
                } catch (IOException e) {
                    b.state = "BATCH_STATE_FAILED";
                    b.endedAt = now;
                    b.error =
                            Wire.status(
                                    3,
                                    "INVALID_ARGUMENT",
                                    "the input file holds a line that is not JSON");
                    return;
                }
                ObjectNode result = result(b, req);
                if (result.has("response")) {
                    wire.conform("GenerateContentResponse", result.get("response"));
                } else {
                    wire.conform("Status", result.get("error"));
                }
                String text = result.toString();
                String key = req.path("key").asText();
                if (damage != null && damage.missing().contains(key)) {
                    continue;
                }
                if (damage != null && damage.unreadable().contains(key)) {
                    text = text.substring(0, text.length() / 3);
                }
                lines.add(text);
            }
        }
        Collections.shuffle(lines, random);
        String outId = "batch-" + b.id;
        Path out = dir.resolve(outId + ".jsonl");
        Files.write(out, lines, StandardCharsets.UTF_8);
        StoredFile f =
                new StoredFile(
                        outId, "responses of batches/" + b.id, "application/jsonl", out, true, now);
        f.size = Files.size(out);
        store.files.put(outId, f);
        b.outputFile = "files/" + outId;
        b.state = "BATCH_STATE_SUCCEEDED";
        b.endedAt = now;
    }

    private ObjectNode result(Batch b, JsonNode req) {
        ObjectNode line = JSON.createObjectNode();
        JsonNode key = req.get("key");
        JsonNode request = req.get("request");
        if (key != null) {
            line.set("key", key);
        }
        FaultPlan.LineFault fault =
                key == null
                        ? null
                        : faults.lineFaults.stream()
                                .filter(
                                        f ->
                                                f.keys().test(key.asText())
                                                        && (!f.once()
                                                                || f.failed().add(key.asText())))
                                .findFirst()
                                .orElse(null);
        JsonNode contents = request == null ? null : request.get("contents");
        if (fault != null) {
            line.set("error", Wire.status(fault.code(), fault.status(), fault.message()));
            b.failed++;
        } else if (request != null
                && wire.invalidRequest("GenerateContentRequest", request) != null) {
            line.set(
                    "error",
                    Wire.status(
                            3,
                            "INVALID_ARGUMENT",
                            wire.invalidRequest("GenerateContentRequest", request)));
            b.failed++;
        } else if (contents == null || !contents.isArray() || contents.isEmpty()) {
            line.set(
                    "error",
                    Wire.status(
                            3,
                            "INVALID_ARGUMENT",
                            "* GenerateContentRequest.contents: contents is not specified"));
            b.failed++;
        } else {
            line.set("response", response(b, request));
            b.succeeded++;
        }
        return line;
    }

    /**
     * A GenerateContentResponse with deterministic usage: a prompt token per four characters of
     * text, plus one.
     */
    private ObjectNode response(Batch b, JsonNode request) {
        long chars = 0;
        for (JsonNode c : request.path("contents")) {
            for (JsonNode p : c.path("parts")) {
                chars += p.path("text").asText("").length();
            }
        }
        for (JsonNode p : request.path("systemInstruction").path("parts")) {
            chars += p.path("text").asText("").length();
        }
        long prompt = (chars + 3) / 4 + 1;
        JsonNode config =
                request.has("generationConfig")
                        ? request.get("generationConfig")
                        : request.path("generation_config");
        long cap =
                config.path("maxOutputTokens").asLong(config.path("max_output_tokens").asLong(16));
        long thoughts = Math.min(cap, 2);
        long candidates = Math.min(cap - thoughts, 14);
        synchronized (this) {
            knownPrompt += prompt;
            knownCandidates += candidates;
            knownThoughts += thoughts;
        }
        ObjectNode r = JSON.createObjectNode();
        ObjectNode cand = r.putArray("candidates").addObject();
        ObjectNode content = cand.putObject("content");
        content.putArray("parts").addObject().put("text", "simulated reply");
        content.put("role", "model");
        cand.put("finishReason", candidates < 14 ? "MAX_TOKENS" : "STOP");
        cand.put("index", 0);
        ObjectNode usage = r.putObject("usageMetadata");
        usage.put("promptTokenCount", prompt);
        usage.put("candidatesTokenCount", candidates);
        usage.put("totalTokenCount", prompt + candidates + thoughts);
        usage.put("thoughtsTokenCount", thoughts);
        usage.putArray("promptTokensDetails")
                .addObject()
                .put("modality", "TEXT")
                .put("tokenCount", prompt);
        r.put("modelVersion", b.model.substring("models/".length()));
        r.put("responseId", UUID.randomUUID().toString().replace("-", "").substring(0, 20));
        return r;
    }

    /**
     * The batch as {@code batches.get} answers: an Operation with the GenerateContentBatch as
     * metadata.
     */
    private ObjectNode operation(Batch b) {
        ObjectNode op = JSON.createObjectNode();
        op.put("name", "batches/" + b.id);
        ObjectNode meta = op.putObject("metadata");
        meta.put("@type", BATCH_TYPE);
        meta.put("model", b.model);
        meta.put("displayName", b.displayName);
        meta.set("inputConfig", b.inputConfig);
        if (b.outputFile != null) {
            meta.putObject("output").put("responsesFile", b.outputFile);
        }
        meta.put("createTime", b.createdAt.toString());
        if (b.endedAt != null) {
            meta.put("endTime", b.endedAt.toString());
        }
        meta.put("updateTime", b.updatedAt.toString());
        ObjectNode stats = meta.putObject("batchStats");
        stats.put("requestCount", Long.toString(b.requestCount));
        if (b.outputFile != null) {
            stats.put("successfulRequestCount", Long.toString(b.succeeded));
            stats.put("failedRequestCount", Long.toString(b.failed));
        } else {
            stats.put("pendingRequestCount", Long.toString(b.requestCount));
        }
        meta.put("state", b.state);
        meta.put("priority", "0");
        op.put("done", b.done());
        if (b.outputFile != null) {
            op.putObject("response").put("@type", OUTPUT_TYPE).put("responsesFile", b.outputFile);
        } else if (b.error != null) {
            op.set("error", b.error);
        }
        return op;
    }
}
