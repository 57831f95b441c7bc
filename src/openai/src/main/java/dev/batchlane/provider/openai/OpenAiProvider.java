package dev.batchlane.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderBusy;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.http.Escape;
import dev.batchlane.http.ProviderHttp;
import java.lang.System.Logger.Level;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * {@link BatchProvider} for OpenAI's Files and Batch APIs (docs/providers.md), and for every
 * service on the same wire by its {@link Vendor} profile: a shard is uploaded as a batch file and a
 * 24 h batch is created from it; results are read back from the batch's output and error files,
 * which are deleted afterwards with the input file. The HTTP (requests, the error envelope, the
 * retryable rule, Retry-After, caps) is the shared layer's ({@link ProviderHttp}); this class says
 * only what OpenAI's API is. Logs carry ids and counts only.
 */
public final class OpenAiProvider implements BatchProvider {
    private static final System.Logger LOG = System.getLogger(OpenAiProvider.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Input files expire by themselves after this (1 h to 30 d is allowed), so one whose id was
     * lost does not sit in the project's storage: long enough for a shard to wait for the queue,
     * run its 24 h window and be completed.
     */
    static final long INPUT_EXPIRES_AFTER_SECONDS = 14 * 24 * 3600L;

    /**
     * Output and error files expire by themselves after this, counted from the batch's end: the
     * most the API allows (1 h to 30 d). Complete normally reads and deletes them within minutes,
     * but a job slowed by queues and resubmissions may be completed, or re-driven, much later, and
     * a re-drive must still find them.
     */
    static final long OUTPUT_EXPIRES_AFTER_SECONDS = 30 * 24 * 3600L;

    private final Vendor vendor;
    private final OpenAiContract contract;
    private final OpenAiFiles files;

    public OpenAiProvider(OpenAiConfig config, HttpClient http) {
        this(Vendor.OPENAI, config, http);
    }

    /**
     * A provider for a service on OpenAI's wire that differs from OpenAI as {@code vendor} says.
     */
    public OpenAiProvider(Vendor vendor, OpenAiConfig config, HttpClient http) {
        this.vendor = Objects.requireNonNull(vendor, "vendor");
        this.contract = new OpenAiContract(vendor);
        this.files =
                new OpenAiFiles(
                        vendor,
                        Objects.requireNonNull(config, "config"),
                        Objects.requireNonNull(http, "http"));
    }

    @Override
    public String name() {
        return vendor.name();
    }

    /**
     * The expiry the lane asks for on upload where the vendor takes one; a vendor that takes none
     * documents none for batch input files, which are then kept until deleted.
     */
    @Override
    public java.util.Optional<java.time.Duration> inputFileLifetime() {
        return java.util.Optional.ofNullable(vendor.inputFileExpiry());
    }

    @Override
    public IngestLimits limits() {
        return vendor.limits();
    }

    @Override
    public RequestContract contract() {
        return contract;
    }

    /**
     * The wire and Files API this provider speaks through; {@link MistralProvider} builds its jobs
     * on it.
     */
    OpenAiFiles files() {
        return files;
    }

    /**
     * Uploads {@code payload} and creates a batch from it. When the batch cannot be created the
     * uploaded file is deleted again, because nothing else knows its id and it would otherwise
     * occupy the project's file storage until it expires.
     */
    @Override
    public Submission submit(Payload payload, String endpoint, Map<String, String> metadata) {
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(endpoint, "endpoint");
        String fileId = files.upload(payload);
        try {
            return submission(createBatch(fileId, endpoint, metadata), fileId);
        } catch (RuntimeException e) {
            files.deleteQuietly(fileId);
            throw e;
        }
    }

    /** Uploads the shard; the caller keeps the id so that a failed create reuses the upload. */
    @Override
    public String upload(Payload payload) {
        return files.upload(Objects.requireNonNull(payload, "payload"));
    }

    /**
     * Creates a batch from an uploaded file; unlike {@link #submit}, a failure keeps the file for a
     * retry.
     */
    @Override
    public Submission create(
            String inputFileId, Payload payload, String endpoint, Map<String, String> metadata) {
        Objects.requireNonNull(inputFileId, "inputFileId");
        Objects.requireNonNull(endpoint, "endpoint");
        JsonNode batch;
        try {
            batch = createBatch(inputFileId, endpoint, metadata);
        } catch (ProviderException e) {
            throw OpenAiErrors.busyIfQueue(e);
        }
        return submission(batch, inputFileId);
    }

    private Submission submission(JsonNode batch, String fileId) {
        String batchId = files.http.requiredText("createBatch", batch, "id");
        String status = batch.path("status").asText(null);
        LOG.log(Level.DEBUG, "created batch {0} from file {1} ({2})", batchId, fileId, status);
        return Submission.batch(batchId, fileId, OpenAiBatchStatus.created(status), status);
    }

    /**
     * Finds what an unanswered upload or create made, by the shard's metadata or file (see {@link
     * OpenAiReconcile}).
     */
    @Override
    public Reconciliation findCreated(CreationQuery q) {
        return new OpenAiReconcile(files).find(q);
    }

    @Override
    public BatchView retrieve(String batchId) {
        Objects.requireNonNull(batchId, "batchId");
        JsonNode batch =
                files.sendJson(
                        "retrieveBatch",
                        files.request("batches/" + Escape.segment(batchId)).GET().build());
        String status =
                batch.path("status").isTextual()
                        ? Vendor.openAiStatus(batch.get("status").asText())
                        : null;
        OpenAiBatchStatus known = OpenAiBatchStatus.fromWire(batchId, status);
        JsonNode counts = batch.path("request_counts");
        BatchCounts batchCounts =
                counts.isObject()
                        ? new BatchCounts(
                                counts.path("total").asLong(0),
                                counts.path("completed").asLong(0),
                                counts.path("failed").asLong(0))
                        : BatchCounts.NONE;
        boolean failed = known == OpenAiBatchStatus.FAILED;
        JsonNode errors = batch.path("errors").path("data");
        String error = failed ? OpenAiErrors.failureSummary(errors) : null;
        ProviderBusy busy = failed ? OpenAiErrors.queueFailure(errors) : null;
        LOG.log(
                Level.DEBUG,
                "batch {0} is {1} ({2}/{3} done, {4} failed)",
                batchId,
                status,
                batchCounts.completed(),
                batchCounts.total(),
                batchCounts.failed());
        return new BatchView(
                batchId,
                known.state(),
                status,
                batchCounts,
                ProviderHttp.optionalText(batch, "output_file_id"),
                ProviderHttp.optionalText(batch, "error_file_id"),
                error,
                busy);
    }

    /**
     * POST /batches/{id}/cancel: the batch goes to cancelling, then cancelled with partial results.
     */
    @Override
    public void cancel(String batchId) {
        Objects.requireNonNull(batchId, "batchId");
        JsonNode batch =
                files.sendJson(
                        "cancelBatch",
                        files.request("batches/" + Escape.segment(batchId) + "/cancel")
                                .POST(BodyPublishers.noBody())
                                .build());
        LOG.log(
                Level.INFO,
                "batch {0}: cancel requested, now {1}",
                batchId,
                batch.path("status").asText("?"));
    }

    /** Streams the output file, then the error file; each line is parsed and handed on alone. */
    @Override
    public void streamResults(BatchView batch, Consumer<LineResult> sink) {
        Objects.requireNonNull(batch, "batch");
        Objects.requireNonNull(sink, "sink");
        if (batch.outputFileId() != null) {
            files.stream(batch.batchId(), batch.outputFileId(), sink);
        }
        if (batch.errorFileId() != null) {
            files.stream(batch.batchId(), batch.errorFileId(), sink);
        }
    }

    /**
     * Deletes each given file, all attempted even when one fails (see {@link
     * ProviderHttp#deleteEach}).
     */
    @Override
    public void cleanup(String inputFileId, String outputFileId, String errorFileId) {
        files.deleteAll(inputFileId, outputFileId, errorFileId);
    }

    private JsonNode createBatch(
            String inputFileId, String endpoint, Map<String, String> metadata) {
        ObjectNode body = JSON.createObjectNode();
        body.put("input_file_id", inputFileId);
        body.put("endpoint", endpoint);
        body.put("completion_window", "24h");
        if (vendor.equals(Vendor.OPENAI)) {
            // Output and error files expire by themselves too (OpenAI's own field; the vendors
            // differ).
            ObjectNode expiry = body.putObject("output_expires_after");
            expiry.put("anchor", "created_at");
            expiry.put("seconds", OUTPUT_EXPIRES_AFTER_SECONDS);
        }
        if (metadata != null && !metadata.isEmpty() && vendor.sendsMetadata()) {
            ObjectNode meta = body.putObject("metadata");
            metadata.forEach(meta::put);
        }
        return vendor.createdBatch(
                files.sendJson(
                        "createBatch",
                        files.request("batches")
                                .header("Content-Type", "application/json")
                                .POST(ProviderHttp.json(body))
                                .build()));
    }
}
