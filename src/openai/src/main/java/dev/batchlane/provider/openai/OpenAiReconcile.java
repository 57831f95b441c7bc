package dev.batchlane.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.http.Escape;
import dev.batchlane.http.Failures;
import dev.batchlane.http.ProviderHttp;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Looks for what an unanswered creation made at OpenAI (docs/providers-reconcile.md). Batches are
 * listed newest first (100 a page) back to a little before the attempt; one whose metadata carries
 * this job's and shard's ids is it — a definite match, since nothing else sends those ids. For an
 * unanswered upload, files with purpose batch are listed the same way; one named after the shard
 * with the shard's size is it. Any further such files (a second lost upload) are deleted, as
 * nothing will use them.
 *
 * <p>A vendor whose batches take no metadata (Together) is searched by the input file instead: the
 * lane records the file before every create and never reuses it for another batch, so a batch
 * reading this shard's recorded file is the one the unanswered create made, a definite match.
 */
final class OpenAiReconcile {
    /**
     * Provider clocks and ours differ; a creation is looked for from this long before it was
     * started.
     */
    static final long CLOCK_SKEW_SECONDS = 300;

    private static final int MAX_PAGES = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final OpenAiFiles files;

    OpenAiReconcile(OpenAiFiles files) {
        this.files = files;
    }

    Reconciliation find(CreationQuery q) {
        if (!files.vendor().sendsMetadata()) {
            if (q.inputFileId() != null) {
                return byInputFile(q);
            }
            return findUpload(q, "no batch without a recorded input file");
        }
        long since = q.attemptedAt().getEpochSecond() - CLOCK_SKEW_SECONDS;
        List<JsonNode> batches =
                newest(
                        "listBatches",
                        "batches?limit=100",
                        since,
                        b ->
                                q.metadata().entrySet().stream()
                                        .allMatch(
                                                m ->
                                                        m.getValue()
                                                                .equals(
                                                                        b.path("metadata")
                                                                                .path(m.getKey())
                                                                                .asText(null))),
                        true);
        if (!batches.isEmpty()) {
            JsonNode b = batches.get(0);
            return Reconciliation.batch(
                    b.path("id").asText(),
                    ProviderHttp.optionalText(b, "input_file_id"),
                    b.path("status").asText(null),
                    "batch "
                            + b.path("id").asText()
                            + " carries metadata "
                            + q.metadata()
                            + " (definite)");
        }
        return findUpload(
                q, "no batch with metadata " + q.metadata() + " created since " + q.attemptedAt());
    }

    /**
     * The batch reading the shard's recorded input file, in a list that is a bare array (Together)
     * or OpenAI's {@code data}. The recorded file is this shard's alone, so this is definite.
     */
    private Reconciliation byInputFile(CreationQuery q) {
        HttpResponse<InputStream> response =
                files.http.open("listBatches", files.request("batches").GET().build());
        JsonNode list;
        try (InputStream in = response.body()) {
            byte[] body = in.readNBytes(ProviderHttp.MAX_JSON_RESPONSE + 1);
            if (body.length > ProviderHttp.MAX_JSON_RESPONSE) {
                throw Failures.malformed(
                        "openai",
                        "listBatches",
                        response.statusCode(),
                        "the batch list exceeded " + ProviderHttp.MAX_JSON_RESPONSE + " bytes",
                        null);
            }
            list = JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw Failures.malformed(
                    "openai",
                    "listBatches",
                    response.statusCode(),
                    "the batch list was not JSON",
                    e);
        }
        JsonNode batches = list != null && list.isArray() ? list : list.path("data");
        if (!batches.isArray()) {
            throw Failures.malformed(
                    "openai",
                    "listBatches",
                    response.statusCode(),
                    "the batch list was neither an array nor a {data} object",
                    null);
        }
        for (JsonNode b : batches) {
            if (q.inputFileId().equals(b.path("input_file_id").asText(null))
                    && !q.knownBatchIds().contains(b.path("id").asText())) {
                return Reconciliation.batch(
                        b.path("id").asText(),
                        q.inputFileId(),
                        b.path("status").isTextual()
                                ? Vendor.openAiStatus(b.get("status").asText())
                                : null,
                        "batch "
                                + b.path("id").asText()
                                + " reads the shard's own input file "
                                + q.inputFileId()
                                + " (definite)");
            }
        }
        return Reconciliation.nothing("no batch reads the shard's input file " + q.inputFileId());
    }

    /**
     * For an unanswered upload (no file recorded yet): the file named after the shard with its
     * size, created since the attempt; NOTHING otherwise, saying {@code noBatch} first.
     */
    Reconciliation findUpload(CreationQuery q, String noBatch) {
        long since = q.attemptedAt().getEpochSecond() - CLOCK_SKEW_SECONDS;
        if (q.inputFileId() != null || q.step() != CreationAttempt.Step.UPLOAD) {
            return Reconciliation.nothing(noBatch);
        }
        String filename = Escape.formFilename(q.payload().name());
        List<String> matches =
                newest(
                                "listFiles",
                                "files?purpose="
                                        + Escape.query(files.vendor().filePurpose())
                                        + "&order=desc&limit=1000",
                                since,
                                f ->
                                        filename.equals(f.path("filename").asText(null))
                                                && f.path("bytes").asLong(-1) == q.payload().size(),
                                false)
                        .stream()
                        .map(f -> f.path("id").asText())
                        .toList();
        if (matches.isEmpty()) {
            return Reconciliation.nothing(
                    noBatch
                            + "; no file named "
                            + q.payload().name()
                            + " created since "
                            + q.attemptedAt());
        }
        for (String extra : matches.subList(1, matches.size())) {
            files.deleteQuietly(extra);
        }
        return Reconciliation.file(
                matches.get(0),
                "file "
                        + matches.get(0)
                        + " is named "
                        + q.payload().name()
                        + " with its "
                        + q.payload().size()
                        + " bytes (definite)"
                        + (matches.size() > 1
                                ? "; " + (matches.size() - 1) + " more such upload(s) deleted"
                                : ""));
    }

    /**
     * The listed objects created since {@code since} that match, newest first; the first only when
     * {@code first}.
     */
    private List<JsonNode> newest(
            String operation, String path, long since, Predicate<JsonNode> match, boolean first) {
        List<JsonNode> found = new ArrayList<>();
        String after = null;
        for (int page = 0; page < MAX_PAGES; page++) {
            JsonNode list =
                    files.sendJson(
                            operation,
                            files.request(
                                            path
                                                    + (after == null
                                                            ? ""
                                                            : "&after=" + Escape.segment(after)))
                                    .GET()
                                    .build());
            JsonNode data = list.path("data");
            for (JsonNode o : data) {
                if (o.path("created_at").asLong(Long.MAX_VALUE) < since) {
                    return found;
                }
                if (match.test(o)) {
                    found.add(o);
                    if (first) {
                        return found;
                    }
                }
                after = o.path("id").asText(null);
            }
            if (!list.path("has_more").asBoolean(false) || data.isEmpty()) {
                break;
            }
        }
        return found;
    }
}
