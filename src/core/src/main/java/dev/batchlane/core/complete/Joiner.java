package dev.batchlane.core.complete;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.ingest.LineReader;
import dev.batchlane.core.job.ShardResult;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Usage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Joins a batch's result lines to the shard's staged requests by custom_id, never by position:
 * providers return lines in any order. Every staged request gets exactly one joined line — its
 * result, or a line saying why there is none. A result whose id was never staged, or that repeats,
 * is counted and dropped rather than written twice.
 */
public final class Joiner {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_STAGED_LINE = 64 * 1024 * 1024;

    /**
     * How to account for a staged request the provider returned no line for. {@code notProcessed}
     * is how many of the shard's requests the provider's own counts say it never processed (total
     * minus completed minus failed). A {@link Outcome#MISSING} request is sent again only when
     * every missing request can be one of those: otherwise the provider may have run (and billed)
     * it and lost only its line, and it is a final failure with the unanswered code instead of a
     * blind second run. Other outcomes (the batch expired or was cancelled) follow {@link
     * ResubmitPolicy}.
     */
    public record Unanswered(Outcome outcome, String code, String message, long notProcessed) {
        public Unanswered(Outcome outcome, String code, String message) {
            this(outcome, code, message, 0);
        }
    }

    /**
     * Reads the ids of a staged shard. Memory is one string per request of one shard (at most the
     * provider's per-batch limit), never the request bodies.
     */
    public static Set<String> stagedIds(InputStream staged, String idField) throws IOException {
        Set<String> ids = new LinkedHashSet<>();
        LineReader reader = new LineReader(staged, MAX_STAGED_LINE);
        LineReader.Line line;
        while ((line = reader.next()) != null) {
            if (line.blank()) {
                continue;
            }
            String id = idOf(line.bytes(), line.length(), idField);
            if (id == null) {
                throw new IllegalStateException(
                        "staged line "
                                + line.number()
                                + " has no "
                                + idField
                                + "; staging only holds validated lines");
            }
            ids.add(id);
        }
        return ids;
    }

