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
     * Looks for the batch an unanswered create made. A message batch carries no metadata, and users
     * reuse request ids across files, so the match is by what a batch holds, when it was made and
     * whose it is not. Batches are listed newest first back to a little before the attempt; a
     * candidate was created within the attempt's window ({@link #window}), holds exactly the
     * shard's request count, and is recorded by no other shard of the lane ({@link
     * CreationQuery#taken}). An ended candidate is read to its last result line: it is this shard's
     * only if every line is one of the shard's ids, each once, all of them there. The answer is a
     * batch only when exactly one ended candidate matches that way and none is still running:
     * results exist only once a batch has ended, so while a candidate runs nothing is adopted and
     * nothing is created (undecided), and two that match alike cannot be told apart (undecided, for
     * the lane to flag). What is adopted is therefore always verified, and cleanup, which deletes
     * the adopted batch, never deletes another job's.
     */
    Reconciliation findCreated(CreationQuery q) {
        Window w = window(q);
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
                if (created.isBefore(w.since())) {
                    older = true;
                    break;
                }
                if (created.isAfter(w.until())) {
                    continue; // made after the attempt's call was over: not what it made
                }
                JsonNode c = b.path("request_counts");
                long total =
                        c.path("processing").asLong()
                                + c.path("succeeded").asLong()
                                + c.path("errored").asLong()
                                + c.path("canceled").asLong()
                                + c.path("expired").asLong();
                if (total == q.requestCount() && !q.taken(b.path("id").asText())) {
                    candidates.add(b);
                }
            }
            after = list.path("last_id").asText(null);
            if (older || !list.path("has_more").asBoolean(false) || after == null) {
                break;
            }
        }
        String where = q.requestCount() + " requests created between " + w;
        if (candidates.isEmpty()) {
            return Reconciliation.nothing("no batch of " + where + " that no other shard holds");
        }
        List<String> running = new java.util.ArrayList<>();
        for (JsonNode b : candidates) {
            if (!"ended".equals(b.path("processing_status").asText())) {
                running.add(b.path("id").asText());
            }
        }
        if (!running.isEmpty()) {
            // A running batch cannot be read, so even a single candidate stays undecided until it
            // ends: it may be a sibling shard's, created a moment ago and not recorded yet, or
            // another job's with the same ids; adopting it would leave this shard's own requests
            // unsent and join someone else's answers.
            return Reconciliation.undecided(
                    running.size()
                            + " batch(es) of "
                            + where
                            + " still running ("
                            + String.join(", ", running)
                            + "); whose they are is known once they end");
        }
        Set<String> ids = stagedIds(q.payload());
        List<String> matching = new java.util.ArrayList<>();
        List<String> unverifiable = new java.util.ArrayList<>();
        for (JsonNode b : candidates) {
            String id = b.path("id").asText();
            switch (verify(id, ids, q.requestCount())) {
                case MATCH -> matching.add(id);
                case UNREADABLE -> unverifiable.add(id);
                case FOREIGN -> {}
            }
        }
        if (matching.size() == 1 && unverifiable.isEmpty()) {
            String id = matching.get(0);
            return Reconciliation.batch(
                    id,
                    null,
                    "ended",
                    "batch "
                            + id
                            + " has "
                            + where
                            + ", no other shard of the lane holds it, and every one of its "
                            + q.requestCount()
                            + " result lines is one of this shard's custom_ids (definite)");
        }
        if (matching.size() > 1) {
            return Reconciliation.undecided(
                    matching.size()
                            + " ended batches of "
                            + where
                            + " ("
                            + String.join(", ", matching)
                            + ") each hold exactly this shard's custom_ids: another job with the"
                            + " same ids made one of them, and which is whose cannot be told");
        }
        if (!unverifiable.isEmpty()) {
            return Reconciliation.undecided(
                    unverifiable.size()
                            + " ended batch(es) of "
                            + where
                            + " ("
                            + String.join(", ", unverifiable)
                            + ") have results that cannot all be read, with nothing foreign among"
                            + " what can: whether one is this shard's cannot be verified");
        }
        return Reconciliation.nothing(
                candidates.size()
                        + " ended batch(es) of "
                        + where
                        + ", none holding exactly this shard's requests");
    }

    /**
     * When a batch made by the attempted call can have been created, by the provider's clock: from
     * {@link #CLOCK_SKEW} before the attempt started to that long after the call was surely over
     * ({@link CreationQuery#settledBy}: the caller held the shard's claim no longer).
     */
    static Window window(CreationQuery q) {
        return new Window(q.attemptedAt().minus(CLOCK_SKEW), q.settledBy().plus(CLOCK_SKEW));
    }

    record Window(java.time.Instant since, java.time.Instant until) {
        @Override
        public String toString() {
            return since + " and " + until;
        }
    }

    private enum Verdict {
        /** Every result line is one of the shard's ids, each once, all of them there. */
        MATCH,
        /** A result line for an id the shard does not have (or one twice): another's batch. */
        FOREIGN,
        /** Nothing foreign, but lines that cannot be read or are missing: cannot be told. */
        UNREADABLE
    }

    /** Reads an ended batch's results to the end (or to the first foreign id). */
    private Verdict verify(String batchId, Set<String> ids, long requestCount) {
        HttpResponse<InputStream> response = http.open("results", results.apply(batchId));
        Set<String> seen = new java.util.HashSet<>();
        boolean unreadable = false;
        try (BufferedReader r =
                new BufferedReader(
                        new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                String id;
                try {
                    id = JSON.readTree(line).path("custom_id").asText(null);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    id = null;
                }
                if (id == null) {
                    unreadable = true;
                    continue;
                }
                if (!ids.contains(id) || !seen.add(id)) {
                    return Verdict.FOREIGN;
                }
            }
        } catch (IOException e) {
            throw Failures.transport("anthropic", "results", e);
        }
        return unreadable || seen.size() != requestCount ? Verdict.UNREADABLE : Verdict.MATCH;
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
}
