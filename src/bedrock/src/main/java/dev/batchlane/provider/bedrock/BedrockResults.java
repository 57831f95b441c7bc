package dev.batchlane.provider.bedrock;

import static dev.batchlane.provider.bedrock.BedrockFailures.failure;
import static dev.batchlane.provider.bedrock.BedrockProvider.JSON;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.FailureKind;
import dev.batchlane.core.provider.KeyRedaction;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Usage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Reads a job's output folder: every {@code .jsonl.out} file line by line as the lane's results,
 * and {@code manifest.json.out} to compare Bedrock's own count with what the lines say. Batch jobs
 * and on-demand runs write the same format, so both are read here.
 */
final class BedrockResults {
    // Logged under the adapter's name, as before the split, so operators' filters still match.
    private static final System.Logger LOG = System.getLogger(BedrockProvider.class.getName());

    private final BedrockBucket bucket;

    BedrockResults(BedrockBucket bucket) {
        this.bucket = bucket;
    }

    void stream(BatchView batch, Consumer<LineResult> sink) {
        if (batch.outputFileId() == null) {
            return;
        }
        long lines = 0;
        Usage usage = Usage.ZERO;
        for (String key : bucket.list(batch.outputFileId())) {
            if (!key.endsWith(".jsonl.out")) {
                continue;
            }
            try (InputStream in = bucket.open(key);
                    BufferedReader reader =
                            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                long number = 0;
                while ((line = reader.readLine()) != null) {
                    number++;
                    if (!line.isBlank()) {
                        LineResult r;
                        try {
                            r = toResult(JSON.readTree(line));
                        } catch (com.fasterxml.jackson.core.JsonProcessingException garbled) {
                            // As for every provider (ProviderHttp#streamLines): one garbled line
                            // must not hold back the others; its record is joined as having no
                            // result. Its text (a model's answer) is never logged.
                            LOG.log(
                                    Level.WARNING,
                                    "bedrock results {0}: line {1} is not readable JSON; skipped",
                                    key,
                                    number);
                            continue;
                        }
                        lines++;
                        if (r.usage() != null) {
                            usage = usage.plus(r.usage());
                        }
                        sink.accept(r);
                    }
                }
            } catch (IOException e) {
                throw new ProviderException(
                        "bedrock results " + key + " failed: io_error", 0, "io_error", true, e);
            } catch (SdkException e) {
                throw failure("results " + key, e);
            }
        }
        checkManifest(batch, lines, usage);
    }

    /**
     * The manifest is Bedrock's own bill of the job. The lane bills per record (each result line's
     * usage); a manifest that disagrees is logged so the difference is seen, never silently priced.
     */
    private void checkManifest(BatchView batch, long lines, Usage usage) {
        BedrockProvider.Manifest m = manifest(batch.outputFileId());
        if (m == null) {
            return;
        }
        if (m.processed() != lines
                || m.inputTokens() != usage.inputTokens()
                || m.outputTokens() != usage.outputTokens()) {
            LOG.log(
                    Level.WARNING,
                    "bedrock job {0}: manifest.json.out says {1} records, {2} input and {3} output tokens;"
                            + " the result lines say {4}, {5} and {6}",
                    batch.batchId(),
                    m.processed(),
                    m.inputTokens(),
                    m.outputTokens(),
                    lines,
                    usage.inputTokens(),
                    usage.outputTokens());
        }
    }

    /** {@code manifest.json.out} of a job's output folder, or null when there is none yet. */
    BedrockProvider.Manifest manifest(String outputFolder) {
        try (InputStream in = bucket.open(outputFolder + "manifest.json.out")) {
            JsonNode n = JSON.readTree(in);
            return new BedrockProvider.Manifest(
                    n.path("totalRecordCount").asLong(),
                    n.path("processedRecordCount").asLong(),
                    n.path("successRecordCount").asLong(),
                    n.path("errorRecordCount").asLong(),
                    n.path("inputTokenCount").asLong(),
                    n.path("outputTokenCount").asLong());
        } catch (NoSuchKeyException e) {
            return null;
        } catch (IOException | SdkException e) {
            LOG.log(
                    Level.WARNING,
                    "manifest.json.out under {0} could not be read: {1}",
                    outputFolder,
                    KeyRedaction.redactKeys(e.getMessage()));
            return null;
        }
    }

    /**
     * One output record: {@code modelOutput} (either format) or {@code error {errorCode,
     * errorMessage}}, whose text is kept with its key-shaped words redacted: it is the service's or
     * the model's, and goes on into the joined part, {@code failed.jsonl} and the manifest.
     */
    static LineResult toResult(JsonNode line) {
        String id = line.path("recordId").asText(null);
        JsonNode output = line.get("modelOutput");
        if (output != null && output.isObject()) {
            return new LineResult(
                    id, Outcome.SUCCEEDED, 200, output.toString(), null, usageOf(output));
        }
        JsonNode error = line.path("error");
        Integer code =
                error.path("errorCode").canConvertToInt() ? error.path("errorCode").asInt() : null;
        // Bedrock's errorCode is an HTTP status (429 throttled, 5xx service trouble, 4xx the
        // record's own fault): read as any HTTP API's. A record with neither output nor error is
        // final: nothing says another run would differ.
        return new LineResult(
                id,
                Outcome.FAILED,
                code,
                null,
                error.isMissingNode()
                        ? "{\"errorMessage\":\"Bedrock wrote neither modelOutput nor error\"}"
                        : redacted(error).toString(),
                null,
                null,
                null,
                FailureKind.ofHttpStatus(code));
    }

    /** {@code node} with every text in it passed through {@link KeyRedaction}. */
    private static JsonNode redacted(JsonNode node) {
        if (node.isTextual()) {
            return TextNode.valueOf(KeyRedaction.redactKeys(node.asText()));
        }
        if (node.isObject()) {
            ObjectNode copy = JSON.createObjectNode();
            node.fields().forEachRemaining(f -> copy.set(f.getKey(), redacted(f.getValue())));
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = JSON.createArrayNode();
            node.forEach(n -> copy.add(redacted(n)));
            return copy;
        }
        return node;
    }

    /**
     * Converse ({@code usage.inputTokens}) and Anthropic's native body ({@code usage.input_tokens})
     * alike.
     */
    static Usage usageOf(JsonNode output) {
        JsonNode u = output.path("usage");
        if (u.has("inputTokens") || u.has("outputTokens")) {
            long cacheRead = u.path("cacheReadInputTokens").asLong(0);
            return new Usage(
                    u.path("inputTokens").asLong(0)
                            + cacheRead
                            + u.path("cacheWriteInputTokens").asLong(0),
                    cacheRead,
                    u.path("outputTokens").asLong(0));
        }
        long cacheRead = u.path("cache_read_input_tokens").asLong(0);
        return new Usage(
                u.path("input_tokens").asLong(0)
                        + cacheRead
                        + u.path("cache_creation_input_tokens").asLong(0),
                cacheRead,
                u.path("output_tokens").asLong(0));
    }
}
