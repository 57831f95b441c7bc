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
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.provider.Usage;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PushbackInputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Anthropic's Message Batches API. There is no upload: the staged shard — already one
 * {@code {"custom_id","params"}} object per line, exactly a batch request — is streamed as the
 * {@code requests} array of the create call. The batch id travels as the shard's output handle, so
 * results and cleanup (deleting the batch) find it.
 */
public final class AnthropicProvider implements BatchProvider {
    private static final System.Logger LOG = System.getLogger(AnthropicProvider.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AnthropicContract CONTRACT = new AnthropicContract();

    private final AnthropicConfig config;
    private final HttpClient http;

    public AnthropicProvider(AnthropicConfig config, HttpClient http) {
        this.config = config;
        this.http = http;
    }

    @Override
    public String name() {
        return "anthropic";
    }

    @Override
    public RequestContract contract() {
        return CONTRACT;
    }

    @Override
    public IngestLimits limits() {
        return AnthropicContract.LIMITS;
    }

    /** Provider clocks and ours differ; a creation is looked for from this long before it was started. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

    @Override
    public Submission submit(Payload payload, String endpoint, Map<String, String> metadata) {
        HttpRequest request = request("v1/messages/batches").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> requestsBody(payload))).build();
        JsonNode batch = sendJson("createBatch", request);
        String id = batch.path("id").asText(null);
        if (id == null) {
            throw new ProviderException("anthropic createBatch failed: 200 malformed_response: no id", 200,
                    "malformed_response", true, null);
        }
        LOG.log(Level.DEBUG, "created message batch {0}", id);
        return new Submission(id, null, batch.path("processing_status").asText(null));
    }

    /** {"requests":[ line, line, … ]} from the staged JSONL, newlines turned into commas as it streams. */
    static InputStream requestsBody(Payload payload) {
        try {
            InputStream lines = new CommaJoined(payload.open());
            return new SequenceInputStream(java.util.Collections.enumeration(List.of(
                    new ByteArrayInputStream(AnthropicContract.BODY_HEAD.getBytes(StandardCharsets.UTF_8)), lines,
                    new ByteArrayInputStream(AnthropicContract.BODY_TAIL.getBytes(StandardCharsets.UTF_8)))));
        } catch (IOException e) {
            throw new UncheckedIOException("staged shard " + payload.name() + " could not be opened", e);
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
     * Looks for the batch an unanswered create made. A message batch carries no metadata, so the
     * match is by what it holds: batches are listed newest first back to a little before the
     * attempt, and a candidate is one created since then, with exactly the shard's request count,
     * that no other shard of the job recorded. An ended candidate is verified by its results (its
     * first line's custom_id must be one of the shard's): definite. Candidates still in progress
     * leave it undecided, even a single one, until they end and their results tell.
     */
    @Override
    public Reconciliation findCreated(CreationQuery q) {
        java.time.Instant since = q.attemptedAt().minus(CLOCK_SKEW);
        List<JsonNode> candidates = new java.util.ArrayList<>();
        String after = null;
        for (int page = 0; page < 1000; page++) {
            JsonNode list = sendJson("listBatches", request("v1/messages/batches?limit=100"
                    + (after == null ? "" : "&after_id=" + after)).GET().build());
            boolean older = false;
            for (JsonNode b : list.path("data")) {
                java.time.Instant created;
                try {
                    created = java.time.Instant.parse(b.path("created_at").asText());
                } catch (java.time.format.DateTimeParseException e) {
                    continue;
                }
                if (created.isBefore(since)) {
                    older = true;
                    break;
                }
                JsonNode c = b.path("request_counts");
                long total = c.path("processing").asLong() + c.path("succeeded").asLong() + c.path("errored").asLong()
                        + c.path("canceled").asLong() + c.path("expired").asLong();
                if (total == q.requestCount() && !q.knownBatchIds().contains(b.path("id").asText())) {
                    candidates.add(b);
                }
            }
            after = list.path("last_id").asText(null);
            if (older || !list.path("has_more").asBoolean(false) || after == null) {
                break;
            }
        }
        if (candidates.isEmpty()) {
            return Reconciliation.nothing("no batch of " + q.requestCount() + " requests created since " + since);
        }
        Set<String> ids = null;
        List<JsonNode> unverified = new java.util.ArrayList<>();
        for (JsonNode b : candidates) {
            String id = b.path("id").asText();
            if (!"ended".equals(b.path("processing_status").asText())) {
                unverified.add(b);
                continue;
            }
            if (ids == null) {
                ids = stagedIds(q.payload());
            }
            String first = firstResultId(id);
            if (first != null && ids.contains(first)) {
                return Reconciliation.batch(id, null, "ended", "batch " + id + " has " + q.requestCount()
                        + " requests, was created since " + since + " and its results hold this shard's custom_id "
                        + first + " (definite)");
            }
        }
        if (unverified.isEmpty()) {
            return Reconciliation.nothing(candidates.size() + " batch(es) of " + q.requestCount()
                    + " requests created since " + since + ", none holding this shard's requests");
        }
        // A running batch cannot be read, so even a single candidate stays undecided until it ends:
        // it may be a sibling shard's, created a moment ago and not recorded yet (or another job's),
        // and adopting it would leave this shard's own requests unsent and reported missing.
        return Reconciliation.undecided(unverified.size() + " batch(es) of " + q.requestCount()
                + " requests created since " + since + " still running; whose they are is known once they end");
    }

    /** The custom_ids of a staged shard. */
    private static Set<String> stagedIds(Payload payload) {
        Set<String> ids = new java.util.HashSet<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(payload.open(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    ids.add(JSON.readTree(line).path("custom_id").asText());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("staged shard " + payload.name() + " could not be read", e);
        }
        return ids;
    }

    /** The custom_id of an ended batch's first result line, or null when it has none. */
    private String firstResultId(String batchId) {
        HttpResponse<InputStream> response = send("results",
                request("v1/messages/batches/" + batchId + "/results").GET().build());
        try (InputStream in = response.body()) {
            if (response.statusCode() / 100 != 2) {
                throw failure("results", response.statusCode(), in.readNBytes(64 * 1024));
            }
            String line = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
            return line == null || line.isBlank() ? null : JSON.readTree(line).path("custom_id").asText(null);
        } catch (IOException e) {
            throw new ProviderException("anthropic results failed: 0 io_error", 0, "io_error", true, e);
        }
    }

    @Override
    public BatchView retrieve(String batchId) {
        JsonNode b = sendJson("retrieveBatch", request("v1/messages/batches/" + batchId).GET().build());
        String status = b.path("processing_status").asText("");
        BatchState state = switch (status) {
            case "in_progress" -> BatchState.RUNNING;
            case "canceling" -> BatchState.CANCELLING;
            case "ended" -> BatchState.COMPLETED;
            default -> throw new ProviderException("anthropic retrieveBatch failed: batch " + batchId
                    + " has unknown processing_status '" + status + "'", 200, "unknown_status", false, null);
        };
        JsonNode c = b.path("request_counts");
        long succeeded = c.path("succeeded").asLong();
        long failed = c.path("errored").asLong() + c.path("canceled").asLong() + c.path("expired").asLong();
        BatchCounts counts = new BatchCounts(succeeded + failed + c.path("processing").asLong(), succeeded, failed);
        // The results live under the batch itself; its id is the handle for results and cleanup.
        return new BatchView(batchId, state, status, counts, state == BatchState.COMPLETED ? batchId : null, null, null);
    }

    @Override
    public void streamResults(BatchView batch, Consumer<LineResult> sink) {
        if (batch.outputFileId() == null) {
            return;
        }
        HttpResponse<InputStream> response = send("results",
                request("v1/messages/batches/" + batch.outputFileId() + "/results").GET().build());
        try (InputStream in = response.body()) {
            if (response.statusCode() / 100 != 2) {
                throw failure("results", response.statusCode(), in.readNBytes(64 * 1024));
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            long number = 0;
            long skipped = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                LineResult result = parse(line);
                if (result == null) {
                    // As for OpenAI: one garbled line must not hold back every other result. Its request
                    // is joined as having no result; the line's text (a model's answer) is never logged.
                    skipped++;
                    LOG.log(Level.WARNING, "batch {0} results line {1} is not a result line; skipped",
                            batch.outputFileId(), number);
                    continue;
                }
                sink.accept(result);
            }
            if (skipped > 0) {
                LOG.log(Level.WARNING, "batch {0}: {1} unreadable result line(s) skipped", batch.outputFileId(),
                        skipped);
            }
        } catch (IOException e) {
            // The class only: a reader's message could quote what it was reading.
            throw new ProviderException("anthropic results failed: 0 io_error: " + e.getClass().getSimpleName(), 0,
                    "io_error", true, e);
        }
    }

    /** One result line, or null when it is not one: not a JSON object, no custom_id, or no result object. */
    static LineResult parse(String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (IOException notJson) {
            return null;
        }
        if (node == null || !node.isObject() || !node.path("custom_id").isTextual()
                || node.path("custom_id").asText().isEmpty() || !node.path("result").isObject()) {
            return null;
        }
        return toResult(node);
    }

    static LineResult toResult(JsonNode line) {
        String id = line.path("custom_id").asText();
        JsonNode result = line.path("result");
        String type = result.path("type").asText();
        return switch (type) {
            case "succeeded" -> {
                JsonNode message = result.path("message");
                JsonNode u = message.path("usage");
                long cacheRead = u.path("cache_read_input_tokens").asLong(0);
                long input = u.path("input_tokens").asLong(0) + cacheRead + u.path("cache_creation_input_tokens").asLong(0);
                yield new LineResult(id, Outcome.SUCCEEDED, 200, message.toString(), null,
                        new Usage(input, cacheRead, u.path("output_tokens").asLong(0)), null,
                        message.path("model").isTextual() ? message.path("model").asText() : null);
            }
            case "errored" -> {
                JsonNode error = result.path("error");
                String errorType = error.path("error").path("type").asText(null);
                yield new LineResult(id, Outcome.FAILED, errorType == null ? null : statusOf(errorType), null,
                        error.toString(), null, errorType, null);
            }
            case "canceled" -> new LineResult(id, Outcome.CANCELLED, null, null,
                    "{\"type\":\"canceled\",\"message\":\"the batch was cancelled before this request ran\"}", null,
                    "canceled", null);
            case "expired" -> new LineResult(id, Outcome.EXPIRED, null, null,
                    "{\"type\":\"expired\",\"message\":\"the batch expired before this request ran\"}", null,
                    "expired", null);
            default -> new LineResult(id, Outcome.FAILED, null, null, result.toString(), null, "unknown_result_type",
                    null);
        };
    }

    /** The HTTP status Anthropic documents for each error type (docs/providers.md). */
    static Integer statusOf(String type) {
        return switch (type) {
            case "invalid_request_error" -> 400;
            case "authentication_error" -> 401;
            case "billing_error" -> 402;
            case "permission_error" -> 403;
            case "not_found_error" -> 404;
            case "request_too_large" -> 413;
            case "rate_limit_error" -> 429;
            case "api_error" -> 500;
            case "timeout_error" -> 504;
            case "overloaded_error" -> 529;
            default -> null;
        };
    }

    @Override
    public void cancel(String batchId) {
        sendJson("cancelBatch", request("v1/messages/batches/" + batchId + "/cancel")
                .POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    /** Deletes the batch (passed as the output handle); gone already is fine. */
    @Override
    public void cleanup(String inputFileId, String outputFileId, String errorFileId) {
        if (outputFileId == null) {
            return;
        }
        HttpResponse<InputStream> response = send("deleteBatch",
                request("v1/messages/batches/" + outputFileId).DELETE().build());
        try (InputStream in = response.body()) {
            if (response.statusCode() / 100 != 2 && response.statusCode() != 404) {
                throw failure("deleteBatch", response.statusCode(), in.readNBytes(64 * 1024));
            }
        } catch (IOException e) {
            throw new ProviderException("anthropic deleteBatch failed: 0 io_error", 0, "io_error", true, e);
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(config.baseUrl().toString().replaceAll("/+$", "") + "/" + path))
                .timeout(config.requestTimeout())
                .header("x-api-key", config.apiKey())
                .header("anthropic-version", config.version());
    }

    private JsonNode sendJson(String operation, HttpRequest request) {
        HttpResponse<InputStream> response = send(operation, request);
        try (InputStream in = response.body()) {
            byte[] body = in.readNBytes(4 * 1024 * 1024);
            if (response.statusCode() / 100 != 2) {
                ProviderException e = failure(operation, response.statusCode(), body);
                var wait = response.headers().firstValue("retry-after");
                if (wait.isPresent()) {
                    try {
                        e = new ProviderException(e.getMessage(), e.statusCode(), e.code(), e.retryable(),
                                Duration.ofMillis((long) (Double.parseDouble(wait.get()) * 1000)), null);
                    } catch (NumberFormatException notSeconds) {
                        // an HTTP date: the caller's own backoff applies
                    }
                }
                throw e;
            }
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new ProviderException("anthropic " + operation + " failed: 0 io_error", 0, "io_error", true, e);
        }
    }

    private HttpResponse<InputStream> send(String operation, HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            throw new ProviderException("anthropic " + operation + " failed: 0 timeout", 0, "timeout", true, e);
        } catch (IOException e) {
            throw new ProviderException("anthropic " + operation + " failed: 0 io_error: " + e.getClass().getSimpleName(),
                    0, "io_error", true, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProviderException("anthropic " + operation + " failed: 0 interrupted", 0, "interrupted", true, e);
        }
    }

    /** The envelope {"type":"error","error":{"type","message"}} as an exception; never request text. */
    static ProviderException failure(String operation, int status, byte[] body) {
        String type = null;
        String message = "no error message";
        try {
            JsonNode e = JSON.readTree(body).path("error");
            type = e.path("type").asText(null);
            message = e.path("message").asText(message);
        } catch (IOException | RuntimeException notJson) {
            // not an Anthropic envelope; the status speaks alone
        }
        boolean retryable = status == 408 || status == 409 || status == 429 || status >= 500;
        return new ProviderException("anthropic " + operation + " failed: " + status + (type == null ? "" : " " + type)
                + ": " + (message.length() > 300 ? message.substring(0, 300) + "…" : message), status, type, retryable, null);
    }
}
