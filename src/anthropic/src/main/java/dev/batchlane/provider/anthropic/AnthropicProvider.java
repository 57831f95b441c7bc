package dev.batchlane.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
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

    /** The HTTP status Anthropic documents for each error type (PROVIDERS.md §3.7). */
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
