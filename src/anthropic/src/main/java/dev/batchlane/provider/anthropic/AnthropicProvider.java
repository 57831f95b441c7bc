package dev.batchlane.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import dev.batchlane.http.ProviderHttp;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Anthropic's Message Batches API. There is no upload: the staged shard — already one {@code
 * {"custom_id","params"}} object per line, exactly a batch request — is streamed as the {@code
 * requests} array of the create call. The batch id travels as the shard's output handle, so results
 * and cleanup (deleting the batch) find it.
 */
public final class AnthropicProvider implements BatchProvider {
    private static final System.Logger LOG = System.getLogger(AnthropicProvider.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AnthropicContract CONTRACT = new AnthropicContract();
    static final String BATCHES = "v1/messages/batches";

    private final ProviderHttp http;
    private final AnthropicReconcile reconcile;

    public AnthropicProvider(AnthropicConfig config, HttpClient http) {
        this.http =
                new ProviderHttp(
                        "anthropic",
                        http,
                        config.baseUrl(),
                        config.requestTimeout(),
                        Map.of(
                                "x-api-key",
                                config.apiKey(),
                                "anthropic-version",
                                config.version()));
        this.reconcile = new AnthropicReconcile(this.http, this::results);
    }

    @Override
    public String name() {
        return "anthropic";
    }

    /** Requests travel inline in the create call: there is no uploaded file to expire. */
    @Override
    public java.util.Optional<java.time.Duration> inputFileLifetime() {
        return java.util.Optional.empty();
    }

    @Override
    public RequestContract contract() {
        return CONTRACT;
    }

    @Override
    public IngestLimits limits() {
        return AnthropicContract.LIMITS;
    }

    @Override
    public Submission submit(Payload payload, String endpoint, Map<String, String> metadata) {
        HttpRequest request =
                http.request(BATCHES)
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> requestsBody(payload)))
                        .build();
        JsonNode batch = http.sendJson("createBatch", request);
        String id = http.requiredText("createBatch", batch, "id");
        LOG.log(Level.DEBUG, "created message batch {0}", id);
        String status = batch.path("processing_status").asText(null);
        // A batch just made is in progress (Anthropic has no earlier status); poll reads it
        // strictly from then on.
        return Submission.batch(id, null, BatchState.RUNNING, status);
    }

    /**
     * {"requests":[ line, line, … ]} from the staged JSONL, newlines turned into commas as it
     * streams.
     */
    static InputStream requestsBody(Payload payload) {
        try {
            InputStream lines = new CommaJoined(payload.open());
            return new SequenceInputStream(
                    java.util.Collections.enumeration(
                            List.of(
                                    new ByteArrayInputStream(
                                            AnthropicContract.BODY_HEAD.getBytes(
                                                    StandardCharsets.UTF_8)),
                                    lines,
                                    new ByteArrayInputStream(
                                            AnthropicContract.BODY_TAIL.getBytes(
                                                    StandardCharsets.UTF_8)))));
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "staged shard " + payload.name() + " could not be opened", e);
        }
    }

    /** Turns each line ending into a comma, except after the last line. */
    static final class CommaJoined extends InputStream {
        private final PushbackInputStream in;

        CommaJoined(InputStream in) {
            this.in = new PushbackInputStream(in, 1);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b != '\n') {
                return b;
            }
            int next = in.read();
            if (next < 0) {
                return -1;
            }
            in.unread(next);
            return ',';
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /**
     * Looks for the batch an unanswered create made; how certain each answer is: {@link
     * AnthropicReconcile}.
     */
    @Override
    public Reconciliation findCreated(CreationQuery q) {
        return reconcile.findCreated(q);
    }

    private HttpRequest results(String batchId) {
        return http.request(BATCHES + "/" + Escape.segment(batchId) + "/results").GET().build();
    }

    @Override
    public BatchView retrieve(String batchId) {
        JsonNode b =
                http.sendJson(
                        "retrieveBatch",
                        http.request(BATCHES + "/" + Escape.segment(batchId)).GET().build());
        String status = b.path("processing_status").asText("");
        JsonNode c = b.path("request_counts");
        BatchState state =
                switch (status) {
                    case "in_progress" -> BatchState.RUNNING;
                    case "canceling" -> BatchState.CANCELLING;
                    // Anthropic says only "ended": how it ended is in the cancel time and the
                    // counts, so a cancelled or expired batch is not taken for a completed one.
                    case "ended" ->
                            b.hasNonNull("cancel_initiated_at")
                                    ? BatchState.CANCELLED
                                    : c.path("expired").asLong() > 0
                                            ? BatchState.EXPIRED
                                            : BatchState.COMPLETED;
                    default ->
                            throw new ProviderException(
                                    "anthropic retrieveBatch failed: batch "
                                            + batchId
                                            + " has unknown processing_status '"
                                            + status
                                            + "'",
                                    200,
                                    "unknown_status",
                                    false,
                                    null);
                };
        long succeeded = c.path("succeeded").asLong();
        long failed =
                c.path("errored").asLong()
                        + c.path("canceled").asLong()
                        + c.path("expired").asLong();
        BatchCounts counts =
                new BatchCounts(
                        succeeded + failed + c.path("processing").asLong(), succeeded, failed);
        // The results live under the batch itself; its id is the handle for results and cleanup.
        return new BatchView(
                batchId, state, status, counts, state.terminal() ? batchId : null, null, null);
    }

    @Override
    public void streamResults(BatchView batch, Consumer<LineResult> sink) {
        if (batch.outputFileId() == null) {
            return;
        }
        // As for every provider (ProviderHttp#streamLines): a garbled line is skipped, its request
        // joined as having no result; the line's text (a model's answer) is never logged.
        http.streamLines(
                "results",
                results(batch.outputFileId()),
                "batch " + batch.outputFileId() + " results",
                AnthropicResultLines::parse,
                sink);
    }

    @Override
    public void cancel(String batchId) {
        http.sendJson(
                "cancelBatch",
                http.request(BATCHES + "/" + Escape.segment(batchId) + "/cancel")
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build());
    }

    /** Deletes the batch (passed as the output handle); gone already is fine. */
    @Override
    public void cleanup(String inputFileId, String outputFileId, String errorFileId) {
        if (outputFileId == null) {
            return;
        }
        try {
            http.sendJson(
                    "deleteBatch",
                    http.request(BATCHES + "/" + Escape.segment(outputFileId)).DELETE().build());
        } catch (ProviderException e) {
            if (e.statusCode() != 404) {
                throw e;
            }
        }
    }
}
