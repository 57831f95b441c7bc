package dev.batchlane.provider.gemini;

import static dev.batchlane.provider.gemini.GeminiProvider.ambiguous;
import static dev.batchlane.provider.gemini.GeminiProvider.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.http.Escape;
import dev.batchlane.http.Failures;
import dev.batchlane.http.ProviderHttp;
import java.lang.System.Logger.Level;
import java.net.http.HttpRequest.BodyPublishers;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Gemini's batches: creating one from an uploaded file (adopting one an earlier attempt made),
 * finding one by its display name, reading one as the lane's {@link BatchView}, cancelling one.
 * Creation is not idempotent at Google, so every create here is preceded by a look for the batch.
 */
final class GeminiBatches {
    // Logged under the adapter's name, as before the split, so operators' filters still match.
    private static final System.Logger LOG = System.getLogger(GeminiProvider.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ProviderHttp http;

    GeminiBatches(ProviderHttp http) {
        this.http = http;
    }

    /**
     * Creates the batch from an uploaded file, unless one made by an earlier attempt for this shard
     * exists: that one is adopted. A create whose outcome is unknown is checked once more at once,
     * and again before the caller's next attempt.
     */
    Submission create(
            String inputFileId, Payload payload, String endpoint, Map<String, String> metadata) {
        Objects.requireNonNull(inputFileId, "inputFileId");
        Objects.requireNonNull(endpoint, "endpoint");
        String model = GeminiNames.modelOf(endpoint);
        String displayName = GeminiNames.displayName(metadata, payload);
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
     * The batch of this display name, paging through {@code batches.list}; the lane deletes its
     * ended batches, so the list stays short.
     */
    Optional<JsonNode> findByDisplayName(String displayName) {
        String token = null;
        do {
            String path =
                    "v1beta/batches?pageSize="
                            + GeminiNames.LIST_PAGE_SIZE
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

    static Submission submission(JsonNode operation, String inputFileId) {
        String name = text(operation.get("name"));
        if (name == null || !GeminiNames.BATCH_NAME.matcher(name).matches()) {
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

    BatchView retrieve(String batchId) {
        JsonNode op =
                http.sendJson(
                        "batches.get",
                        http.request("v1beta/" + GeminiNames.batchPath(batchId)).GET().build());
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
    void cancel(String batchId) {
        http.sendJson(
                "batches.cancel",
                http.request("v1beta/" + GeminiNames.batchPath(batchId) + ":cancel")
                        .header("Content-Type", "application/json")
                        .POST(BodyPublishers.ofString("{}"))
                        .build());
        LOG.log(Level.INFO, "batch {0}: cancel requested", batchId);
    }
}
