package dev.batchlane.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.http.Escape;
import dev.batchlane.http.ProviderHttp;
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
 */
final class OpenAiReconcile {
    /**
     * Provider clocks and ours differ; a creation is looked for from this long before it was
     * started.
     */
    static final long CLOCK_SKEW_SECONDS = 300;

    private static final int MAX_PAGES = 1000;

    private final OpenAiFiles files;

    OpenAiReconcile(OpenAiFiles files) {
        this.files = files;
    }

    Reconciliation find(CreationQuery q) {
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
        if (q.inputFileId() != null || q.step() != CreationAttempt.Step.UPLOAD) {
            return Reconciliation.nothing(
                    "no batch with metadata " + q.metadata() + " created since " + q.attemptedAt());
        }
        String filename = Escape.formFilename(q.payload().name());
        List<String> matches =
                newest(
                                "listFiles",
                                "files?purpose=batch&order=desc&limit=1000",
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
                    "no batch with metadata "
                            + q.metadata()
                            + " and no file named "
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
