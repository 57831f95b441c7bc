package dev.batchlane.simulator.anthropic;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.batchlane.simulator.SimHttp;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Anthropic's Message Batches API on loopback ({@code /v1/messages/batches*}). Requests are parsed
 * from the create body as a stream and kept on disk; a batch moves from {@code in_progress} to
 * {@code ended} on the first retrieve or listing after {@code stepDuration}; results list every
 * request once, shuffled, as the documented {@code MessageBatchIndividualResponse} lines.
 */
public final class AnthropicSimulator implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CUSTOM_ID = Pattern.compile("^[a-zA-Z0-9_-]{1,64}$");

    /** Requests one batch may hold, as Anthropic documents. */
    public static final int MAX_REQUESTS = 100_000;

    /** The largest create body Anthropic takes: 256 MB, decimal. */
    public static final long MAX_BODY_BYTES = 256_000_000L;

    private final HttpServer server;
    private final Path dir;
    private final Clock clock;
    private final Random random;
    private volatile Duration stepDuration;
    private final Map<String, Batch> batches = Collections.synchronizedMap(new LinkedHashMap<>());
    private final List<String> requestLog = new CopyOnWriteArrayList<>();
    private final List<LineFault> lineFaults = new CopyOnWriteArrayList<>();
    private final List<CallFault> callFaults = new CopyOnWriteArrayList<>();
    private volatile int expireNext;
    private int loseNextCreates;
    private boolean loseByReset;
    private boolean loseByCut;
    private int queueFullNext;
    private Damage damageNext;
    private final Map<String, Integer> batchesPerCustomId =
            new java.util.concurrent.ConcurrentHashMap<>();
    private volatile double expireFraction;
    private long knownInput;
    private long knownOutput;
    private long knownCacheRead;
    private int createCount;

    /**
     * Requests allowed in the processing queue at once (0: no limit), as Anthropic limits per
     * workspace.
     */
    private long queueLimit;

    private long queuePeak;
    private int queueRefusals;

    /** Thrown after a create took effect, so that its exchange closes without an answer. */
    private static final class LostAnswer extends RuntimeException {
        LostAnswer() {
            super("answer withheld", null, false, false);
        }
    }

    private record LineFault(Predicate<String> ids, String type, String message) {}

    /** Result lines left out ({@code missing}) or cut short ({@code unreadable}). */
    private record Damage(Set<String> missing, Set<String> unreadable) {}

    private static final class CallFault {
        final String operation;
        final int status;
        int left;

        CallFault(String operation, int status, int left) {
            this.operation = operation;
            this.status = status;
            this.left = left;
        }
    }

    private static final class Batch {
        final String id;
        final Instant createdAt;
        final Path requests;
        final int count;
        String status = "in_progress";
        Instant lastStep;
        Instant endedAt;
        Instant cancelInitiatedAt;
        Path results;
        boolean deleted;
        boolean expire;
        double expireFraction;
        Damage damage;
        final Map<String, Long> counts = new LinkedHashMap<>();

        Batch(String id, Instant createdAt, Path requests, int count) {
            this.id = id;
            this.createdAt = createdAt;
            this.lastStep = createdAt;
            this.requests = requests;
            this.count = count;
            for (String k : List.of("processing", "succeeded", "errored", "canceled", "expired")) {
                counts.put(k, 0L);
            }
            counts.put("processing", (long) count);
        }
    }

    private AnthropicSimulator(int port, Clock clock, Duration stepDuration, long seed)
            throws IOException {
        this.clock = clock;
        this.stepDuration = stepDuration;
        this.random = new Random(seed);
        this.dir = Files.createTempDirectory("anthropic-sim-");
        this.server =
                SimHttp.startLoopback(port, "/v1/messages/batches", "anthropic-sim", this::handle);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private int port;
        private Clock clock = Clock.systemUTC();
        private Duration stepDuration = Duration.ofSeconds(1);
        private long seed = 42;

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Builder stepDuration(Duration stepDuration) {
            this.stepDuration = stepDuration;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public AnthropicSimulator start() {
            try {
                return new AnthropicSimulator(port, clock, stepDuration, seed);
            } catch (IOException e) {
                throw new UncheckedIOException("the Anthropic simulator did not start", e);
            }
        }
    }

    /** The base URL without /v1, as ANTHROPIC_BASE_URL is read by the SDKs. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    // ---- controls ----

    /** Requests whose custom_id matches end as {@code errored} with this error type. */
    public void failLines(Predicate<String> customIds, String errorType, String message) {
        lineFaults.add(new LineFault(customIds, errorType, message));
    }

    /**
     * The next {@code count} batches end by expiry, with this fraction of requests processed first.
     */
    public void expireNextBatches(int count, double fractionProcessed) {
        this.expireNext = count;
        this.expireFraction = fractionProcessed;
    }

    /**
     * The next {@code count} calls of an operation (create, retrieve, results, delete, cancel)
     * answer {@code status}.
     */
    public void failNextCalls(String operation, int status, int count) {
        callFaults.add(new CallFault(operation, status, count));
    }

    /**
     * The next {@code count} creates take effect (the batch exists and runs) and then lose their
     * answer: a 502 from the edge, or with {@code reset} the connection closed without an answer.
     */
    public synchronized void loseNextCreateAnswers(int count, boolean reset) {
        this.loseNextCreates = count;
        this.loseByReset = reset;
        this.loseByCut = false;
    }

    /**
     * The next {@code count} creates take effect and answer 200 with the batch's JSON cut short, as
     * a proxy or a dropped connection leaves it.
     */
    public synchronized void cutNextCreateAnswers(int count) {
        this.loseNextCreates = count;
        this.loseByReset = false;
        this.loseByCut = true;
    }

    /**
     * The next {@code count} creates are refused as if the processing queue were full (429 {@code
     * rate_limit_error}), whatever the queue limit; nothing is created.
     */
    public synchronized void fillQueueForNextCreates(int count) {
        this.queueFullNext = count;
    }

    /**
     * The next batch created leaves the result lines of {@code missing} out (still counted) and
     * writes those of {@code unreadable} cut short.
     */
    public synchronized void damageNextResults(Set<String> missing, Set<String> unreadable) {
        this.damageNext = new Damage(Set.copyOf(missing), Set.copyOf(unreadable));
    }

    /**
     * Limits the requests in the processing queue (of batches not yet ended) to {@code
     * maxRequests}, as Anthropic's Message Batches rate limits do: a create that would go beyond it
     * is refused with 429 {@code rate_limit_error} and a {@code retry-after}, and nothing is
     * created. Zero lifts it.
     */
    public synchronized void setQueueLimit(long maxRequests) {
        this.queueLimit = maxRequests;
    }

    /** The most requests that were ever in the processing queue at once. */
    public synchronized long queuePeak() {
        return queuePeak;
    }

    /** How many creates the queue limit refused. */
    public synchronized int queueRefusals() {
        return queueRefusals;
    }

    /**
     * How many batches were created holding a request with this custom_id (cancelled and deleted
     * ones too).
     */
    public int batchesHolding(String customId) {
        return batchesPerCustomId.getOrDefault(customId, 0);
    }

    public void setStepDuration(Duration stepDuration) {
        this.stepDuration = stepDuration;
    }

    // ---- observability ----

    public synchronized int createCount() {
        return createCount;
    }

    /** Batches not deleted. */
    public Set<String> liveBatchIds() {
        synchronized (batches) {
            Set<String> live = new HashSet<>();
            batches.values().stream().filter(b -> !b.deleted).forEach(b -> live.add(b.id));
            return live;
        }
    }

    public List<String> requestLog() {
        return List.copyOf(requestLog);
    }

    /** Input, output and cache-read tokens the simulator reported in succeeded lines. */
    public synchronized long[] knownUsage() {
        return new long[] {knownInput, knownOutput, knownCacheRead};
    }

    @Override
    public void close() {
        server.stop(0);
        SimHttp.deleteTree(dir);
    }

    // ---- HTTP ----

    private void handle(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        // Not try-with-resources: its close would run before the catch, so the 500 would never be
        // sent and a reset would be logged after the client had already seen its connection end.
        try {
            route(ex, method, path);
        } catch (LostAnswer e) {
            requestLog.add(method + " " + path + " -> reset");
        } catch (RuntimeException e) {
            send(ex, 500, error("api_error", "simulator failure: " + e.getMessage()));
        } finally {
            ex.close();
        }
    }

    private int route(HttpExchange ex, String method, String path) throws IOException {
        String key = ex.getRequestHeaders().getFirst("x-api-key");
        if (key == null || key.isBlank()) {
            return send(ex, 401, error("authentication_error", "x-api-key header is required"));
        }
        if (ex.getRequestHeaders().getFirst("anthropic-version") == null) {
            return send(
                    ex,
                    400,
                    error("invalid_request_error", "anthropic-version: header is required"));
        }
        String rest = path.substring("/v1/messages/batches".length());
        String[] parts = rest.isEmpty() ? new String[0] : rest.substring(1).split("/");
        String operation =
                parts.length == 0
                        ? (method.equals("POST") ? "create" : "list")
                        : parts.length == 1
                                ? (method.equals("DELETE") ? "delete" : "retrieve")
                                : parts[1];
        Integer fault = takeFault(operation);
        if (fault != null) {
            if (fault == 429) {
                ex.getResponseHeaders().add("retry-after", "1");
            }
            return send(
                    ex,
                    fault,
                    error(
                            fault == 429
                                    ? "rate_limit_error"
                                    : fault == 529 ? "overloaded_error" : "api_error",
                            "injected failure of " + operation));
        }
        if (parts.length == 0 && method.equals("POST")) {
            return create(ex);
        }
        if (parts.length == 0 && method.equals("GET")) {
            return list(ex);
        }
        Batch b = parts.length > 0 ? batches.get(parts[0]) : null;
        if (b == null || b.deleted) {
            return send(ex, 404, error("not_found_error", "batch not found"));
        }
        if (parts.length == 1 && method.equals("GET")) {
            step(b);
            return send(ex, 200, batchJson(b).toString().getBytes(StandardCharsets.UTF_8));
        }
        if (parts.length == 1 && method.equals("DELETE")) {
            if (!b.status.equals("ended")) {
                return send(
                        ex,
                        400,
                        error(
                                "invalid_request_error",
                                "batch " + b.id + " is still processing; cancel it first"));
            }
            b.deleted = true;
            return send(
                    ex,
                    200,
                    JSON.createObjectNode()
                            .put("id", b.id)
                            .put("type", "message_batch_deleted")
                            .toString()
                            .getBytes(StandardCharsets.UTF_8));
        }
        if (parts.length == 2 && parts[1].equals("cancel") && method.equals("POST")) {
            if (b.status.equals("in_progress")) {
                b.status = "canceling";
                b.cancelInitiatedAt = clock.instant();
            }
            return send(ex, 200, batchJson(b).toString().getBytes(StandardCharsets.UTF_8));
        }
        if (parts.length == 2 && parts[1].equals("results") && method.equals("GET")) {
            if (!b.status.equals("ended")) {
                return send(
                        ex,
                        400,
                        error(
                                "invalid_request_error",
                                "results are available once the batch has ended"));
            }
            ex.getResponseHeaders().add("Content-Type", "application/binary");
            record(ex, 200);
            ex.sendResponseHeaders(200, Files.size(b.results));
            try (OutputStream out = ex.getResponseBody()) {
                Files.copy(b.results, out);
            }
            return 200;
        }
        return send(ex, 404, error("not_found_error", "no route " + method + " " + path));
    }

    /** Newest first, {@code limit} (1–1000, default 20) a page, paged with {@code after_id}. */
    private int list(HttpExchange ex) throws IOException {
        Map<String, String> q = new java.util.HashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    q.put(
                            pair.substring(0, eq),
                            java.net.URLDecoder.decode(
                                    pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        int limit;
        try {
            limit = Integer.parseInt(q.getOrDefault("limit", "20"));
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > 1000) {
            return send(
                    ex,
                    400,
                    error("invalid_request_error", "limit: Input should be between 1 and 1000"));
        }
        List<Batch> all;
        synchronized (batches) {
            all = new ArrayList<>(batches.values().stream().filter(b -> !b.deleted).toList());
        }
        // Batches run whether or not anyone retrieves them: a listing shows each as far as its time
        // has come.
        for (Batch b : all) {
            step(b);
        }
        Collections.reverse(all);
        int start = 0;
        String after = q.get("after_id");
        if (after != null) {
            start = all.size();
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).id.equals(after)) {
                    start = i + 1;
                    break;
                }
            }
        }
        List<Batch> page = all.subList(start, Math.min(all.size(), start + limit));
        ObjectNode n = JSON.createObjectNode();
        var data = n.putArray("data");
        for (Batch b : page) {
            data.add(batchJson(b));
        }
        n.put("has_more", start + page.size() < all.size());
        if (page.isEmpty()) {
            n.putNull("first_id");
            n.putNull("last_id");
        } else {
            n.put("first_id", page.get(0).id);
            n.put("last_id", page.get(page.size() - 1).id);
        }
        return send(ex, 200, n.toString().getBytes(StandardCharsets.UTF_8));
    }

    private synchronized Integer takeFault(String operation) {
        for (CallFault f : callFaults) {
            if (f.operation.equals(operation) && f.left > 0) {
                f.left--;
                return f.status;
            }
        }
        return null;
    }

    /**
     * Streams {"requests": [...]} to disk, checking each request's structure as Anthropic does at
     * create.
     */
    private int create(HttpExchange ex) throws IOException {
        String id = "msgbatch_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
        Path requests = dir.resolve(id + ".requests.jsonl");
        Set<String> seen = new HashSet<>();
        int n = 0;
        try (InputStream in = new CappedBody(ex.getRequestBody(), MAX_BODY_BYTES);
                JsonParser p = new JsonFactory(JSON).createParser(in);
                BufferedWriter w = Files.newBufferedWriter(requests)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return send(ex, 400, error("invalid_request_error", "body must be a JSON object"));
            }
            boolean sawRequests = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (!field.equals("requests")) {
                    p.skipChildren();
                    continue;
                }
                sawRequests = true;
                if (p.currentToken() != JsonToken.START_ARRAY) {
                    return send(
                            ex,
                            400,
                            error(
                                    "invalid_request_error",
                                    "requests: Input should be a valid list"));
                }
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    JsonNode r = p.readValueAsTree();
                    String customId = r.path("custom_id").asText("");
                    if (!CUSTOM_ID.matcher(customId).matches()) {
                        return send(
                                ex,
                                400,
                                error(
                                        "invalid_request_error",
                                        "requests."
                                                + n
                                                + ".custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'"));
                    }
                    if (!seen.add(customId)) {
                        return send(
                                ex,
                                400,
                                error(
                                        "invalid_request_error",
                                        "requests."
                                                + n
                                                + ".custom_id: duplicate custom_id "
                                                + customId));
                    }
                    if (!r.path("params").isObject()) {
                        return send(
                                ex,
                                400,
                                error(
                                        "invalid_request_error",
                                        "requests." + n + ".params: Field required"));
                    }
                    if (++n > MAX_REQUESTS) {
                        return send(
                                ex,
                                413,
                                error(
                                        "request_too_large",
                                        "a batch holds at most 100000 requests"));
                    }
                    w.write(r.toString());
                    w.write('\n');
                }
            }
            if (!sawRequests || n == 0) {
                return send(
                        ex,
                        400,
                        error(
                                "invalid_request_error",
                                "requests: List should have at least 1 item"));
            }
        } catch (CappedBody.TooLarge e) {
            Files.deleteIfExists(requests);
            return send(
                    ex,
                    413,
                    error(
                            "request_too_large",
                            "the request body exceeds " + MAX_BODY_BYTES + " bytes"));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return send(
                    ex,
                    400,
                    error(
                            "invalid_request_error",
                            "the body is not valid JSON: " + e.getOriginalMessage()));
        }
        Batch b = new Batch(id, clock.instant(), requests, n);
        byte[] refusal = null;
        synchronized (this) {
            // Checked and registered under one lock, so two creates at once cannot both squeeze in.
            long queued = queuedRequests();
            boolean full = queueFullNext > 0;
            if (full) {
                queueFullNext--;
            }
            if (full || (queueLimit > 0 && queued + n > queueLimit)) {
                queueRefusals++;
                refusal =
                        error(
                                "rate_limit_error",
                                "This request would exceed your organization's limit of "
                                        + queueLimit
                                        + " batch requests in the processing queue ("
                                        + queued
                                        + " are processing)."
                                        + " Retry once some batches have ended.");
            } else {
                queuePeak = Math.max(queuePeak, queued + n);
                createCount++;
                if (expireNext > 0) {
                    expireNext--;
                    b.expire = true;
                    b.expireFraction = expireFraction;
                }
                b.damage = damageNext;
                damageNext = null;
                batches.put(id, b);
            }
        }
        if (refusal != null) {
            Files.deleteIfExists(requests);
            ex.getResponseHeaders().add("retry-after", "1");
            return send(ex, 429, refusal);
        }
        for (String customId : seen) {
            batchesPerCustomId.merge(customId, 1, Integer::sum);
        }
        boolean lose;
        boolean reset;
        boolean cut;
        synchronized (this) {
            lose = loseNextCreates > 0;
            reset = loseByReset;
            cut = loseByCut;
            if (lose) {
                loseNextCreates--;
            }
        }
        if (lose && reset) {
            // The batch exists; the client's connection closes without an answer.
            throw new LostAnswer();
        }
        if (lose && cut) {
            byte[] whole = batchJson(b).toString().getBytes(StandardCharsets.UTF_8);
            return send(ex, 200, java.util.Arrays.copyOf(whole, whole.length / 3));
        }
        if (lose) {
            return send(
                    ex,
                    502,
                    "<html><body><h1>502 Bad Gateway</h1></body></html>"
                            .getBytes(StandardCharsets.UTF_8));
        }
        return send(ex, 200, batchJson(b).toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Requests of batches that have not ended yet (deleted ones have ended). */
    private long queuedRequests() {
        synchronized (batches) {
            return batches.values().stream()
                    .filter(b -> !b.status.equals("ended"))
                    .mapToLong(b -> b.counts.get("processing"))
                    .sum();
        }
    }

    private synchronized void step(Batch b) throws IOException {
        Instant now = clock.instant();
        if (b.status.equals("ended")
                || Duration.between(b.lastStep, now).compareTo(stepDuration) < 0) {
            return;
        }
        b.lastStep = now;
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(b.requests)) {
            String line;
            int i = 0;
            while ((line = r.readLine()) != null) {
                JsonNode req = JSON.readTree(line);
                String text = result(b, req, i++).toString();
                String customId = req.get("custom_id").asText();
                if (b.damage != null && b.damage.missing().contains(customId)) {
                    continue;
                }
                if (b.damage != null && b.damage.unreadable().contains(customId)) {
                    text = text.substring(0, text.length() / 3);
                }
                lines.add(text);
            }
        }
        Collections.shuffle(lines, random);
        b.results = dir.resolve(b.id + ".results.jsonl");
        Files.write(b.results, lines, StandardCharsets.UTF_8);
        b.status = "ended";
        b.endedAt = now;
    }

    private ObjectNode result(Batch b, JsonNode req, int index) {
        String customId = req.get("custom_id").asText();
        ObjectNode line = JSON.createObjectNode();
        line.put("custom_id", customId);
        ObjectNode result = line.putObject("result");
        boolean processed =
                b.expire
                        ? index < b.count * b.expireFraction
                        : b.cancelInitiatedAt == null || index < b.count / 2;
        if (!processed) {
            String type = b.expire ? "expired" : "canceled";
            result.put("type", type);
            b.counts.merge(type, 1L, Long::sum);
        } else {
            LineFault fault =
                    lineFaults.stream()
                            .filter(f -> f.ids().test(customId))
                            .findFirst()
                            .orElse(null);
            if (fault != null) {
                result.put("type", "errored");
                ObjectNode err = result.putObject("error");
                err.put("type", "error");
                err.putObject("error").put("type", fault.type()).put("message", fault.message());
                err.putNull("request_id");
                b.counts.merge("errored", 1L, Long::sum);
            } else {
                result.put("type", "succeeded");
                result.set("message", message(req.path("params")));
                b.counts.merge("succeeded", 1L, Long::sum);
            }
        }
        b.counts.merge("processing", -1L, Long::sum);
        return line;
    }

    /**
     * A Message with deterministic usage: a token per four characters of prompt, plus 3 per
     * message.
     */
    private ObjectNode message(JsonNode params) {
        long chars = params.path("system").asText("").length();
        int messages = 0;
        for (JsonNode m : params.path("messages")) {
            messages++;
            JsonNode content = m.path("content");
            if (content.isTextual()) {
                chars += content.asText().length();
            } else {
                for (JsonNode part : content) {
                    chars += part.path("text").asText("").length();
                }
            }
        }
        long input = (chars + 3) / 4 + 3L * messages;
        long output = Math.min(params.path("max_tokens").asLong(16), 16);
        synchronized (this) {
            knownInput += input;
            knownOutput += output;
        }
        ObjectNode msg = JSON.createObjectNode();
        msg.put("id", "msg_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24));
        msg.put("type", "message");
        msg.put("role", "assistant");
        msg.putArray("content")
                .addObject()
                .put("type", "text")
                .put("text", "simulated reply")
                .putNull("citations");
        msg.put("model", params.path("model").asText());
        msg.put("stop_reason", output < 16 ? "max_tokens" : "end_turn");
        msg.putNull("stop_sequence");
        msg.putNull("stop_details");
        msg.putNull("container");
        ObjectNode usage = msg.putObject("usage");
        usage.putNull("cache_creation");
        usage.putNull("inference_geo");
        usage.putNull("output_tokens_details");
        usage.putNull("server_tool_use");
        usage.put("input_tokens", input);
        usage.put("output_tokens", output);
        usage.put("cache_creation_input_tokens", 0);
        usage.put("cache_read_input_tokens", 0);
        usage.put("service_tier", "batch");
        return msg;
    }

    private ObjectNode batchJson(Batch b) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", b.id);
        n.put("type", "message_batch");
        n.put("processing_status", b.status);
        ObjectNode counts = n.putObject("request_counts");
        b.counts.forEach(counts::put);
        n.put("created_at", b.createdAt.toString());
        n.put("expires_at", b.createdAt.plus(Duration.ofHours(24)).toString());
        putTime(n, "ended_at", b.endedAt);
        putTime(n, "cancel_initiated_at", b.cancelInitiatedAt);
        n.putNull("archived_at");
        if (b.status.equals("ended")) {
            n.put("results_url", baseUrl() + "/v1/messages/batches/" + b.id + "/results");
        } else {
            n.putNull("results_url");
        }
        return n;
    }

    private static void putTime(ObjectNode n, String field, Instant t) {
        if (t == null) {
            n.putNull(field);
        } else {
            n.put(field, t.toString());
        }
    }

    private static byte[] error(String type, String message) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "error");
        n.putObject("error").put("type", type).put("message", message);
        n.put("request_id", "req_sim_" + UUID.randomUUID().toString().substring(0, 8));
        return n.toString().getBytes(StandardCharsets.UTF_8);
    }

    private int send(HttpExchange ex, int status, byte[] body) throws IOException {
        record(ex, status);
        return SimHttp.send(ex, status, "application/json", body);
    }

    /**
     * Logs a call before its answer is written: a client that has its answer must find its call in
     * {@link #requestLog()}, or a test reading the log right after the answer races the handler.
     */
    private void record(HttpExchange ex, int status) {
        requestLog.add(
                ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " -> " + status);
    }

    /** A request body that refuses to be read past {@code cap} bytes. */
    private static final class CappedBody extends java.io.FilterInputStream {
        static final class TooLarge extends IOException {
            TooLarge() {
                super("request body too large");
            }
        }

        private final long cap;
        private long read;

        CappedBody(InputStream in, long cap) {
            super(in);
            this.cap = cap;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0 && ++read > cap) {
                throw new TooLarge();
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0 && (read += n) > cap) {
                throw new TooLarge();
            }
            return n;
        }
    }
}
