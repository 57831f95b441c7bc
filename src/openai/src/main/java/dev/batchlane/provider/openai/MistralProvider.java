package dev.batchlane.provider.openai;

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
import java.lang.System.Logger.Level;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * {@link BatchProvider} for Mistral's batch jobs. Mistral's Files API is OpenAI's (multipart upload
 * with {@code purpose=batch}, {@code /files/{id}/content}, {@code DELETE /files/{id}}) and its
 * result lines are OpenAI's, so those calls go through an {@link OpenAiProvider} for the {@link
 * Vendor#MISTRAL} profile; only the job itself is Mistral's own: {@code POST /batch/jobs
 * {input_files, endpoint, model, metadata, timeout_hours}}, {@code GET /batch/jobs/{id}} and {@code
 * POST /batch/jobs/{id}/cancel}, with the statuses QUEUED, RUNNING, SUCCESS, FAILED,
 * TIMEOUT_EXCEEDED, CANCELLATION_REQUESTED and CANCELLED.
 *
 * <p>The model is a property of the job, so every line must name the same one in {@code body.model}
 * (the contract checks it) and it is passed on at creation.
 */
public final class MistralProvider implements BatchProvider {
    private static final System.Logger LOG = System.getLogger(MistralProvider.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The window Batchlane gives every batch, as everywhere else: 24 h. */
    static final int TIMEOUT_HOURS = 24;

    private static final int LIST_PAGE_SIZE = 100;
    private static final int MAX_LIST_PAGES = 1000;

    private final OpenAiProvider files;
    private final OpenAiFiles wire;

    public MistralProvider(OpenAiConfig config, HttpClient http) {
        this.files = new OpenAiProvider(Vendor.MISTRAL, config, http);
        this.wire = files.files();
    }

    @Override
    public String name() {
        return Vendor.MISTRAL.name();
    }

    /** Mistral documents no expiry for uploaded batch input files: kept until deleted. */
    @Override
    public java.util.Optional<java.time.Duration> inputFileLifetime() {
        return java.util.Optional.empty();
    }

    @Override
    public RequestContract contract() {
        return files.contract();
    }

    @Override
    public IngestLimits limits() {
        return Vendor.MISTRAL.limits();
    }

    @Override
    public String upload(Payload payload) {
        return files.upload(payload);
    }

    /**
     * Uploads and creates in one go; a failed create deletes the upload, which nothing else knows
     * of.
     */
    @Override
    public Submission submit(Payload payload, String endpoint, Map<String, String> metadata) {
        String fileId = upload(payload);
        try {
            return create(fileId, payload, endpoint, metadata);
        } catch (RuntimeException e) {
            try {
                files.cleanup(fileId, null, null);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    @Override
    public Submission create(
            String inputFileId, Payload payload, String endpoint, Map<String, String> metadata) {
        Objects.requireNonNull(inputFileId, "inputFileId");
        Objects.requireNonNull(endpoint, "endpoint");
        ObjectNode body = JSON.createObjectNode();
        body.putArray("input_files").add(inputFileId);
        body.put("endpoint", endpoint);
        body.put("model", modelOf(payload));
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = body.putObject("metadata");
            metadata.forEach(meta::put);
        }
        body.put("timeout_hours", TIMEOUT_HOURS);
        JsonNode job =
                wire.sendJson(
                        "createBatchJob",
                        wire.request("batch/jobs")
                                .header("Content-Type", "application/json")
                                .POST(ProviderHttp.json(body))
                                .build());
        String id = wire.http.requiredText("createBatchJob", job, "id");
        String status = job.path("status").asText(null);
        LOG.log(
                Level.DEBUG,
                "created mistral job {0} from file {1} ({2})",
                id,
                inputFileId,
                status);
        // A job just made is at least accepted whatever word its answer used; the next poll reads
        // its status strictly.
        BatchState state;
        try {
            state = state(id, status);
        } catch (ProviderException unknownWord) {
            state = BatchState.PENDING;
        }
        return Submission.batch(id, inputFileId, state, status);
    }

    /**
     * Finds what an unanswered creation made. Jobs carry the lane's metadata, so a job listed by
     * {@code GET /batch/jobs} (newest first, numbered pages, {@code created_after} the attempt less
     * the clock-skew allowance) whose metadata holds this job's and shard's ids is the one: a
     * definite match. An unanswered upload is looked for in the Files API as at OpenAI.
     */
    @Override
    public Reconciliation findCreated(CreationQuery q) {
        String since =
                java.time.Instant.ofEpochSecond(
                                q.attemptedAt().getEpochSecond()
                                        - OpenAiReconcile.CLOCK_SKEW_SECONDS)
                        .toString();
        for (int page = 0; page < MAX_LIST_PAGES; page++) {
            JsonNode list =
                    wire.sendJson(
                            "listBatchJobs",
                            wire.request(
                                            "batch/jobs?page="
                                                    + page
                                                    + "&page_size="
                                                    + LIST_PAGE_SIZE
                                                    + "&created_after="
                                                    + Escape.query(since)
                                                    + "&order_by=-created")
                                    .GET()
                                    .build());
            JsonNode data = list.path("data");
            for (JsonNode job : data) {
                JsonNode meta = job.path("metadata");
                boolean ours =
                        q.metadata().entrySet().stream()
                                .allMatch(
                                        m ->
                                                m.getValue()
                                                        .equals(
                                                                meta.path(m.getKey())
                                                                        .asText(null)));
                if (ours && !q.knownBatchIds().contains(job.path("id").asText())) {
                    JsonNode files = job.path("input_files");
                    return Reconciliation.batch(
                            job.path("id").asText(),
                            files.isArray() && !files.isEmpty()
                                    ? files.get(0).asText()
                                    : q.inputFileId(),
                            job.path("status").asText(null),
                            "mistral job "
                                    + job.path("id").asText()
                                    + " carries metadata "
                                    + q.metadata()
                                    + " (definite)");
                }
            }
            if (data.size() < LIST_PAGE_SIZE) {
                break;
            }
        }
        return new OpenAiReconcile(wire)
                .findUpload(
                        q,
                        "no mistral job with metadata " + q.metadata() + " created since " + since);
    }

    @Override
    public BatchView retrieve(String batchId) {
        Objects.requireNonNull(batchId, "batchId");
        JsonNode job =
                wire.sendJson(
                        "getBatchJob",
                        wire.request("batch/jobs/" + Escape.segment(batchId)).GET().build());
        String status = job.path("status").isTextual() ? job.get("status").asText() : null;
        BatchState state = state(batchId, status);
        BatchCounts counts =
                new BatchCounts(
                        job.path("total_requests").asLong(0),
                        job.path("succeeded_requests").asLong(0),
                        job.path("failed_requests").asLong(0));
        String error = state == BatchState.FAILED ? failureSummary(job.path("errors")) : null;
        return new BatchView(
                batchId,
                state,
                status,
                counts,
                ProviderHttp.optionalText(job, "output_file"),
                ProviderHttp.optionalText(job, "error_file"),
                error);
    }

    @Override
    public void cancel(String batchId) {
        Objects.requireNonNull(batchId, "batchId");
        JsonNode job =
                wire.sendJson(
                        "cancelBatchJob",
                        wire.request("batch/jobs/" + Escape.segment(batchId) + "/cancel")
                                .POST(BodyPublishers.noBody())
                                .build());
        LOG.log(
                Level.INFO,
                "mistral job {0}: cancel requested, now {1}",
                batchId,
                job.path("status").asText("?"));
    }

    @Override
    public void streamResults(BatchView batch, Consumer<LineResult> sink) {
        files.streamResults(batch, sink);
    }

    @Override
    public void cleanup(String inputFileId, String outputFileId, String errorFileId) {
        files.cleanup(inputFileId, outputFileId, errorFileId);
    }

    /**
     * Mistral's job statuses, exhaustively. An unknown one is refused for the reason OpenAI's are:
     * guessing "running" could poll a finished job forever, guessing "ended" could drop results.
     */
    static BatchState state(String jobId, String status) {
        if (status != null) {
            switch (status) {
                case "QUEUED":
                    return BatchState.PENDING;
                case "RUNNING":
                    return BatchState.RUNNING;
                case "SUCCESS":
                    return BatchState.COMPLETED;
                case "FAILED":
                    return BatchState.FAILED;
                case "TIMEOUT_EXCEEDED":
                    return BatchState.EXPIRED;
                case "CANCELLATION_REQUESTED":
                    return BatchState.CANCELLING;
                case "CANCELLED":
                    return BatchState.CANCELLED;
                default:
                    break;
            }
        }
        throw new ProviderException(
                "mistral getBatchJob failed: job "
                        + jobId
                        + " has status "
                        + (status == null ? "null" : "'" + status + "'")
                        + ", which this adapter does not know",
                200,
                "unknown_status",
                false,
                null);
    }

    /**
     * Mistral lists a failed job's errors as {@code [{message, count}]}: the first, and how many
     * more.
     */
    static String failureSummary(JsonNode errors) {
        if (!errors.isArray() || errors.isEmpty()) {
            return "mistral failed the job without saying why";
        }
        JsonNode first = errors.get(0);
        String message = first.path("message").asText("no message");
        StringBuilder summary = new StringBuilder(Failures.truncate(message));
        if (first.path("count").asLong(1) > 1) {
            summary.append(" (").append(first.get("count").asLong()).append(" requests)");
        }
        if (errors.size() > 1) {
            summary.append("; ").append(errors.size() - 1).append(" more");
        }
        return summary.toString();
    }

    /**
     * The model of a staged shard, from {@code body.model} of its first line: the job carries one
     * model, and the contract made every line name the same. Only the first line is parsed.
     */
    static String modelOf(Payload payload) {
        Objects.requireNonNull(payload, "payload");
        try (java.io.InputStream in = payload.open();
                com.fasterxml.jackson.core.JsonParser parser = JSON.getFactory().createParser(in)) {
            JsonNode first = JSON.readTree(parser);
            JsonNode model = first == null ? null : first.path("body").get("model");
            if (model != null && model.isTextual() && !model.asText().isEmpty()) {
                return model.asText();
            }
        } catch (java.io.IOException e) {
            throw new ProviderException(
                    "mistral createBatchJob failed: 0 io_error: could not read the model from "
                            + payload.name()
                            + ": "
                            + e.getMessage(),
                    0,
                    "io_error",
                    true,
                    e);
        }
        throw new ProviderException(
                "mistral createBatchJob failed: 0 model_missing: the first line of "
                        + payload.name()
                        + " names no body.model",
                0,
                "model_missing",
                false,
                null);
    }
}