    /**
     * The id of a staged line, read with the streaming parser up to the id field and no further:
     * staged lines were validated at ingest, and building a tree of a 2 KB request to read one
     * field made the id pass the slowest part of a join. Null when the line has no string id.
     */
    static String idOf(byte[] bytes, int length, String idField) throws IOException {
        try (JsonParser p = JSON.getFactory().createParser(bytes, 0, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals(idField)) {
                    return value == JsonToken.VALUE_STRING ? p.getText() : null;
                }
                p.skipChildren();
            }
            return null;
        }
    }

    /**
     * A joined shard: its counts, and the ids handed on to a child shard (resubmitted) or to the
     * failed list.
     */
    public record Joined(ShardResult result, Set<String> resubmit, Set<String> finalFailures) {}

    /**
     * Writes the joined part to {@code part}, which is left open: the caller completes or aborts
     * the upload. {@code results} streams the provider's lines into the consumer it is given. When
     * {@code mayResubmit}, requests that failed for a passing reason (see {@link ResubmitPolicy})
     * are not written but returned for a child shard; every other failure is written with its error
     * and returned as a final failure.
     */
    public static Joined join(
            Set<String> pending,
            Consumer<Consumer<LineResult>> results,
            Unanswered unanswered,
            boolean mayResubmit,
            OutputStream part,
            String partKey) {
        return join(pending, results, unanswered, mayResubmit, part, partKey, false);
    }

    /**
     * As above; {@code onDemand} says the provider ran this shard synchronously rather than as a
     * batch (too small for one), and every line written carries {@code "on_demand": true}: the user
     * sees which answers were billed at the synchronous price without reading the manifest.
     */
    public static Joined join(
            Set<String> pending,
            Consumer<Consumer<LineResult>> results,
            Unanswered unanswered,
            boolean mayResubmit,
            OutputStream part,
            String partKey,
            boolean onDemand) {
        long[] counts = new long[Outcome.values().length];
        long[] unknown = {0};
        Usage[] usage = {Usage.ZERO};
        java.util.Map<String, Usage> byModel = new java.util.TreeMap<>();
        Set<String> resubmit = new LinkedHashSet<>();
        Set<String> finalFailures = new LinkedHashSet<>();
        try (JsonGenerator out =
                new JsonFactory()
                        .createGenerator(part, JsonEncoding.UTF8)
                        .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)) {
            out.setRootValueSeparator(null);
            boolean[] resubmitMissing = {false};
            Consumer<LineResult> route =
                    line -> {
                        if (line.usage() != null) {
                            // billed whatever happens next to the request
                            usage[0] = usage[0].plus(line.usage());
                            // priced per model: a file may mix models, each at its own price
                            byModel.merge(
                                    line.model() == null ? "" : line.model(),
                                    line.usage(),
                                    Usage::plus);
                        }
                        boolean again =
                                line.outcome() == Outcome.MISSING
                                        ? resubmitMissing[0]
                                        : ResubmitPolicy.worthResubmitting(line);
                        if (mayResubmit && again) {
                            resubmit.add(line.customId());
                            return;
                        }
                        counts[line.outcome().ordinal()]++;
                        if (line.outcome() != Outcome.SUCCEEDED) {
                            finalFailures.add(line.customId());
                        }
                        write(out, line, onDemand);
                    };
            results.accept(
                    line -> {
                        if (!pending.remove(line.customId())) {
                            unknown[0]++;
                            return;
                        }
                        route.accept(line);
                    });
            String error =
                    JSON.createObjectNode()
                            .put("code", unanswered.code())
                            .put("message", unanswered.message())
                            .toString();
            resubmitMissing[0] = pending.size() <= unanswered.notProcessed();
            for (String id : pending) {
                route.accept(
                        new LineResult(
                                id,
                                unanswered.outcome(),
                                null,
                                null,
                                error,
                                null,
                                unanswered.code(),
                                null));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing joined results to " + partKey + " failed", e);
        }
        ShardResult result =
                new ShardResult(
                        counts[Outcome.SUCCEEDED.ordinal()],
                        counts[Outcome.FAILED.ordinal()],
                        counts[Outcome.EXPIRED.ordinal()],
                        counts[Outcome.CANCELLED.ordinal()],
                        counts[Outcome.MISSING.ordinal()],
                        unknown[0],
                        usage[0],
                        partKey,
                        resubmit.size(),
                        finalFailures.size(),
                        byModel);
        return new Joined(result, resubmit, finalFailures);
    }

    /** Staged lines to pick out by id, and where they go. */
    public record Selection(Set<String> ids, OutputStream out) {}

    /**
     * Copies each staged line whose id is in a selection to that selection's output, byte for byte,
     * so a child shard or the failed list holds exactly what the user wrote. One pass over the
     * shard serves every selection.
     */
    public static void select(InputStream staged, String idField, List<Selection> selections)
            throws IOException {
        LineReader reader = new LineReader(staged, MAX_STAGED_LINE);
        LineReader.Line line;
        while ((line = reader.next()) != null) {
            if (line.blank()) {
                continue;
            }
            String id = idOf(line.bytes(), line.length(), idField);
            if (id == null) {
                continue;
            }
            for (Selection s : selections) {
                if (s.ids().contains(id)) {
                    s.out().write(line.bytes(), 0, line.length());
                    s.out().write('\n');
                }
            }
        }
    }

    private static void write(JsonGenerator out, LineResult line, boolean onDemand) {
        try {
            out.writeStartObject();
            out.writeStringField("custom_id", line.customId());
            out.writeStringField("outcome", line.outcome().wire());
            if (line.statusCode() != null) {
                out.writeNumberField("status_code", line.statusCode());
            } else {
                out.writeNullField("status_code");
            }
            out.writeFieldName("response");
            if (line.responseJson() != null) {
                out.writeRawValue(line.responseJson());
            } else {
                out.writeNull();
            }
            out.writeFieldName("error");
            if (line.errorJson() != null) {
                out.writeRawValue(line.errorJson());
            } else {
                out.writeNull();
            }
            out.writeFieldName("usage");
            if (line.usage() != null) {
                out.writeStartObject();
                out.writeNumberField("input_tokens", line.usage().inputTokens());
                out.writeNumberField("cached_input_tokens", line.usage().cachedInputTokens());
                out.writeNumberField("output_tokens", line.usage().outputTokens());
                out.writeEndObject();
            } else {
                out.writeNull();
            }
            if (onDemand) {
                // Only on such lines: a batch shard's lines stay as they always were.
                out.writeBooleanField("on_demand", true);
            }
            out.writeEndObject();
            out.writeRaw('\n');
        } catch (IOException e) {
            throw new UncheckedIOException("writing a joined line failed", e);
        }
    }
}
