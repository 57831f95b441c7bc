package dev.batchlane.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.http.Escape;
import dev.batchlane.http.Failures;
import dev.batchlane.http.ProviderHttp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The reconciliation of an Anthropic create whose answer was lost: what the earlier attempt made,
 * found by listing the account's batches (Anthropic keeps no client metadata on a batch).
 */
final class AnthropicReconcile {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Provider clocks and ours differ; a creation is looked for from this long before it was
     * started.
     */
    static final java.time.Duration CLOCK_SKEW = java.time.Duration.ofMinutes(5);

    private final ProviderHttp http;
    private final Function<String, HttpRequest> results;

    AnthropicReconcile(ProviderHttp http, Function<String, HttpRequest> results) {
        this.http = http;
        this.results = results;
    }

    /**
     * Looks for the batch an unanswered create made. A message batch carries no metadata, so the
     * match is by what it holds: batches are listed newest first back to a little before the
     * attempt, and a candidate is one created since then, with exactly the shard's request count,
     * that no other shard of the job recorded. An ended candidate is verified by its results (its
     * first line's custom_id must be one of the shard's): definite. Candidates still in progress
     * leave it undecided, even a single one, until they end and their results tell.
     */
    Reconciliation findCreated(CreationQuery q) {
        java.time.Instant since = q.attemptedAt().minus(CLOCK_SKEW);
        List<JsonNode> candidates = new java.util.ArrayList<>();
        String after = null;
        for (int page = 0; page < 1000; page++) {
            JsonNode list =
                    http.sendJson(
                            "listBatches",
                            http.request(
                                            AnthropicProvider.BATCHES
                                                    + "?limit=100"
                                                    + (after == null
                                                            ? ""
                                                            : "&after_id=" + Escape.query(after)))
                                    .GET()
                                    .build());
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
                long total =
                        c.path("processing").asLong()
                                + c.path("succeeded").asLong()
                                + c.path("errored").asLong()
                                + c.path("canceled").asLong()
                                + c.path("expired").asLong();
                if (total == q.requestCount()
                        && !q.knownBatchIds().contains(b.path("id").asText())) {
                    candidates.add(b);
                }
            }
            after = list.path("last_id").asText(null);
            if (older || !list.path("has_more").asBoolean(false) || after == null) {
                break;
            }
        }
        if (candidates.isEmpty()) {
            return Reconciliation.nothing(
                    "no batch of " + q.requestCount() + " requests created since " + since);
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
                return Reconciliation.batch(
                        id,
                        null,
                        "ended",
                        "batch "
                                + id
                                + " has "
                                + q.requestCount()
                                + " requests, was created since "
                                + since
                                + " and its results hold this shard's custom_id "
                                + first
                                + " (definite)");
            }
        }
        if (unverified.isEmpty()) {
            return Reconciliation.nothing(
                    candidates.size()
                            + " batch(es) of "
                            + q.requestCount()
                            + " requests created since "
                            + since
                            + ", none holding this shard's requests");
        }
        // A running batch cannot be read, so even a single candidate stays undecided until it ends:
        // it may be a sibling shard's, created a moment ago and not recorded yet (or another
        // job's),
        // and adopting it would leave this shard's own requests unsent and reported missing.
        return Reconciliation.undecided(
                unverified.size()
                        + " batch(es) of "
                        + q.requestCount()
                        + " requests created since "
                        + since
                        + " still running; whose they are is known once they end");
    }

    /** The custom_ids of a staged shard. */
    private static Set<String> stagedIds(Payload payload) {
        Set<String> ids = new java.util.HashSet<>();
        try (BufferedReader r =
                new BufferedReader(new InputStreamReader(payload.open(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    ids.add(JSON.readTree(line).path("custom_id").asText());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "staged shard " + payload.name() + " could not be read", e);
        }
        return ids;
    }

    /** The custom_id of an ended batch's first result line, or null when it has none. */
    private String firstResultId(String batchId) {
        HttpResponse<InputStream> response = http.open("results", results.apply(batchId));
        try (InputStream in = response.body()) {
            String line =
                    new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))
                            .readLine();
            return line == null || line.isBlank()
                    ? null
                    : JSON.readTree(line).path("custom_id").asText(null);
        } catch (IOException e) {
            throw Failures.transport("anthropic", "results", e);
        }
    }
}
