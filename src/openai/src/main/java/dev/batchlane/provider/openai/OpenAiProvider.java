package dev.batchlane.provider.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.ProviderBusy;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Submission;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * {@link BatchProvider} for OpenAI's Files and Batch APIs (docs/providers.md): a shard is uploaded
 * as a {@code purpose=batch} file and a 24 h batch is created from it; results are read back from
 * the batch's output and error files, which are deleted afterwards with the input file.
 *
 * <p>Every failed call becomes a {@link ProviderException} whose {@code retryable} flag is the only
 * thing callers decide on: 408, 409, 429, 5xx and transport failures (status 0) may succeed later,
 * any other status never will. Logs carry ids and counts only, never request or response text nor
 * the API key.
 */
public final class OpenAiProvider implements BatchProvider {
    private static final System.Logger LOG = System.getLogger(OpenAiProvider.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Far above any Files or Batch API object (a batch with its full error list is well under 1 MB),
     * so reaching it means something other than the API answered; the cap keeps that out of memory.
     */
    private static final int MAX_JSON_RESPONSE = 8 * 1024 * 1024;
    /** An error envelope is small; anything longer is an HTML page from a proxy, not worth holding. */
    private static final int MAX_ERROR_RESPONSE = 64 * 1024;
    private static final int MAX_MESSAGE_CHARS = 500;
    private static final int READ_BUFFER = 64 * 1024;
    /**
     * Input files expire by themselves after this (1 h to 30 d is allowed), so one whose id was lost
     * does not sit in the project's storage: long enough for a shard to wait for the queue, run its
     * 24 h window and be completed.
     */
    static final long INPUT_EXPIRES_AFTER_SECONDS = 14 * 24 * 3600L;
    /** Output and error files expire by themselves after this: complete reads and deletes them long before. */
    static final long OUTPUT_EXPIRES_AFTER_SECONDS = 7 * 24 * 3600L;
    /** Provider clocks and ours differ; a creation is looked for from this long before it was started. */
    static final long CLOCK_SKEW_SECONDS = 300;
    /** The codes OpenAI answers when the queue, not the batch, is the problem (create or validation). */
    private static final String TOKEN_LIMIT = "token_limit_exceeded";
    private static final String FILE_NOT_READY = "file_not_ready";

    private final Vendor vendor;
    private final OpenAiConfig config;
    private final HttpClient http;
    private final String base;
    private final OpenAiContract contract;

    public OpenAiProvider(OpenAiConfig config, HttpClient http) {
        this(Vendor.OPENAI, config, http);
    }

    /** A provider for a service on OpenAI's wire that differs from OpenAI as {@code vendor} says. */
    public OpenAiProvider(Vendor vendor, OpenAiConfig config, HttpClient http) {
        this.vendor = Objects.requireNonNull(vendor, "vendor");
        this.contract = new OpenAiContract(vendor);
        this.config = Objects.requireNonNull(config, "config");
        this.http = Objects.requireNonNull(http, "http");
        String url = config.baseUrl().toString();
        this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    public String name() {
        return vendor.name();
    }

    @Override
    public dev.batchlane.core.ingest.IngestLimits limits() {
        return vendor.limits();
    }

    @Override
    public RequestContract contract() {
        return contract;
    }

    /**
     * Uploads {@code payload} and creates a batch from it. When the batch cannot be created the
     * uploaded file is deleted again, because nothing else knows its id and it would otherwise
     * occupy the project's file storage for 30 days.
     */
    @Override
    public Submission submit(Payload payload, String endpoint, Map<String, String> metadata) {
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(endpoint, "endpoint");
        if (payload.size() <= 0) {
            throw new IllegalArgumentException("payload " + payload.name() + " is empty (size " + payload.size()
                    + "); a batch input file must hold at least one request");
        }
        String fileId = uploadFile(payload);
        try {
            JsonNode batch = createBatch(fileId, endpoint, metadata);
            String batchId = requiredText("createBatch", batch, "id");
            String status = batch.path("status").asText(null);
            LOG.log(Level.DEBUG, "created batch {0} from file {1} ({2})", batchId, fileId, status);
            return new Submission(batchId, fileId, status);
        } catch (RuntimeException e) {
            deleteUploadQuietly(fileId);
            throw e;
        }
    }

    /** Uploads the shard; the caller keeps the id so that a failed create reuses the upload. */
    @Override
    public String upload(Payload payload) {
        Objects.requireNonNull(payload, "payload");
        if (payload.size() <= 0) {
            throw new IllegalArgumentException("payload " + payload.name() + " is empty (size " + payload.size()
                    + "); a batch input file must hold at least one request");
        }
        return uploadFile(payload);
    }

    /** Creates a batch from an uploaded file; unlike {@link #submit}, a failure keeps the file for a retry. */
    @Override
    public Submission create(String inputFileId, Payload payload, String endpoint, Map<String, String> metadata) {
        Objects.requireNonNull(inputFileId, "inputFileId");
        Objects.requireNonNull(endpoint, "endpoint");
        JsonNode batch;
        try {
            batch = createBatch(inputFileId, endpoint, metadata);
        } catch (ProviderException e) {
            throw busyIfQueue(e);
        }
        String batchId = requiredText("createBatch", batch, "id");
        String status = batch.path("status").asText(null);
        LOG.log(Level.DEBUG, "created batch {0} from file {1} ({2})", batchId, inputFileId, status);
        return new Submission(batchId, inputFileId, status);
    }

    /**
     * A refused create that is about the queue, not the batch: the enqueued-token limit, the input
     * file not ready yet, or 429. Decided by the error code and status; only the stated limit is
     * read from the message.
     */
    static ProviderException busyIfQueue(ProviderException e) {
        ProviderBusy busy = null;
        if (TOKEN_LIMIT.equals(e.code())) {
            busy = new ProviderBusy(ProviderBusy.Reason.ENQUEUED_TOKENS, ProviderBusy.limitIn(e.getMessage()), e.code());
        } else if (FILE_NOT_READY.equals(e.code())) {
            busy = new ProviderBusy(ProviderBusy.Reason.FILE_NOT_READY, null, e.code());
        } else if (e.statusCode() == 429) {
            busy = new ProviderBusy(ProviderBusy.Reason.RATE_LIMITED, null, e.code());
        }
        if (busy == null) {
            return e;
        }
        return new ProviderException(e.getMessage(), e.statusCode(), e.code(), true, e.retryAfter().orElse(null), busy,
                e.getCause());
    }

    /**
     * Looks for what an unanswered creation made. Batches are listed newest first (100 a page) back
     * to a little before the attempt; one whose metadata carries this job's and shard's ids is it —
     * a definite match, since nothing else sends those ids. For an unanswered upload, files with
     * purpose batch are listed the same way; one named after the shard with the shard's size is
     * it. Any further such files (a second lost upload) are deleted, as nothing will use them.
     */
    @Override
    public Reconciliation findCreated(CreationQuery q) {
        long since = q.attemptedAt().getEpochSecond() - CLOCK_SKEW_SECONDS;
        String after = null;
        int pages = 0;
        do {
            JsonNode page = sendJson("listBatches", request("batches?limit=100" + (after == null ? ""
                    : "&after=" + segment(after))).GET().build());
            JsonNode data = page.path("data");
            boolean older = false;
            for (JsonNode b : data) {
                if (b.path("created_at").asLong(Long.MAX_VALUE) < since) {
                    older = true;
                    break;
                }
                JsonNode meta = b.path("metadata");
                if (q.metadata().entrySet().stream().allMatch(m -> m.getValue().equals(meta.path(m.getKey())
                        .asText(null)))) {
                    return Reconciliation.batch(b.path("id").asText(), optionalText(b, "input_file_id"),
                            b.path("status").asText(null), "batch " + b.path("id").asText() + " carries metadata "
                                    + q.metadata() + " (definite)");
                }
                after = b.path("id").asText(null);
            }
            if (older || !page.path("has_more").asBoolean(false) || data.isEmpty()) {
                break;
            }
        } while (++pages < 1000);
        if (q.inputFileId() != null || q.step() != dev.batchlane.core.job.CreationAttempt.Step.UPLOAD) {
            return Reconciliation.nothing("no batch with metadata " + q.metadata() + " created since "
                    + q.attemptedAt());
        }
        List<String> matches = new ArrayList<>();
        after = null;
        pages = 0;
        do {
            JsonNode page = sendJson("listFiles", request("files?purpose=batch&order=desc&limit=1000"
                    + (after == null ? "" : "&after=" + segment(after))).GET().build());
            JsonNode data = page.path("data");
            boolean older = false;
            for (JsonNode f : data) {
                if (f.path("created_at").asLong(Long.MAX_VALUE) < since) {
                    older = true;
                    break;
                }
                if (formFilename(q.payload().name()).equals(f.path("filename").asText(null))
                        && f.path("bytes").asLong(-1) == q.payload().size()) {
                    matches.add(f.path("id").asText());
                }
                after = f.path("id").asText(null);
            }
            if (older || !page.path("has_more").asBoolean(false) || data.isEmpty()) {
                break;
            }
        } while (++pages < 1000);
        if (matches.isEmpty()) {
            return Reconciliation.nothing("no batch with metadata " + q.metadata() + " and no file named "
                    + q.payload().name() + " created since " + q.attemptedAt());
        }
        for (String extra : matches.subList(1, matches.size())) {
            deleteUploadQuietly(extra);
        }
        return Reconciliation.file(matches.get(0), "file " + matches.get(0) + " is named " + q.payload().name()
                + " with its " + q.payload().size() + " bytes (definite)" + (matches.size() > 1
                        ? "; " + (matches.size() - 1) + " more such upload(s) deleted" : ""));
    }

    @Override
    public BatchView retrieve(String batchId) {
        Objects.requireNonNull(batchId, "batchId");
        JsonNode batch = sendJson("retrieveBatch", request("batches/" + segment(batchId)).GET().build());
        String status = batch.path("status").isTextual() ? Vendor.openAiStatus(batch.get("status").asText()) : null;
        OpenAiBatchStatus known = OpenAiBatchStatus.fromWire(batchId, status);
        JsonNode counts = batch.path("request_counts");
        BatchCounts batchCounts = counts.isObject()
                ? new BatchCounts(counts.path("total").asLong(0), counts.path("completed").asLong(0),
                        counts.path("failed").asLong(0))
                : BatchCounts.NONE;
        String error = known == OpenAiBatchStatus.FAILED ? failureSummary(batch.path("errors").path("data")) : null;
        ProviderBusy busy = known == OpenAiBatchStatus.FAILED ? queueFailure(batch.path("errors").path("data")) : null;
        LOG.log(Level.DEBUG, "batch {0} is {1} ({2}/{3} done, {4} failed)", batchId, status, batchCounts.completed(),
                batchCounts.total(), batchCounts.failed());
        return new BatchView(batchId, known.state(), status, batchCounts, optionalText(batch, "output_file_id"),
                optionalText(batch, "error_file_id"), error, busy);
    }

    /**
     * A batch failed in validation only because the enqueued-token limit was reached (every error
     * has that code): none of its requests ran, and it may be submitted again once there is room.
     */
    static ProviderBusy queueFailure(JsonNode errors) {
        if (!errors.isArray() || errors.isEmpty()) {
            return null;
        }
        Long limit = null;
        for (JsonNode e : errors) {
            if (!TOKEN_LIMIT.equals(text(e.get("code")))) {
                return null;
            }
            if (limit == null) {
                limit = ProviderBusy.limitIn(text(e.get("message")));
            }
        }
        return new ProviderBusy(ProviderBusy.Reason.ENQUEUED_TOKENS, limit, TOKEN_LIMIT);
    }

    /** POST /batches/{id}/cancel: the batch goes to cancelling, then cancelled with partial results. */
    @Override
    public void cancel(String batchId) {
        Objects.requireNonNull(batchId, "batchId");
        JsonNode batch = sendJson("cancelBatch", request("batches/" + segment(batchId) + "/cancel")
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        LOG.log(Level.INFO, "batch {0}: cancel requested, now {1}", batchId, batch.path("status").asText("?"));
    }

    /** Streams the output file, then the error file; each line is parsed and handed on alone. */
    @Override
    public void streamResults(BatchView batch, Consumer<LineResult> sink) {
        Objects.requireNonNull(batch, "batch");
        Objects.requireNonNull(sink, "sink");
        if (batch.outputFileId() != null) {
            streamFile(batch.batchId(), batch.outputFileId(), sink);
        }
        if (batch.errorFileId() != null) {
            streamFile(batch.batchId(), batch.errorFileId(), sink);
        }
    }

    /**
     * Deletes each given file. Every file is attempted even when one fails, so one stubborn file does
     * not leave the others behind; the first failure is thrown afterwards with the rest suppressed.
     */
    @Override
    public void cleanup(String inputFileId, String outputFileId, String errorFileId) {
        ProviderException first = null;
        for (String fileId : new String[] {inputFileId, outputFileId, errorFileId}) {
            if (fileId == null) {
                continue;
            }
            try {
                deleteFile(fileId);
            } catch (ProviderException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    // ---- Files API ------------------------------------------------------------------------------

    /**
     * {@code POST /files} as multipart/form-data. The payload is streamed between a fixed head and
     * tail, so a 200 MB shard never sits in memory; giving its exact length lets the client send a
     * Content-Length (which the Files API expects) rather than chunked encoding.
     */
    private String uploadFile(Payload payload) {
        String boundary = "batchlane-" + UUID.randomUUID().toString().replace("-", "");
        byte[] head = ("--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"purpose\"\r\n\r\n"
                + vendor.filePurpose() + "\r\n"
                + expiresAfter(boundary)
                + "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"file\"; filename=\"" + formFilename(payload.name()) + "\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        OpenedStreams opened = new OpenedStreams();
        BodyPublisher content = BodyPublishers.fromPublisher(BodyPublishers.ofInputStream(() -> opened.open(payload)),
                payload.size());
        HttpRequest request = request("files")
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(BodyPublishers.concat(BodyPublishers.ofByteArray(head), content,
                        BodyPublishers.ofByteArray(tail)))
                .build();
        try {
            JsonNode file = sendJson("createFile", request);
            String fileId = requiredText("createFile", file, "id");
            LOG.log(Level.DEBUG, "uploaded {0} ({1} bytes) as file {2}", payload.name(), payload.size(), fileId);
            return fileId;
        } catch (ProviderException e) {
            String mismatch = opened.sizeMismatch();
            if (mismatch != null) {
                // The stored shard and its record disagree; sending it again cannot change that.
                throw new ProviderException("openai createFile failed: 0 payload_size_mismatch: " + mismatch, 0,
                        "payload_size_mismatch", false, e);
            }
            throw e;
        } finally {
            opened.closeAll();
        }
    }

    /** The {@code expires_after} form fields of an upload, for a vendor that wants its inputs to expire. */
    private String expiresAfter(String boundary) {
        if (vendor.inputFileExpiry() == null) {
            return "";
        }
        return "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"expires_after[anchor]\"\r\n\r\n"
                + "created_at\r\n"
                + "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"expires_after[seconds]\"\r\n\r\n"
                + vendor.inputFileExpiry().toSeconds() + "\r\n";
    }

    private JsonNode createBatch(String inputFileId, String endpoint, Map<String, String> metadata) {
        ObjectNode body = JSON.createObjectNode();
        body.put("input_file_id", inputFileId);
        body.put("endpoint", endpoint);
        body.put("completion_window", "24h");
        if (vendor.equals(Vendor.OPENAI)) {
            // Output and error files expire by themselves too (OpenAI's own field; the vendors differ).
            ObjectNode expiry = body.putObject("output_expires_after");
            expiry.put("anchor", "created_at");
            expiry.put("seconds", OUTPUT_EXPIRES_AFTER_SECONDS);
        }
        if (metadata != null && !metadata.isEmpty() && vendor.sendsMetadata()) {
            ObjectNode meta = body.putObject("metadata");
            metadata.forEach(meta::put);
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings always serialises", e);
        }
        return vendor.createdBatch(sendJson("createBatch", request("batches")
                .header("Content-Type", "application/json")
                .POST(BodyPublishers.ofByteArray(json))
                .build()));
    }

    /** Deletes a file; one already gone (404) is what cleanup wanted anyway. */
    private void deleteFile(String fileId) {
        try {
            sendJson("deleteFile", request("files/" + segment(fileId)).DELETE().build());
            LOG.log(Level.DEBUG, "deleted file {0}", fileId);
        } catch (ProviderException e) {
            if (e.statusCode() == 404) {
                LOG.log(Level.DEBUG, "file {0} was already deleted", fileId);
                return;
            }
            throw e;
        }
    }

    private void deleteUploadQuietly(String fileId) {
        try {
            deleteFile(fileId);
        } catch (RuntimeException e) {
            // The creation failure is what the caller must see; this one only leaves a file behind.
            LOG.log(Level.WARNING, "could not delete uploaded file {0} after the batch was not created ({1}); "
                    + "it expires by itself after 30 days", fileId,
                    e instanceof ProviderException p ? p.statusCode() + " " + p.code() : e.getClass().getSimpleName());
        }
    }

    private void streamFile(String batchId, String fileId, Consumer<LineResult> sink) {
        String operation = "downloadFile";
        HttpResponse<InputStream> response = send(operation,
                request("files/" + segment(fileId) + "/content").GET().build(), BodyHandlers.ofInputStream());
        long lines = 0;
        long skipped = 0;
        try (InputStream in = response.body()) {
            if (!success(response.statusCode())) {
                throw withRetryAfter(failure(operation, response.statusCode(), readUpTo(in, MAX_ERROR_RESPONSE)),
                        response.headers());
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), READ_BUFFER);
            long number = 0;
            String line;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                LineResult result;
                try {
                    result = ResultLines.parse(line);
                } catch (ResultLines.MalformedLineException e) {
                    // One garbled line must not hold back every other result; its request is then
                    // reported as having no result when the results are joined.
                    skipped++;
                    LOG.log(Level.WARNING, "batch {0} file {1} line {2} is not a result line ({3}); skipped",
                            batchId, fileId, number, e.getMessage());
                    continue;
                }
                lines++;
                sink.accept(result);
            }
        } catch (IOException e) {
            throw transportFailure(operation, e);
        }
        LOG.log(Level.DEBUG, "batch {0} file {1}: {2} result line(s), {3} skipped", batchId, fileId, lines, skipped);
    }

    // ---- HTTP -------------------------------------------------------------------------------------

    /** A call to {@code path} under the base, with the vendor's key header and api-version (if any). */
    HttpRequest.Builder request(String path) {
        String[] auth = vendor.authHeader(config.apiKey());
        String query = vendor.apiVersion() == null ? ""
                : (path.contains("?") ? "&" : "?") + "api-version=" + java.net.URLEncoder.encode(vendor.apiVersion(),
                        StandardCharsets.UTF_8);
        return HttpRequest.newBuilder(URI.create(base + "/" + path + query))
                .timeout(config.requestTimeout())
                .header(auth[0], auth[1]);
    }

    /** Sends a call whose answer is one JSON object, and returns that object or throws. */
    JsonNode sendJson(String operation, HttpRequest request) {
        HttpResponse<InputStream> response = send(operation, request, BodyHandlers.ofInputStream());
        int status = response.statusCode();
        byte[] body;
        try (InputStream in = response.body()) {
            if (!success(status)) {
                throw withRetryAfter(failure(operation, status, readUpTo(in, MAX_ERROR_RESPONSE)), response.headers());
            }
            body = readUpTo(in, MAX_JSON_RESPONSE + 1);
        } catch (IOException e) {
            throw transportFailure(operation, e);
        }
        if (body.length > MAX_JSON_RESPONSE) {
            throw new ProviderException("openai " + operation + " failed: " + status
                    + " response_too_large: the answer exceeded " + MAX_JSON_RESPONSE + " bytes", status,
                    "response_too_large", false, null);
        }
        try {
            JsonNode node = JSON.readTree(body);
            if (node != null && node.isObject()) {
                return node;
            }
        } catch (IOException e) {
            throw malformed(operation, status, e);
        }
        throw malformed(operation, status, null);
    }

    private <T> HttpResponse<T> send(String operation, HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (IOException e) {
            throw transportFailure(operation, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProviderException("openai " + operation + " failed: 0 interrupted: the call was interrupted",
                    0, "interrupted", true, e);
        }
    }

    private static boolean success(int status) {
        return status >= 200 && status < 300;
    }

    /**
     * The provider's error envelope {@code {"error": {message, type, param, code}}} as an exception.
     * Only the provider's own message is kept: the body of something other than the API (a proxy's
     * HTML page, say) is not repeated anywhere.
     */
    static ProviderException failure(String operation, int status, byte[] body) {
        String code = null;
        String message = null;
        try {
            JsonNode root = JSON.readTree(body);
            JsonNode error = root.path("error");
            if (!error.isObject() && !error.isTextual() && root.path("message").isTextual()) {
                // Mistral's envelope is flat: {"object": "error", "message", "type", "param", "code"}.
                error = root;
            }
            if (error.isObject()) {
                code = text(error.get("code"));
                if (code == null) {
                    code = text(error.get("type"));
                }
                message = text(error.get("message"));
            } else if (error.isTextual()) {
                message = error.asText();
            }
        } catch (IOException | RuntimeException e) {
            // Not an envelope; the status alone has to speak.
        }
        if (message == null) {
            message = "no error message (the answer was not an OpenAI error envelope)";
        }
        boolean retryable = status == 408 || status == 409 || status == 429 || status >= 500;
        return new ProviderException("openai " + operation + " failed: " + status + (code == null ? "" : " " + code)
                + ": " + truncate(message), status, code, retryable, null);
    }

    /**
     * Adds the wait the provider asked for: {@code retry-after-ms} (what OpenAI sends) or
     * {@code Retry-After} in seconds. An HTTP-date form is ignored; the caller's own backoff applies.
     */
    static ProviderException withRetryAfter(ProviderException e, java.net.http.HttpHeaders headers) {
        java.time.Duration wait = null;
        try {
            var ms = headers.firstValue("retry-after-ms");
            var seconds = headers.firstValue("retry-after");
            if (ms.isPresent()) {
                wait = java.time.Duration.ofMillis((long) Double.parseDouble(ms.get().trim()));
            } else if (seconds.isPresent()) {
                wait = java.time.Duration.ofMillis((long) (Double.parseDouble(seconds.get().trim()) * 1000));
            }
        } catch (NumberFormatException notANumber) {
            return e;
        }
        if (wait == null || wait.isNegative()) {
            return e;
        }
        return new ProviderException(e.getMessage(), e.statusCode(), e.code(), e.retryable(), wait, e.getCause());
    }

    /** No answer at all: the network, a timeout, or a connection cut mid-body. Worth trying again. */
    private static ProviderException transportFailure(String operation, IOException e) {
        boolean timeout = e instanceof HttpTimeoutException;
        String code = timeout ? "timeout" : "io_error";
        String detail = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + truncate(e.getMessage()));
        return new ProviderException("openai " + operation + " failed: 0 " + code + ": " + detail, 0, code, true, e);
    }

    /**
     * A 2xx answer that is not the JSON object promised, as a dropped connection or a misbehaving
     * proxy leaves it. Retryable, because the call itself was fine.
     */
    private static ProviderException malformed(String operation, int status, Exception cause) {
        return new ProviderException("openai " + operation + " failed: " + status
                + " malformed_response: the answer was not a complete JSON object", status, "malformed_response", true,
                cause);
    }

    static String requiredText(String operation, JsonNode node, String field) {
        String value = text(node.get(field));
        if (value == null || value.isEmpty()) {
            throw new ProviderException("openai " + operation + " failed: 200 malformed_response: the answer has no "
                    + field, 200, "malformed_response", true, null);
        }
        return value;
    }

    static String optionalText(JsonNode node, String field) {
        String value = text(node.get(field));
        return value == null || value.isEmpty() ? null : value;
    }

    private static String text(JsonNode node) {
        return node != null && node.isTextual() ? node.asText() : null;
    }

    /**
     * One line about why OpenAI failed a batch, from {@code errors.data}: the first error with its
     * line number and how many more there are, e.g. {@code line 3 invalid_json_line: ...; 2 more}.
     */
    static String failureSummary(JsonNode errors) {
        if (!errors.isArray() || errors.isEmpty()) {
            return "openai failed the batch without saying why";
        }
        JsonNode first = errors.get(0);
        StringBuilder summary = new StringBuilder();
        JsonNode line = first.get("line");
        if (line != null && line.canConvertToLong()) {
            summary.append("line ").append(line.asLong()).append(' ');
        }
        String code = text(first.get("code"));
        String message = text(first.get("message"));
        summary.append(code == null ? "error" : code).append(": ")
                .append(message == null ? "no message" : truncate(message));
        if (errors.size() > 1) {
            summary.append("; ").append(errors.size() - 1).append(" more");
        }
        return summary.toString();
    }

    private static byte[] readUpTo(InputStream in, int limit) throws IOException {
        return in.readNBytes(limit);
    }

    private static String truncate(String text) {
        if (text.length() <= MAX_MESSAGE_CHARS) {
            return text;
        }
        int end = MAX_MESSAGE_CHARS;
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end) + "…";
    }

    /**
     * A path segment for an id. OpenAI's ids are plain ({@code file-…}, {@code batch_…}), but an id
     * comes from stored state, and one holding {@code /} or {@code ?} must not address another
     * resource.
     */
    static String segment(String id) {
        StringBuilder out = new StringBuilder(id.length());
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xFF);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '.' || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xF, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xF, 16)));
            }
        }
        return out.toString();
    }

    /**
     * A filename for a form-data header, escaped as browsers do (RFC 7578 §4.2 defers to HTML): a
     * quote or line break in a name must not end the header early.
     */
    static String formFilename(String name) {
        return name.replace("\"", "%22").replace("\r", "%0D").replace("\n", "%0A");
    }

    /**
     * The payload streams opened for one upload. The client closes a stream it read to the end, but
     * not one it abandoned when the upload failed midway; closing them all afterwards covers both.
     */
    private static final class OpenedStreams {
        private final List<InputStream> streams = new ArrayList<>();
        private volatile String sizeMismatch;

        synchronized InputStream open(Payload payload) {
            try {
                InputStream in = new ExactLengthStream(payload.open(), payload, this);
                streams.add(in);
                return in;
            } catch (IOException e) {
                throw new UncheckedIOException("could not open payload " + payload.name(), e);
            }
        }

        String sizeMismatch() {
            return sizeMismatch;
        }

        synchronized void closeAll() {
            for (InputStream in : streams) {
                try {
                    in.close();
                } catch (IOException e) {
                    // Closing only releases the source; the upload's outcome is already decided.
                }
            }
            streams.clear();
        }
    }

    /**
     * Holds a payload to its declared size. The client would notice a wrong size only after sending
     * the multipart tail, and a server that stops reading at the closing boundary then stores a file
     * the client believes failed — left behind with nobody knowing its id. Failing inside the file
     * part instead means the closing boundary is never sent, so no file is created.
     */
    private static final class ExactLengthStream extends FilterInputStream {
        private final Payload payload;
        private final OpenedStreams owner;
        private long count;

        ExactLengthStream(InputStream in, Payload payload, OpenedStreams owner) {
            super(in);
            this.payload = payload;
            this.owner = owner;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            account(b < 0 ? -1 : 1);
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            account(n);
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            throw new IOException("the payload is read, never skipped");
        }

        private void account(int n) throws IOException {
            if (n < 0) {
                if (count != payload.size()) {
                    throw mismatch("payload " + payload.name() + " holds " + count + " bytes, fewer than its declared "
                            + payload.size());
                }
                return;
            }
            count += n;
            if (count > payload.size()) {
                throw mismatch("payload " + payload.name() + " holds more than its declared " + payload.size()
                        + " bytes");
            }
        }

        private IOException mismatch(String message) {
            owner.sizeMismatch = message;
            return new IOException(message);
        }
    }
}
