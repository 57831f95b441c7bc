package dev.batchlane.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.http.ProviderHttp;
import java.net.http.HttpClient;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

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
 *
 * <p>This class holds that order of calls; the upload ({@link GeminiUpload}), the batches ({@link
 * GeminiBatches}) and the deletions ({@link GeminiCleanup}) each speak their own part of the API.
 */
public final class GeminiProvider implements BatchProvider {
    private static final System.Logger LOG = System.getLogger(GeminiProvider.class.getName());
    private static final GeminiContract CONTRACT = new GeminiContract();

    private final ProviderHttp http;
    private final GeminiUpload upload;
    private final GeminiBatches batches;
    private final GeminiCleanup cleanup;

    public GeminiProvider(GeminiConfig config, HttpClient http) {
        Objects.requireNonNull(config, "config");
        this.http =
                new ProviderHttp(
                        "gemini",
                        Objects.requireNonNull(http, "http"),
                        config.baseUrl(),
                        config.requestTimeout(),
                        Map.of("x-goog-api-key", config.apiKey()));
        this.upload = new GeminiUpload(config, this.http);
        this.batches = new GeminiBatches(this.http);
        this.cleanup = new GeminiCleanup(this.http);
    }

    @Override
    public String name() {
        return "gemini";
    }

    /** Files uploaded through the Files API are deleted after 48 hours. */
    @Override
    public java.util.Optional<java.time.Duration> inputFileLifetime() {
        return java.util.Optional.of(java.time.Duration.ofHours(48));
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
                cleanup.deleteQuietly(fileId);
            }
            throw e;
        }
    }

    /** A resumable upload in chunks, resumed from what the session holds: {@link GeminiUpload}. */
    @Override
    public String upload(Payload payload) {
        return upload.upload(payload);
    }

    /** Adopts a batch an earlier attempt made, else creates one: {@link GeminiBatches}. */
    @Override
    public Submission create(
            String inputFileId, Payload payload, String endpoint, Map<String, String> metadata) {
        return batches.create(inputFileId, payload, endpoint, metadata);
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
        String displayName = GeminiNames.displayName(q.metadata(), q.payload());
        Optional<JsonNode> made = batches.findByDisplayName(displayName);
        if (made.isPresent()) {
            Submission s = GeminiBatches.submission(made.get(), q.inputFileId());
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
        List<String> uploads = upload.uploadsSince(q.payload(), since);
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
            cleanup.deleteQuietly(extra);
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

    @Override
    public BatchView retrieve(String batchId) {
        return batches.retrieve(batchId);
    }

    /** {@code batches.cancel}: the batch ends CANCELLED later, keeping what had finished. */
    @Override
    public void cancel(String batchId) {
        batches.cancel(batchId);
    }

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
                                        + GeminiNames.filePath(batch.outputFileId())
                                        + ":download?alt=media")
                        .GET()
                        .build(),
                "batch " + batch.batchId() + " file " + batch.outputFileId(),
                GeminiResultLines::parse,
                sink);
    }

    /**
     * Deletes each handle by its resource name: the input file, the responses file and the batch
     * (which travels as the error-file handle). Every one is attempted; the first failure is thrown
     * afterwards with the others suppressed. Gone already (404) is what cleanup wanted.
     */
    @Override
    public void cleanup(String inputFileId, String outputFileId, String errorFileId) {
        cleanup.cleanup(inputFileId, outputFileId, errorFileId);
    }

    /**
     * A failure whose call may have taken effect at Google: no answer, a server error, or a 2xx
     * that could not be read. A 4xx, a 429 or a call that was never sent says nothing was made.
     */
    static boolean ambiguous(ProviderException e) {
        // A call refused before it left (a file too large, a size that disagrees) made nothing.
        return e.sent()
                && (e.statusCode() == 0
                        || e.statusCode() >= 500
                        || "malformed_response".equals(e.code()));
    }

    static String text(JsonNode node) {
        return node != null && node.isTextual() ? node.asText() : null;
    }
}
