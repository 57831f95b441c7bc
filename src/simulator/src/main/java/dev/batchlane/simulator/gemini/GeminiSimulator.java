package dev.batchlane.simulator.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.batchlane.simulator.SimHttp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Google's Gemini API (v1beta) batch mode on loopback: {@code /upload/v1beta/files} (resumable),
 * {@code /v1beta/files/*}, {@code /v1beta/models/*:batchGenerateContent}, {@code /v1beta/batches*}
 * and {@code /download/v1beta/files/*:download}. A batch goes PENDING → RUNNING → SUCCEEDED, one
 * step per {@code batches.get} after {@code stepDuration}; its responses file ({@code
 * files/batch-<id>}) lists every key once, shuffled. Errors use Google's envelope {@code {"error":
 * {code, message, status}}}.
 */
public final class GeminiSimulator implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The discovery document's {@code media.upload.mediaUpload.maxSize}. */
    /** The largest file the Files API takes (2 GB as Google counts it, 2^31 bytes). */
    public static final long MAX_FILE_BYTES = 2_147_483_648L;

    /**
     * Resumable uploads take non-final chunks in multiples of this (Google's resumable-upload
     * granularity).
     */
    static final int CHUNK_GRANULARITY = 256 * 1024;

    private static final int MAX_PAGE = 20;
    private static final String OUTPUT_TYPE =
            "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput";
    private static final String BATCH_TYPE =
            "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch";
    private static final Pattern MODEL_PATH =
            Pattern.compile("^/v1beta/models/([^/:]+):batchGenerateContent$");
    private static final Pattern BATCH_PATH =
            Pattern.compile("^/v1beta/batches/([^/:]+)(:cancel)?$");
    private static final Pattern FILE_PATH = Pattern.compile("^/v1beta/files/([^/:]+)$");
    private static final Pattern DOWNLOAD_PATH =
            Pattern.compile("^/download/v1beta/files/([^/:]+):download$");

    private final HttpServer server;
    private final Path dir;
    private final Clock clock;
    private final Random random;
    private final String apiKey;
    private final DiscoveryDocument discovery;
    private final List<String> conformanceProblems = new CopyOnWriteArrayList<>();
    private volatile Duration stepDuration;
    private final Map<String, StoredFile> files =
            Collections.synchronizedMap(new LinkedHashMap<>());
    private final Map<String, Upload> uploads = Collections.synchronizedMap(new HashMap<>());
    private final Map<String, Batch> batches = Collections.synchronizedMap(new LinkedHashMap<>());
    private final List<String> requestLog = new CopyOnWriteArrayList<>();
    private final List<LineFault> lineFaults = new CopyOnWriteArrayList<>();
    private final List<CallFault> callFaults = new CopyOnWriteArrayList<>();
    private volatile int expireNext;
    private long knownPrompt;
    private long knownCandidates;
    private long knownThoughts;
    private int createCount;

    /** {@code once}: each matching key fails the first time it runs only (a passing failure). */
    private record LineFault(
            Predicate<String> keys,
            int code,
            String status,
            String message,
            boolean once,
            Set<String> failed) {}

    /** {@code applied}: the call takes effect and only its answer is replaced by the failure. */
    private static final class CallFault {
        final String operation;
        final int status;
        final boolean applied;
        int skip;
        int left;

        CallFault(String operation, int status, boolean applied, int skip, int left) {
            this.operation = operation;
            this.status = status;
            this.applied = applied;
            this.skip = skip;
            this.left = left;
        }
    }

    private static final class StoredFile {
        final String id;
        final String displayName;
        final String mimeType;
        final Path path;
        final boolean generated;
        final Instant createdAt;
        long size;
        boolean deleted;

        StoredFile(
                String id,
                String displayName,
                String mimeType,
                Path path,
                boolean generated,
                Instant createdAt) {
            this.id = id;
            this.displayName = displayName;
            this.mimeType = mimeType;
            this.path = path;
            this.generated = generated;
            this.createdAt = createdAt;
        }
    }

    private static final class Upload {
        final String id;
        final long declared;
        final String displayName;
        final String mimeType;
        final Path path;
        long received;
        StoredFile finished;

        Upload(String id, long declared, String displayName, String mimeType, Path path) {
            this.id = id;
            this.declared = declared;
            this.displayName = displayName;
            this.mimeType = mimeType;
            this.path = path;
        }
    }

    private static final class Batch {
        final String id;
        final String model;
        final String displayName;
        final String inputFile;
        final Instant createdAt;
        final ObjectNode inputConfig;
        String state = "BATCH_STATE_PENDING";
        Instant lastStep;
        Instant updatedAt;
        Instant endedAt;
        boolean cancelRequested;
        boolean expire;
        boolean deleted;
        String outputFile;
        ObjectNode error;
        long requestCount;
        long succeeded;
        long failed;

        Batch(
                String id,
                String model,
                String displayName,
                String inputFile,
                ObjectNode inputConfig,
                Instant now) {
            this.id = id;
            this.model = model;
            this.displayName = displayName;
            this.inputFile = inputFile;
            this.inputConfig = inputConfig;
            this.createdAt = now;
            this.lastStep = now;
            this.updatedAt = now;
        }

        boolean done() {
            return switch (state) {
                case "BATCH_STATE_SUCCEEDED",
                        "BATCH_STATE_FAILED",
                        "BATCH_STATE_CANCELLED",
                        "BATCH_STATE_EXPIRED" ->
                        true;
                default -> false;
            };
        }
    }

    private GeminiSimulator(Builder b) throws IOException {
        this.clock = b.clock;
        this.stepDuration = b.stepDuration;
        this.random = new Random(b.seed);
        this.apiKey = b.apiKey;
        this.discovery = b.discovery;
        this.dir = Files.createTempDirectory("gemini-sim-");
        this.server = SimHttp.startLoopback(b.port, "/", "gemini-sim", this::handle);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private int port;
        private Clock clock = Clock.systemUTC();
        private Duration stepDuration = Duration.ofSeconds(1);
        private long seed = 42;
        private String apiKey;
        private DiscoveryDocument discovery;

        /**
         * Checks every JSON request body against the document's schemas as Google's servers do
         * (unknown fields are refused with 400), and every JSON answer before it is sent (an answer
         * that does not conform is recorded and sent as a 500, so a test cannot miss it).
         */
        public Builder discovery(DiscoveryDocument discovery) {
            this.discovery = discovery;
            return this;
        }

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

        /** The only key accepted; null accepts any non-empty key. */
        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        public GeminiSimulator start() {
            try {
                return new GeminiSimulator(this);
            } catch (IOException e) {
                throw new UncheckedIOException("the Gemini simulator did not start", e);
            }
        }
    }

    /** The API root without a version, as the Gemini base URL is configured. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    // ---- controls ----

    /**
     * Requests whose key matches end with this error ({@code google.rpc.Code} and its name) in the
     * responses file.
     */
    public void failLines(Predicate<String> keys, int rpcCode, String status, String message) {
        lineFaults.add(new LineFault(keys, rpcCode, status, message, false, null));
    }

    /**
     * As {@link #failLines}, but each matching key fails only the first time it runs; a
     * resubmission succeeds.
     */
    public void failLinesOnce(Predicate<String> keys, int rpcCode, String status, String message) {
        lineFaults.add(
                new LineFault(
                        keys,
                        rpcCode,
                        status,
                        message,
                        true,
                        java.util.concurrent.ConcurrentHashMap.newKeySet()));
    }

    /**
     * The next batch to write its responses leaves out the lines of {@code missing} and writes the
     * lines of {@code unreadable} cut short.
     */
    public synchronized void damageNextResults(Set<String> missing, Set<String> unreadable) {
        damageNext = new Damage(Set.copyOf(missing), Set.copyOf(unreadable));
    }

    /** Keys left out and keys cut short in a responses file. */
    private record Damage(Set<String> missing, Set<String> unreadable) {}

    private Damage damageNext;

    /** The next {@code count} batches expire (Google's 48 h limit) without any result. */
    public void expireNextBatches(int count) {
        this.expireNext = count;
    }

    /**
     * The next {@code count} calls of an operation answer {@code status} without acting.
     * Operations: {@code upload.start}, {@code upload.chunk}, {@code upload.query}, {@code create},
     * {@code get}, {@code list}, {@code cancel}, {@code download}, {@code files.get}, {@code
     * files.delete}, {@code batches.delete}.
     */
    public void failNextCalls(String operation, int status, int count) {
        callFaults.add(new CallFault(operation, status, false, 0, count));
    }

    /** Like {@link #failNextCalls}, after {@code skip} calls of the operation have gone through. */
    public void failCallsAfter(String operation, int skip, int status, int count) {
        callFaults.add(new CallFault(operation, status, false, skip, count));
    }

    /**
     * The next {@code count} calls of an operation take effect, but their answer is lost: replaced
     * by {@code status}, or with status 0 the connection closed without an answer, or with 200 the
     * success answer cut short ({@code create} and {@code upload.chunk}).
     */
    public void loseNextAnswers(String operation, int status, int count) {
        callFaults.add(new CallFault(operation, status, true, 0, count));
    }

    public void setStepDuration(Duration stepDuration) {
        this.stepDuration = stepDuration;
    }

    // ---- observability ----

    /** Files made by uploads that finished (result files excluded), deleted ones included. */
    public int uploadCount() {
        synchronized (files) {
            return (int) files.values().stream().filter(f -> !f.generated).count();
        }
    }

    /** Batches created, adopted ones included once. */
    public synchronized int createCount() {
        return createCount;
    }

    public Set<String> liveBatchNames() {
        synchronized (batches) {
            Set<String> live = new HashSet<>();
            batches.values().stream()
                    .filter(b -> !b.deleted)
                    .forEach(b -> live.add("batches/" + b.id));
            return live;
        }
    }

    /** Display names of every batch ever created, with repeats: a shard made twice shows twice. */
    public List<String> createdDisplayNames() {
        synchronized (batches) {
            return batches.values().stream().map(b -> b.displayName).toList();
        }
    }

    public Set<String> liveFileNames() {
        synchronized (files) {
            Set<String> live = new HashSet<>();
            files.values().stream().filter(f -> !f.deleted).forEach(f -> live.add("files/" + f.id));
            return live;
        }
    }

    /**
     * Answers of the simulator that did not conform to the discovery document (empty when none was
     * given).
     */
    public List<String> conformanceProblems() {
        return List.copyOf(conformanceProblems);
    }

    public List<String> requestLog() {
        return List.copyOf(requestLog);
    }

    /** Prompt, candidate and thought tokens reported in successful lines. */
    public synchronized long[] knownUsage() {
        return new long[] {knownPrompt, knownCandidates, knownThoughts};
    }

    @Override
    public void close() {
        server.stop(0);
        SimHttp.deleteTree(dir);
    }

    // ---- HTTP ----

    private void handle(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getRawPath();
        // Not try-with-resources: its close would run before the catch, and the 500 would never be
        // sent.
        try {
            route(ex, method, path, query(ex.getRequestURI().getRawQuery()));
        } catch (ConnectionDropped e) {
            // The call took effect; the connection closes without an answer.
            requestLog.add(method + " " + path + " -> reset");
        } catch (RuntimeException | Error e) {
            System.err.println("gemini simulator: " + method + " " + path + " failed: " + e);
            send(ex, 500, error(500, "INTERNAL", "simulator failure: " + e.getMessage()));
        } finally {
            ex.close();
        }
    }

    private int route(HttpExchange ex, String method, String path, Map<String, String> q)
            throws IOException {
        String key = ex.getRequestHeaders().getFirst("x-goog-api-key");
        if (key == null) {
            key = q.get("key");
        }
        if (key == null || key.isBlank()) {
            return send(
                    ex,
                    403,
                    error(
                            403,
                            "PERMISSION_DENIED",
                            "Method doesn't allow unregistered callers "
                                    + "(callers without established identity). Please use API Key or other form of API consumer identity"));
        }
        if (apiKey != null && !apiKey.equals(key)) {
            return send(
                    ex,
                    400,
                    error(
                            400,
                            "INVALID_ARGUMENT",
                            "API key not valid. Please pass a valid API key."));
        }
        if (path.equals("/upload/v1beta/files") && method.equals("POST")) {
            return q.containsKey("upload_id")
                    ? uploadCommand(ex, q.get("upload_id"))
                    : uploadStart(ex);
        }
        Matcher m;
        if ((m = MODEL_PATH.matcher(path)).matches() && method.equals("POST")) {
            return create(ex, m.group(1));
        }
        if (path.equals("/v1beta/batches") && method.equals("GET")) {
            return list(ex, q);
        }
        if ((m = BATCH_PATH.matcher(path)).matches()) {
            return batch(ex, method, m.group(1), m.group(2) != null);
        }
        if (path.equals("/v1beta/files") && method.equals("GET")) {
            return listFiles(ex, q);
        }
        if ((m = FILE_PATH.matcher(path)).matches()) {
            return file(ex, method, m.group(1));
        }
        if ((m = DOWNLOAD_PATH.matcher(path)).matches() && method.equals("GET")) {
            return download(ex, m.group(1), q);
        }
        return send(
                ex,
                404,
                error(
                        404,
                        "NOT_FOUND",
                        "The requested URL " + path + " was not found on this server."));
    }

    /**
     * The fault for this call, if any: a refusal (returned before acting) or a lost answer (after).
     */
    private synchronized CallFault takeFault(String operation) {
        for (CallFault f : callFaults) {
            if (f.operation.equals(operation) && f.left > 0) {
                if (f.skip > 0) {
                    f.skip--;
                    continue;
                }
                f.left--;
                return f;
            }
        }
        return null;
    }

    /** Thrown for a lost answer of status 0: the exchange closes without any answer. */
    private static final class ConnectionDropped extends RuntimeException {
        ConnectionDropped() {
            super("answer withheld", null, false, false);
        }
    }

    /**
     * The answer of a call whose answer is lost after it acted: status 0 closes the connection
     * without an answer, 200 sends {@code whole} cut to a third, any other status is an error.
     */
    private int lose(HttpExchange ex, CallFault f, String operation, byte[] whole)
            throws IOException {
        if (f.status == 0) {
            throw new ConnectionDropped();
        }
        if (f.status == 200) {
            return send(ex, 200, java.util.Arrays.copyOf(whole, whole.length / 3));
        }
        return refuse(ex, f, operation);
    }

    private int refuse(HttpExchange ex, CallFault f, String operation) throws IOException {
        if (f.status == 429) {
            ex.getResponseHeaders().add("Retry-After", "1");
            return send(
                    ex,
                    429,
                    error(429, "RESOURCE_EXHAUSTED", "injected: quota exceeded on " + operation));
        }
        return send(
                ex,
                f.status,
                error(
                        f.status,
                        f.status == 503
                                ? "UNAVAILABLE"
                                : f.status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION",
                        "injected failure of " + operation));
    }

    // ---- Files API ----

    private int uploadStart(HttpExchange ex) throws IOException {
        var h = ex.getRequestHeaders();
        JsonNode body = readJson(ex);
        CallFault fault = takeFault("upload.start");
        if (fault != null && !fault.applied) {
            return refuse(ex, fault, "upload.start");
        }
        if (!"resumable".equals(h.getFirst("X-Goog-Upload-Protocol"))
                || !"start".equals(h.getFirst("X-Goog-Upload-Command"))) {
            return send(
                    ex,
                    400,
                    error(
                            400,
                            "INVALID_ARGUMENT",
                            "this endpoint takes X-Goog-Upload-Protocol: resumable "
                                    + "with X-Goog-Upload-Command: start"));
        }
        long declared;
        try {
            declared =
                    Long.parseLong(
                            String.valueOf(h.getFirst("X-Goog-Upload-Header-Content-Length")));
        } catch (NumberFormatException e) {
            return send(
                    ex,
                    400,
                    error(
                            400,
                            "INVALID_ARGUMENT",
                            "X-Goog-Upload-Header-Content-Length is required"));
        }
        if (declared <= 0) {
            return send(ex, 400, error(400, "INVALID_ARGUMENT", "the file is empty"));
        }
        if (declared > MAX_FILE_BYTES) {
            return send(ex, 413, error(413, "INVALID_ARGUMENT", "the file exceeds the 2 GB limit"));
        }
        if (body == null) {
            return send(
                    ex,
                    400,
                    error(
                            400,
                            "INVALID_ARGUMENT",
                            "the body must be a CreateFileRequest JSON object"));
        }
        String invalid = invalidRequest("CreateFileRequest", body);
        if (invalid != null) {
            return send(ex, 400, error(400, "INVALID_ARGUMENT", invalid));
        }
        JsonNode file = body.path("file");
        String mime = h.getFirst("X-Goog-Upload-Header-Content-Type");
        String id = "upl" + UUID.randomUUID().toString().replace("-", "");
        uploads.put(
                id,
                new Upload(
                        id,
                        declared,
                        file.path("displayName").asText(file.path("display_name").asText(null)),
                        mime != null
                                ? mime
                                : file.path("mimeType").asText("application/octet-stream"),
                        dir.resolve(id + ".bin")));
        ex.getResponseHeaders()
                .add(
                        "x-goog-upload-url",
                        baseUrl()
                                + "/upload/v1beta/files?upload_id="
                                + id
                                + "&upload_protocol=resumable");
        ex.getResponseHeaders().add("x-goog-upload-status", "active");
        ex.getResponseHeaders()
                .add("x-goog-upload-chunk-granularity", Integer.toString(CHUNK_GRANULARITY));
        return send(ex, 200, new byte[0]);
    }

    private int uploadCommand(HttpExchange ex, String id) throws IOException {
        Upload u = uploads.get(id);
        if (u == null) {
            return send(ex, 404, error(404, "NOT_FOUND", "no upload session " + id));
        }
        String command =
                String.valueOf(ex.getRequestHeaders().getFirst("X-Goog-Upload-Command"))
                        .toLowerCase(Locale.ROOT);
        Set<String> words = new HashSet<>();
        for (String w : command.split(",")) {
            words.add(w.trim());
        }
        synchronized (u) {
            if (words.contains("query")) {
                CallFault fault = takeFault("upload.query");
                if (fault != null) {
                    return refuse(ex, fault, "upload.query");
                }
                ex.getResponseHeaders()
                        .add("x-goog-upload-size-received", Long.toString(u.received));
                if (u.finished != null) {
                    ex.getResponseHeaders().add("x-goog-upload-status", "final");
                    return send(ex, 200, fileResponse(u.finished));
                }
                ex.getResponseHeaders().add("x-goog-upload-status", "active");
                return send(ex, 200, new byte[0]);
            }
            if (!words.contains("upload") && !words.contains("finalize")) {
                return send(
                        ex,
                        400,
                        error(
                                400,
                                "INVALID_ARGUMENT",
                                "X-Goog-Upload-Command must be upload, finalize "
                                        + "or query, was '"
                                        + command
                                        + "'"));
            }
            if (u.finished != null) {
                return send(
                        ex,
                        400,
                        error(
                                400,
                                "FAILED_PRECONDITION",
                                "the upload " + id + " is already finalized"));
            }
            CallFault fault = takeFault("upload.chunk");
            if (fault != null && !fault.applied) {
                ex.getRequestBody().transferTo(OutputStream.nullOutputStream());
                return refuse(ex, fault, "upload.chunk");
            }
            long offset;
            try {
                offset =
                        Long.parseLong(
                                String.valueOf(
                                        ex.getRequestHeaders().getFirst("X-Goog-Upload-Offset")));
            } catch (NumberFormatException e) {
                return send(
                        ex,
                        400,
                        error(400, "INVALID_ARGUMENT", "X-Goog-Upload-Offset is required"));
            }
            if (offset != u.received) {
                ex.getResponseHeaders()
                        .add("x-goog-upload-size-received", Long.toString(u.received));
                return send(
                        ex,
                        400,
                        error(
                                400,
                                "INVALID_ARGUMENT",
                                "X-Goog-Upload-Offset "
                                        + offset
                                        + " does not match the "
                                        + u.received
                                        + " bytes received"));
            }
            long n;
            try (InputStream in = ex.getRequestBody();
                    OutputStream out =
                            Files.newOutputStream(
                                    u.path, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                n = in.transferTo(out);
            }
            boolean finalize = words.contains("finalize");
            if (!finalize && n % CHUNK_GRANULARITY != 0) {
                truncate(u);
                return send(
                        ex,
                        400,
                        error(
                                400,
                                "INVALID_ARGUMENT",
                                "a chunk that does not finalize must be a multiple of "
                                        + CHUNK_GRANULARITY
                                        + " bytes, was "
                                        + n));
            }
            if (u.received + n > u.declared) {
                truncate(u);
                return send(
                        ex,
                        400,
                        error(
                                400,
                                "INVALID_ARGUMENT",
                                "the upload exceeds its declared length " + u.declared));
            }
            u.received += n;
            if (finalize) {
                if (u.received != u.declared) {
                    u.received -= n;
                    truncate(u);
                    return send(
                            ex,
                            400,
                            error(
                                    400,
                                    "INVALID_ARGUMENT",
                                    "finalized with "
                                            + u.received
                                            + " bytes; X-Goog-Upload-Header-Content-Length declared "
                                            + u.declared));
                }
                String fileId = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
                StoredFile f =
                        new StoredFile(
                                fileId, u.displayName, u.mimeType, u.path, false, clock.instant());
                f.size = u.received;
                files.put(fileId, f);
                u.finished = f;
            }
            if (fault != null) {
                return lose(
                        ex,
                        fault,
                        "upload.chunk",
                        finalize ? fileResponse(u.finished) : new byte[0]);
            }
            ex.getResponseHeaders().add("x-goog-upload-status", finalize ? "final" : "active");
            ex.getResponseHeaders().add("x-goog-upload-size-received", Long.toString(u.received));
            return send(ex, 200, finalize ? fileResponse(u.finished) : new byte[0]);
        }
    }

    private static void truncate(Upload u) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(u.path, StandardOpenOption.WRITE)) {
            ch.truncate(u.received);
        }
    }

    private byte[] fileResponse(StoredFile f) {
        ObjectNode n = JSON.createObjectNode();
        n.set("file", fileJson(f));
        return conform("CreateFileResponse", n);
    }

    private ObjectNode fileJson(StoredFile f) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", "files/" + f.id);
        if (f.displayName != null) {
            n.put("displayName", f.displayName);
        }
        n.put("mimeType", f.mimeType);
        n.put("sizeBytes", Long.toString(f.size));
        n.put("createTime", f.createdAt.toString());
        n.put("updateTime", f.createdAt.toString());
        n.put("expirationTime", f.createdAt.plus(Duration.ofHours(48)).toString());
        n.put("uri", baseUrl() + "/v1beta/files/" + f.id);
        if (f.generated) {
            n.put(
                    "downloadUri",
                    baseUrl() + "/download/v1beta/files/" + f.id + ":download?alt=media");
        }
        n.put("state", "ACTIVE");
        n.put("source", f.generated ? "GENERATED" : "UPLOADED");
        return n;
    }

    /**
     * {@code files.list}: the project's files newest first, {@code pageSize} (at most 100, default
     * 10) a page, paged with an opaque {@code pageToken}.
     */
    private int listFiles(HttpExchange ex, Map<String, String> q) throws IOException {
        CallFault fault = takeFault("files.list");
        if (fault != null) {
            return refuse(ex, fault, "files.list");
        }
        int size = 10;
        if (q.containsKey("pageSize")) {
            try {
                size = Math.max(1, Math.min(100, Integer.parseInt(q.get("pageSize"))));
            } catch (NumberFormatException e) {
                return send(ex, 400, error(400, "INVALID_ARGUMENT", "pageSize must be an integer"));
            }
        }
        List<StoredFile> live;
        synchronized (files) {
            live = new ArrayList<>(files.values().stream().filter(f -> !f.deleted).toList());
        }
        live.sort(java.util.Comparator.comparing((StoredFile f) -> f.createdAt).reversed());
        int from = 0;
        if (q.containsKey("pageToken")) {
            try {
                from =
                        Integer.parseInt(
                                new String(
                                        java.util.Base64.getUrlDecoder().decode(q.get("pageToken")),
                                        StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                return send(ex, 400, error(400, "INVALID_ARGUMENT", "invalid page token"));
            }
        }
        ObjectNode out = JSON.createObjectNode();
        ArrayNode list = out.putArray("files");
        for (int i = from; i < Math.min(live.size(), from + size); i++) {
            list.add(fileJson(live.get(i)));
        }
        if (from + size < live.size()) {
            out.put(
                    "nextPageToken",
                    java.util.Base64.getUrlEncoder()
                            .encodeToString(
                                    Integer.toString(from + size)
                                            .getBytes(StandardCharsets.UTF_8)));
        }
        return send(ex, 200, conform("ListFilesResponse", out));
    }

    private int file(HttpExchange ex, String method, String id) throws IOException {
        String operation = method.equals("DELETE") ? "files.delete" : "files.get";
        CallFault fault = takeFault(operation);
        if (fault != null && !fault.applied) {
            return refuse(ex, fault, operation);
        }
        StoredFile f = files.get(id);
        if (f == null || f.deleted) {
            return send(
                    ex,
                    403,
                    error(
                            403,
                            "PERMISSION_DENIED",
                            "You do not have permission to access the File "
                                    + id
                                    + " or it may not exist."));
        }
        if (method.equals("GET")) {
            return send(ex, 200, conform("File", fileJson(f)));
        }
        if (method.equals("DELETE")) {
            f.deleted = true;
            if (fault != null) {
                return refuse(ex, fault, operation);
            }
            return send(ex, 200, conform("Empty", JSON.createObjectNode()));
        }
        return send(ex, 405, error(405, "INVALID_ARGUMENT", method + " is not allowed on a file"));
    }

    private int download(HttpExchange ex, String id, Map<String, String> q) throws IOException {
        CallFault fault = takeFault("download");
        if (fault != null) {
            return refuse(ex, fault, "download");
        }
        if (!"media".equals(q.get("alt"))) {
            return send(ex, 400, error(400, "INVALID_ARGUMENT", "a download takes alt=media"));
        }
        StoredFile f = files.get(id);
        if (f == null || f.deleted) {
            return send(ex, 404, error(404, "NOT_FOUND", "File files/" + id + " not found."));
        }
        if (!f.generated) {
            return send(
                    ex,
                    400,
                    error(
                            400,
                            "INVALID_ARGUMENT",
                            "Only generated files can be downloaded; files/"
                                    + id
                                    + " was uploaded"));
        }
        ex.getResponseHeaders().add("Content-Type", "application/jsonl");
        record(ex, 200);
        ex.sendResponseHeaders(200, Files.size(f.path));
        try (OutputStream out = ex.getResponseBody()) {
            Files.copy(f.path, out);
        }
        return 200;
    }

    // ---- batches ----

    private int create(HttpExchange ex, String model) throws IOException {
        JsonNode body = readJson(ex);
        CallFault fault = takeFault("create");
        if (fault != null && !fault.applied) {
            return refuse(ex, fault, "create");
        }
        if (body == null || !body.path("batch").isObject()) {
            return send(
                    ex,
                    400,
                    error(
                            400,
                            "INVALID_ARGUMENT",
                            "the body must be a BatchGenerateContentRequest "
                                    + "{\"batch\": GenerateContentBatch}"));
        }
        String invalid = invalidRequest("BatchGenerateContentRequest", body);
        if (invalid != null) {
            return send(ex, 400, error(400, "INVALID_ARGUMENT", invalid));
        }
        JsonNode batch = body.get("batch");
        String displayName = batch.path("displayName").asText("");
        if (displayName.isEmpty()) {
            return send(ex, 400, error(400, "INVALID_ARGUMENT", "batch.display_name is required"));
        }
        JsonNode bodyModel = batch.get("model");
        if (bodyModel != null && !bodyModel.asText().equals("models/" + model)) {
            return send(
                    ex,
                    400,
                    error(
                            400,
                            "INVALID_ARGUMENT",
                            "batch.model "
                                    + bodyModel
                                    + " does not match the "
                                    + "model in the URL, models/"
                                    + model));
        }
        if (!model.startsWith("gemini-")) {
            return send(
                    ex,
                    404,
                    error(
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
            return send(
                    ex,
                    400,
                    error(400, "INVALID_ARGUMENT", "this simulator takes file input only"));
        }
        if (!fileName.startsWith("files/")) {
            return send(
                    ex,
                    400,
                    error(400, "INVALID_ARGUMENT", "batch.input_config.file_name is required"));
        }
        StoredFile f = files.get(fileName.substring("files/".length()));
        if (f == null || f.deleted || f.generated) {
            return send(
                    ex,
                    400,
                    error(400, "INVALID_ARGUMENT", "input file " + fileName + " was not found"));
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
        b.requestCount = countLines(f.path);
        synchronized (this) {
            createCount++;
            if (expireNext > 0) {
                expireNext--;
                b.expire = true;
            }
        }
        batches.put(id, b);
        if (fault != null) {
            return lose(ex, fault, "create", conform("Operation", operation(b)));
        }
        return send(ex, 200, conform("Operation", operation(b)));
    }

    private int list(HttpExchange ex, Map<String, String> q) throws IOException {
        CallFault fault = takeFault("list");
        if (fault != null) {
            return refuse(ex, fault, "list");
        }
        int size = MAX_PAGE;
        if (q.containsKey("pageSize")) {
            try {
                size = Math.max(1, Math.min(MAX_PAGE, Integer.parseInt(q.get("pageSize"))));
            } catch (NumberFormatException e) {
                return send(ex, 400, error(400, "INVALID_ARGUMENT", "pageSize must be an integer"));
            }
        }
        List<Batch> live;
        synchronized (batches) {
            live = new ArrayList<>(batches.values().stream().filter(b -> !b.deleted).toList());
        }
        Collections.reverse(live);
        int from = 0;
        if (q.containsKey("pageToken")) {
            try {
                from =
                        Integer.parseInt(
                                new String(
                                        java.util.Base64.getUrlDecoder().decode(q.get("pageToken")),
                                        StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                return send(ex, 400, error(400, "INVALID_ARGUMENT", "invalid page token"));
            }
        }
        ObjectNode out = JSON.createObjectNode();
        ArrayNode ops = out.putArray("operations");
        for (int i = from; i < Math.min(live.size(), from + size); i++) {
            ops.add(operation(live.get(i)));
        }
        if (from + size < live.size()) {
            out.put(
                    "nextPageToken",
                    java.util.Base64.getUrlEncoder()
                            .encodeToString(
                                    Integer.toString(from + size)
                                            .getBytes(StandardCharsets.UTF_8)));
        }
        return send(ex, 200, conform("ListOperationsResponse", out));
    }

    private int batch(HttpExchange ex, String method, String id, boolean cancel)
            throws IOException {
        String operation = cancel ? "cancel" : method.equals("DELETE") ? "batches.delete" : "get";
        if (cancel) {
            readJson(ex);
        }
        CallFault fault = takeFault(operation);
        if (fault != null && !fault.applied) {
            return refuse(ex, fault, operation);
        }
        Batch b = batches.get(id);
        if (b == null || b.deleted) {
            return send(ex, 404, error(404, "NOT_FOUND", "Requested entity was not found."));
        }
        if (cancel && method.equals("POST")) {
            synchronized (this) {
                if (!b.done()) {
                    b.cancelRequested = true;
                }
            }
            return send(ex, 200, conform("Empty", JSON.createObjectNode()));
        }
        if (method.equals("GET") && !cancel) {
            step(b);
            return send(ex, 200, conform("Operation", operation(b)));
        }
        if (method.equals("DELETE") && !cancel) {
            b.deleted = true;
            if (fault != null) {
                return refuse(ex, fault, operation);
            }
            return send(ex, 200, conform("Empty", JSON.createObjectNode()));
        }
        return send(ex, 405, error(405, "INVALID_ARGUMENT", method + " is not allowed here"));
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
            b.error = status(1, "CANCELLED", "the batch was cancelled");
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
                    status(
                            4,
                            "DEADLINE_EXCEEDED",
                            "Batch has not been processed within the 48h timeframe");
            return;
        }
        StoredFile input = files.get(b.inputFile.substring("files/".length()));
        Damage damage = damageNext;
        damageNext = null;
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
                            status(
                                    3,
                                    "INVALID_ARGUMENT",
                                    "the input file holds a line that is not JSON");
                    return;
                }
                ObjectNode result = result(b, req);
                if (result.has("response")) {
                    conform("GenerateContentResponse", result.get("response"));
                } else {
                    conform("Status", result.get("error"));
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
        files.put(outId, f);
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
        LineFault fault =
                key == null
                        ? null
                        : lineFaults.stream()
                                .filter(
                                        f ->
                                                f.keys().test(key.asText())
                                                        && (!f.once()
                                                                || f.failed().add(key.asText())))
                                .findFirst()
                                .orElse(null);
        JsonNode contents = request == null ? null : request.get("contents");
        if (fault != null) {
            line.set("error", status(fault.code(), fault.status(), fault.message()));
            b.failed++;
        } else if (request != null && invalidRequest("GenerateContentRequest", request) != null) {
            line.set(
                    "error",
                    status(
                            3,
                            "INVALID_ARGUMENT",
                            invalidRequest("GenerateContentRequest", request)));
            b.failed++;
        } else if (contents == null || !contents.isArray() || contents.isEmpty()) {
            line.set(
                    "error",
                    status(
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

    /**
     * Google's answer to a body its proto parser refuses, or null when the body conforms (or no
     * document is set).
     */
    private String invalidRequest(String schema, JsonNode body) {
        if (discovery == null) {
            return null;
        }
        List<String> problems = discovery.checkRequest(schema, body);
        return problems.isEmpty() ? null : "Invalid JSON payload received. " + problems.get(0);
    }

    /** Holds an answer to the document: a non-conforming one is recorded and fails the call. */
    private byte[] conform(String schema, JsonNode answer) {
        if (discovery != null) {
            List<String> problems = new ArrayList<>(discovery.checkResponse(schema, answer));
            if (schema.equals("Operation")) {
                if (answer.has("metadata")) {
                    problems.addAll(
                            discovery.checkResponse(
                                    "GenerateContentBatch", answer.get("metadata")));
                }
                if (answer.has("response")) {
                    problems.addAll(
                            discovery.checkResponse(
                                    "GenerateContentBatchOutput", answer.get("response")));
                }
            } else if (schema.equals("ListOperationsResponse")) {
                for (JsonNode op : answer.path("operations")) {
                    conform("Operation", op);
                }
            }
            if (!problems.isEmpty()) {
                conformanceProblems.addAll(problems);
                throw new IllegalStateException(
                        "the answer does not conform to " + schema + ": " + problems);
            }
        }
        return answer.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static long countLines(Path p) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(p)) {
            return r.lines().filter(l -> !l.isBlank()).count();
        }
    }

    private static ObjectNode status(int code, String status, String message) {
        ObjectNode s = JSON.createObjectNode();
        s.put("code", code);
        s.put("message", message);
        // google.rpc.Status has code, message and details; the name travels only in the HTTP
        // envelope.
        return s;
    }

    /** The body as JSON, or null when it is not a JSON object. */
    private static JsonNode readJson(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes(8 * 1024 * 1024);
            if (bytes.length == 0) {
                return null;
            }
            JsonNode n = JSON.readTree(bytes);
            return n != null && n.isObject() ? n : null;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return null;
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw == null) {
            return q;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k =
                    URLDecoder.decode(
                            eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            q.put(
                    k,
                    eq < 0
                            ? ""
                            : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return q;
    }

    private static byte[] error(int code, String status, String message) {
        ObjectNode n = JSON.createObjectNode();
        n.putObject("error").put("code", code).put("message", message).put("status", status);
        return n.toString().getBytes(StandardCharsets.UTF_8);
    }

    private int send(HttpExchange ex, int status, byte[] body) throws IOException {
        record(ex, status);
        return SimHttp.send(ex, status, "application/json; charset=UTF-8", body);
    }

    /**
     * Logs a call before its answer is written: a client that has its answer must find its call in
     * {@link #requestLog()}, or a test reading the log right after the answer races the handler.
     */
    private void record(HttpExchange ex, int status) {
        requestLog.add(
                ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath() + " -> " + status);
    }
}
