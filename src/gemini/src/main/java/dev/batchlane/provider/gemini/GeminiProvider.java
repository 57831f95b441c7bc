package dev.batchlane.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.http.Escape;
import dev.batchlane.http.Failures;
import dev.batchlane.http.ProviderHttp;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * {@link BatchProvider} for the Gemini API's batch mode (v1beta). A shard is uploaded with the
 * Files API's resumable protocol, chunk by chunk from the staged object, so a shard of up to 2 GB
 * never sits in memory; a batch is created from the file with {@code
 * models/{model}:batchGenerateContent} and followed through its long-running operation; the
 * responses file is streamed and each line handed on by its {@code key}; the batch and both files
 * are deleted at cleanup.
 *
 * <p>Handles are Google resource names ({@code files/…}, {@code batches/…}). The batch's own name
 * travels in the error-file slot of a shard (Gemini has no error file: failed lines sit in the
 * responses file), so that cleanup, which gets only the shard's handles, can delete the batch too.
 *
 * <p>Creation is not idempotent at Google, and a create whose answer is lost (5xx, timeout, a
 * reset) may still have made a batch. Every batch is therefore named after its job and shard, and
 * before any create the adapter looks for a batch of that display name; one found is adopted, not
 * created again.
 */
public final class GeminiProvider implements BatchProvider {
    private static final System.Logger LOG = System.getLogger(GeminiProvider.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final GeminiContract CONTRACT = new GeminiContract();

    /**
     * The Files API's limit on one file, as the discovery document's {@code mediaUpload.maxSize}
     * states it.
     */
    static final long MAX_UPLOAD_BYTES = 2_147_483_648L;

    /**
     * A chunk whose sending failed is resumed from what the server holds, this many times per
     * upload.
     */
    private static final int MAX_RESUMES = 3;

    private static final int LIST_PAGE_SIZE = 100;
    private static final Pattern BATCH_NAME = Pattern.compile("^batches/[^/?#]+$");
    private static final Pattern FILE_NAME = Pattern.compile("^files/[^/?#]+$");

    private final GeminiConfig config;
    private final ProviderHttp http;

    public GeminiProvider(GeminiConfig config, HttpClient http) {
        this.config = Objects.requireNonNull(config, "config");
        this.http =
                new ProviderHttp(
                        "gemini",
                        Objects.requireNonNull(http, "http"),
                        config.baseUrl(),
                        config.requestTimeout(),
                        Map.of("x-goog-api-key", config.apiKey()));
    }

    @Override
    public String name() {
        return "gemini";
    }

    @Override
    public RequestContract contract() {
        return CONTRACT;
    }

    @Override
    public IngestLimits limits() {
        return GeminiContract.LIMITS;
    }

    /**
     * Upload and create in one go; the upload is deleted again only when the create was surely
     * refused.
     */
    @Override
    public Submission submit(Payload payload, String endpoint, Map<String, String> metadata) {
        String fileId = upload(payload);
        try {
            return create(fileId, payload, endpoint, metadata);
        } catch (ProviderException e) {
            if (!ambiguous(e)) {
                deleteQuietly(fileId);
            }
            throw e;
        }
    }

    // ---- Files API: resumable upload
    // --------------------------------------------------------------

    /**
     * Starts a resumable upload session and sends the shard in chunks of {@link
     * GeminiConfig#uploadChunkBytes()}, the last one with {@code upload, finalize}. A chunk that
     * fails in transit (or with a 5xx) is not sent again blindly: the session is asked how many
     * bytes it holds ({@code query}) and the upload goes on from there, reopening the staged object
     * at that offset. A file left behind by an upload that failed for good expires at Google after
     * 48 hours.
     */
    @Override
    public String upload(Payload payload) {
        Objects.requireNonNull(payload, "payload");
        if (payload.size() <= 0) {
            throw new IllegalArgumentException(
                    "payload "
                            + payload.name()
                            + " is empty (size "
                            + payload.size()
                            + "); a batch input file must hold at least one request");
        }
        if (payload.size() > MAX_UPLOAD_BYTES) {
            throw new ProviderException(
                    "gemini media.upload failed: 0 file_too_large: payload "
                            + payload.name()
                            + " is "
                            + payload.size()
                            + " bytes; the Files API takes at most "
                            + MAX_UPLOAD_BYTES,
                    0,
                    "file_too_large",
                    false,
                    null);
        }
        ObjectNode body = JSON.createObjectNode();
        body.putObject("file")
                .put("displayName", payload.name())
                .put("mimeType", "application/jsonl");
        HttpRequest start =
                http.request("upload/v1beta/files")
                        .header("X-Goog-Upload-Protocol", "resumable")
                        .header("X-Goog-Upload-Command", "start")
                        .header(
                                "X-Goog-Upload-Header-Content-Length",
                                Long.toString(payload.size()))
                        .header("X-Goog-Upload-Header-Content-Type", "application/jsonl")
                        .header("Content-Type", "application/json")
                        .POST(ProviderHttp.json(body))
                        .build();
        HttpResponse<InputStream> started = http.open("media.upload", start);
        String session;
        try (InputStream in = started.body()) {
            session = started.headers().firstValue("x-goog-upload-url").orElse(null);
        } catch (IOException e) {
            throw Failures.transport("gemini", "media.upload", e);
        }
        if (session == null || session.isBlank()) {
            throw http.malformed(
                    "media.upload",
                    started.statusCode(),
                    "the start of the upload gave no x-goog-upload-url",
                    null);
        }
        String fileName = sendChunks(session, payload);
        LOG.log(
                Level.DEBUG,
                "uploaded {0} ({1} bytes) as {2}",
                payload.name(),
                payload.size(),
                fileName);
        return fileName;
    }

    private String sendChunks(String session, Payload payload) {
        long size = payload.size();
        byte[] buffer = new byte[(int) Math.min(config.uploadChunkBytes(), size)];
        long offset = 0;
        int resumes = 0;
        InputStream in = null;
        try {
            in = payload.open();
            while (true) {
                int want = (int) Math.min(buffer.length, size - offset);
                int n = in.readNBytes(buffer, 0, want);
                boolean last = offset + n == size;
                if (n < want) {
                    throw sizeMismatch(
                            payload,
                            "holds " + (offset + n) + " bytes, fewer than its declared " + size);
                }
                if (last && in.read() >= 0) {
                    throw sizeMismatch(payload, "holds more than its declared " + size + " bytes");
                }
                HttpRequest chunk =
                        http.requestTo(URI.create(session))
                                .header(
                                        "X-Goog-Upload-Command",
                                        last ? "upload, finalize" : "upload")
                                .header("X-Goog-Upload-Offset", Long.toString(offset))
                                .POST(BodyPublishers.ofByteArray(buffer, 0, n))
                                .build();
                try {
                    JsonNode answer = sendChunk(chunk, last);
                    if (last) {
                        return fileNameOf(answer);
                    }
                    offset += n;
                } catch (ProviderException e) {
                    if (!(e.statusCode() == 0 || e.statusCode() >= 500)
                            || ++resumes > MAX_RESUMES) {
                        throw e;
                    }
                    Received held = query(session);
                    if (held.file() != null) {
                        return fileNameOf(held.file());
                    }
                    LOG.log(
                            Level.INFO,
                            "upload of {0}: chunk at {1} failed ({2}); resuming at byte {3}",
                            payload.name(),
                            offset,
                            e.code(),
                            held.bytes());
                    in.close();
                    in = payload.open();
                    in.skipNBytes(held.bytes());
                    offset = held.bytes();
                }
            }
        } catch (IOException e) {
            throw new ProviderException(
                    "gemini media.upload failed: 0 payload_unreadable: staged shard "
                            + payload.name()
                            + " could not be read: "
                            + e.getMessage(),
                    0,
                    "payload_unreadable",
                    true,
                    e);
        } finally {
            if (in != null) {
                try {
                    in.close();
                } catch (IOException e) {
                    // releasing the source only; the upload's outcome is decided
                }
            }
        }
    }

    /**
     * Sends one chunk; a non-final chunk answers with status {@code active}, the final one with the
     * File.
     */
    private JsonNode sendChunk(HttpRequest chunk, boolean last) {
        HttpResponse<InputStream> response = http.open("media.upload", chunk);
        String status = response.headers().firstValue("x-goog-upload-status").orElse("");
        if (last) {
            return http.readObject("media.upload", response);
        }
        try (InputStream in = response.body()) {
            in.readNBytes(ProviderHttp.MAX_ERROR_RESPONSE);
        } catch (IOException e) {
            throw Failures.transport("gemini", "media.upload", e);
        }
        if (!status.equals("active")) {
            throw http.malformed(
                    "media.upload",
                    response.statusCode(),
                    "a chunk was answered with upload status '" + status + "', not active",
                    null);
        }
        return null;
    }

    private record Received(long bytes, JsonNode file) {}

    /** Asks the upload session what it holds: a byte count, or the finished File if it is final. */
    private Received query(String session) {
        HttpResponse<InputStream> response =
                http.open(
                        "media.upload",
                        http.requestTo(URI.create(session))
                                .header("X-Goog-Upload-Command", "query")
                                .POST(BodyPublishers.noBody())
                                .build());
        String status = response.headers().firstValue("x-goog-upload-status").orElse("");
        if (status.equals("final")) {
            return new Received(-1, http.readObject("media.upload", response));
        }
        try (InputStream in = response.body()) {
            in.readNBytes(ProviderHttp.MAX_ERROR_RESPONSE);
        } catch (IOException e) {
            throw Failures.transport("gemini", "media.upload", e);
        }
        String received = response.headers().firstValue("x-goog-upload-size-received").orElse(null);
        if (received == null || !status.equals("active")) {
            throw http.malformed(
                    "media.upload",
                    response.statusCode(),
                    "the upload session's status is '" + status + "'",
                    null);
        }
        try {
            return new Received(Long.parseLong(received.trim()), null);
        } catch (NumberFormatException e) {
            throw http.malformed(
                    "media.upload",
                    response.statusCode(),
                    "x-goog-upload-size-received is not a number",
                    e);
        }
    }

    private static String fileNameOf(JsonNode answer) {
        String name = text(answer.path("file").get("name"));
        if (name == null || !FILE_NAME.matcher(name).matches()) {
            throw Failures.malformed(
                    "gemini", "media.upload", 200, "the finished upload names no file", null);
        }
        return name;
    }

    private static ProviderException sizeMismatch(Payload payload, String detail) {
        // The stored shard and its record disagree; sending it again cannot change that.
        return new ProviderException(
                "gemini media.upload failed: 0 payload_size_mismatch: payload "
                        + payload.name()
                        + " "
                        + detail,
                0,
                "payload_size_mismatch",
                false,
                null);
    }

    // ---- batches
    // ----------------------------------------------------------------------------------

    /**
     * Creates the batch from an uploaded file, unless one made by an earlier attempt for this shard
     * exists: that one is adopted. A create whose outcome is unknown is checked once more at once,
     * and again before the caller's next attempt.
     */
    @Override
    public Submission create(
            String inputFileId, Payload payload, String endpoint, Map<String, String> metadata) {
        Objects.requireNonNull(inputFileId, "inputFileId");
        Objects.requireNonNull(endpoint, "endpoint");
        String model = modelOf(endpoint);
        String displayName = displayName(metadata, payload);
        Optional<JsonNode> earlier = findByDisplayName(displayName);
        if (earlier.isPresent()) {
            Submission adopted = submission(earlier.get(), inputFileId);
            LOG.log(
                    Level.WARNING,
                    "batch {0} ({1}) already exists from an earlier attempt; adopted, not created again",
                    adopted.batchId(),
                    displayName);
            return adopted;
        }
        ObjectNode body = JSON.createObjectNode();
        ObjectNode batch = body.putObject("batch");
        batch.put("displayName", displayName);
        batch.put("model", model);
        batch.putObject("inputConfig").put("fileName", inputFileId);
        JsonNode operation;
        try {
            operation =
                    http.sendJson(
                            "models.batchGenerateContent",
                            http.request("v1beta/" + model + ":batchGenerateContent")
                                    .header("Content-Type", "application/json")
                                    .POST(ProviderHttp.json(body))
                                    .build());
        } catch (ProviderException e) {
            if (ambiguous(e)) {
                Optional<JsonNode> made = findQuietly(displayName);
                if (made.isPresent()) {
                    Submission adopted = submission(made.get(), inputFileId);
                    LOG.log(
                            Level.WARNING,
                            "create of {0} failed ({1} {2}) but batch {3} exists; adopted",
                            displayName,
                            e.statusCode(),
                            e.code(),
                            adopted.batchId());
                    return adopted;
                }
            }
            throw e;
        }
        Submission s = submission(operation, inputFileId);
        LOG.log(
                Level.DEBUG,
                "created batch {0} ({1}) from {2}",
                s.batchId(),
                displayName,
                inputFileId);
        return s;
    }

    /**
     * Finds what an unanswered creation made: the batch by its display name, which is unique per
     * shard and the same on every attempt for it (a definite match); for an unanswered upload, the
     * file whose display name is the shard's file name and whose size is the shard's, created since
     * the attempt (definite too: nothing else uploads under that name). Further such files, from a
     * second lost upload, are deleted, since nothing will read them.
     */
    @Override
    public Reconciliation findCreated(CreationQuery q) {
        String displayName = displayName(q.metadata(), q.payload());
        Optional<JsonNode> made = findByDisplayName(displayName);
        if (made.isPresent()) {
            Submission s = submission(made.get(), q.inputFileId());
            return Reconciliation.batch(
                    s.batchId(),
                    q.inputFileId(),
                    s.providerStatus(),
                    "batch " + s.batchId() + " is named " + displayName + " (definite)");
        }
        if (q.inputFileId() != null) {
            return Reconciliation.nothing("no batch named " + displayName);
        }
        java.time.Instant since = q.attemptedAt().minusSeconds(CLOCK_SKEW_SECONDS);
        List<String> uploads = new ArrayList<>();
        String token = null;
        do {
            String path =
                    "v1beta/files?pageSize="
                            + LIST_PAGE_SIZE
                            + (token == null ? "" : "&pageToken=" + Escape.query(token));
            JsonNode page = http.sendJson("files.list", http.request(path).GET().build());
            for (JsonNode f : page.path("files")) {
                java.time.Instant created = createTime(f);
                if (q.payload().name().equals(text(f.get("displayName")))
                        && Long.toString(q.payload().size()).equals(text(f.get("sizeBytes")))
                        && created != null
                        && !created.isBefore(since)) {
                    uploads.add(text(f.get("name")));
                }
            }
            token = text(page.get("nextPageToken"));
        } while (token != null && !token.isEmpty());
        if (uploads.isEmpty()) {
            return Reconciliation.nothing(
                    "no batch named "
                            + displayName
                            + " and no file "
                            + q.payload().name()
                            + " of "
                            + q.payload().size()
                            + " bytes since "
                            + since);
        }
        for (String extra : uploads.subList(1, uploads.size())) {
            deleteQuietly(extra);
        }
        return Reconciliation.file(
                uploads.get(0),
                "file "
                        + uploads.get(0)
                        + " is "
                        + q.payload().name()
                        + " with its "
                        + q.payload().size()
                        + " bytes (definite)");
    }

    /** Provider clocks and ours differ; an upload is looked for from this long before it began. */
    static final long CLOCK_SKEW_SECONDS = 300;

    private static java.time.Instant createTime(JsonNode file) {
        String t = text(file.get("createTime"));
        try {
            return t == null ? null : java.time.Instant.parse(t);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    /** {@code batchlane-<job>-<shard>}: unique per shard, the same on every attempt for it. */
    static String displayName(Map<String, String> metadata, Payload payload) {
        String job = metadata == null ? null : metadata.get("batchlane_job_id");
        String shard = metadata == null ? null : metadata.get("batchlane_shard");
        if (job == null || shard == null) {
            return "batchlane-" + payload.name().replaceAll("\\.jsonl$", "");
        }
        return "batchlane-" + job + "-" + shard;
    }

    /**
     * The batch of this display name, paging through {@code batches.list}; the lane deletes its
     * ended batches, so the list stays short.
     */
    Optional<JsonNode> findByDisplayName(String displayName) {
        String token = null;
        do {
            String path =
                    "v1beta/batches?pageSize="
                            + LIST_PAGE_SIZE
                            + (token == null ? "" : "&pageToken=" + Escape.query(token));
            JsonNode page = http.sendJson("batches.list", http.request(path).GET().build());
            for (JsonNode op : page.path("operations")) {
                if (displayName.equals(op.path("metadata").path("displayName").asText(null))) {
                    return Optional.of(op);
                }
            }
            token = text(page.get("nextPageToken"));
        } while (token != null && !token.isEmpty());
        return Optional.empty();
    }

    private Optional<JsonNode> findQuietly(String displayName) {
        try {
            return findByDisplayName(displayName);
        } catch (ProviderException e) {
            // The caller's next attempt looks again before creating anything.
            return Optional.empty();
        }
    }

    private static Submission submission(JsonNode operation, String inputFileId) {
        String name = text(operation.get("name"));
        if (name == null || !BATCH_NAME.matcher(name).matches()) {
            throw Failures.malformed(
                    "gemini",
                    "models.batchGenerateContent",
                    200,
                    "the operation names no batch",
                    null);
        }
        String wire = text(operation.path("metadata").get("state"));
        if (wire == null) {
            // The operation said nothing of the batch yet: it is accepted, and poll reads on.
            return Submission.batch(name, inputFileId, BatchState.PENDING, null);
        }
        GeminiBatchState state = GeminiBatchState.fromWire(name, wire);
        return Submission.batch(name, inputFileId, state.state(), state.word());
    }

    static String modelOf(String endpoint) {
        String suffix = ":batchGenerateContent";
        if (!endpoint.startsWith("models/")
                || !endpoint.endsWith(suffix)
                || endpoint.length() <= 7 + suffix.length()) {
            throw new IllegalArgumentException(
                    "endpoint '"
                            + endpoint
                            + "' is not models/{model}:batchGenerateContent; the Gemini contract gives that form");
        }
        return endpoint.substring(0, endpoint.length() - suffix.length());
    }

    @Override
    public BatchView retrieve(String batchId) {
        JsonNode op =
                http.sendJson(
                        "batches.get", http.request("v1beta/" + batchPath(batchId)).GET().build());
        JsonNode meta = op.path("metadata");
        GeminiBatchState state = GeminiBatchState.fromWire(batchId, text(meta.get("state")));
        JsonNode stats = meta.path("batchStats");
        BatchCounts counts =
                stats.isObject()
                        ? new BatchCounts(
                                stats.path("requestCount").asLong(0),
                                stats.path("successfulRequestCount").asLong(0),
                                stats.path("failedRequestCount").asLong(0))
                        : BatchCounts.NONE;
        String output = text(meta.path("output").get("responsesFile"));
        if (output == null) {
            output = text(op.path("response").get("responsesFile"));
        }
        String error = null;
        if (state == GeminiBatchState.FAILED) {
            JsonNode e = op.path("error");
            error =
                    e.isObject()
                            ? "gemini failed the batch: "
                                    + e.path("code").asText("?")
                                    + " "
                                    + Failures.truncate(e.path("message").asText("no message"))
                            : "gemini failed the batch without saying why";
        }
        LOG.log(
                Level.DEBUG,
                "batch {0} is {1} ({2}/{3} done, {4} failed)",
                batchId,
                state.word(),
                counts.completed(),
                counts.total(),
                counts.failed());
        return new BatchView(batchId, state.state(), state.word(), counts, output, batchId, error);
    }

    /** {@code batches.cancel}: the batch ends CANCELLED later, keeping what had finished. */
    @Override
    public void cancel(String batchId) {
        http.sendJson(
                "batches.cancel",
                http.request("v1beta/" + batchPath(batchId) + ":cancel")
                        .header("Content-Type", "application/json")
                        .POST(BodyPublishers.ofString("{}"))
                        .build());
        LOG.log(Level.INFO, "batch {0}: cancel requested", batchId);
    }

    // ---- results
    // ----------------------------------------------------------------------------------

    /** Streams the responses file line by line; each line is parsed and handed on alone. */
    @Override
    public void streamResults(BatchView batch, Consumer<LineResult> sink) {
        if (batch.outputFileId() == null) {
            return;
        }
        http.streamLines(
                "files.download",
                http.request(
                                "download/v1beta/"
                                        + filePath(batch.outputFileId())
                                        + ":download?alt=media")
                        .GET()
                        .build(),
                "batch " + batch.batchId() + " file " + batch.outputFileId(),
                GeminiResultLines::parse,
                sink);
    }

    // ---- cleanup
    // ----------------------------------------------------------------------------------

    /**
     * Deletes each handle by its resource name: the input file, the responses file and the batch
     * (which travels as the error-file handle). Every one is attempted; the first failure is thrown
     * afterwards with the others suppressed. Gone already (404) is what cleanup wanted.
     */
    @Override
    public void cleanup(String inputFileId, String outputFileId, String errorFileId) {
        ProviderHttp.deleteEach(this::delete, inputFileId, outputFileId, errorFileId);
    }

    private void delete(String handle) {
        String path = handle.startsWith("batches/") ? batchPath(handle) : filePath(handle);
        String operation = handle.startsWith("batches/") ? "batches.delete" : "files.delete";
        try {
            http.sendJson(operation, http.request("v1beta/" + path).DELETE().build());
            LOG.log(Level.DEBUG, "deleted {0}", handle);
        } catch (ProviderException e) {
            // The Files API answers a file that no longer exists with 403 ("… or it may not
            // exist"); a
            // wrong key would have failed every earlier call of the shard with 400, so 403 here is
            // gone.
            boolean gone =
                    e.statusCode() == 404
                            || (e.statusCode() == 403 && operation.equals("files.delete"));
            if (!gone) {
                throw e;
            }
        }
    }

    private void deleteQuietly(String fileId) {
        try {
            delete(fileId);
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "could not delete uploaded {0} after the batch was refused; it expires after 48 h",
                    fileId);
        }
    }

    // ---- HTTP
    // -------------------------------------------------------------------------------------

    /** A stored batch name as a path, refusing anything that would address another resource. */
    static String batchPath(String name) {
        if (name == null || !BATCH_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "'" + name + "' is not a Gemini batch name (batches/{id})");
        }
        return "batches/" + Escape.segment(name.substring("batches/".length()));
    }

    static String filePath(String name) {
        if (name == null || !FILE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "'" + name + "' is not a Gemini file name (files/{id})");
        }
        return "files/" + Escape.segment(name.substring("files/".length()));
    }

    /**
     * A failure whose call may have taken effect at Google: no answer, a server error, or a 2xx
     * that could not be read. A 4xx or a 429 says nothing was made.
     */
    static boolean ambiguous(ProviderException e) {
        return e.statusCode() == 0
                ? !"payload_size_mismatch".equals(e.code()) && !"file_too_large".equals(e.code())
                : e.statusCode() >= 500 || "malformed_response".equals(e.code());
    }

    static String text(JsonNode node) {
        return node != null && node.isTextual() ? node.asText() : null;
    }
}
