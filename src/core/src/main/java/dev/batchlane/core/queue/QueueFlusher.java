package dev.batchlane.core.queue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.LineReader;
import dev.batchlane.core.lane.Deadline;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.money.Money;
import dev.batchlane.core.money.Projection;
import dev.batchlane.core.money.TokenEstimate;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns what waits in the buffer into jobs. A group is flushed when it is full (its policy's
 * requests or bytes, within one provider batch) or its oldest request has waited its policy's
 * maximum; groups go in the order their oldest request arrived. A flush is written in steps that
 * can each be repeated: the flush's record is claimed in the table, the requests it takes are
 * written to {@code queue-flushes/} (what it took, fixed from then on), the inbox file is written
 * from that record, then its requests leave the buffer and the flush is marked written. A flusher
 * that dies leaves a claimed flush whose lease ends; the next cycle finishes the same flush from
 * its record, so no request lands in two files.
 */
public final class QueueFlusher {
    private static final System.Logger LOG = System.getLogger(QueueFlusher.class.getName());

    /** Longer than any invocation (Lambda's 15 minutes), so a live flusher is never overtaken. */
    public static final Duration LEASE = Duration.ofMinutes(16);

    /**
     * A record line holds an inline request (at most {@link QueueIntake#MAX_INLINE_BYTES}),
     * escaped.
     */
    private static final int MAX_RECORD_LINE = 4 * QueueIntake.MAX_INLINE_BYTES;

    private final QueueBuffer buffer;
    private final ObjectStore objects;
    private final Providers providers;
    private final LaneSettings settings;
    private final QueuePolicies policies;
    private final String bucket;
    private final Clock clock;
    private final LaneMetrics metrics;

    public QueueFlusher(
            QueueBuffer buffer,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            QueuePolicies policies,
            String bucket,
            Clock clock,
            LaneMetrics metrics) {
        this.buffer = buffer;
        this.objects = objects;
        this.providers = providers;
        this.settings = settings;
        this.policies = policies;
        this.bucket = bucket;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** Flushes every group that is due, oldest first, while {@code deadline} allows. */
    public List<Flush> flushDue(Deadline deadline) {
        Instant now = clock.instant();
        List<GroupDepth> groups = new ArrayList<>(buffer.groups());
        groups.sort(
                Comparator.comparing(
                        GroupDepth::oldest, Comparator.nullsLast(Comparator.naturalOrder())));
        List<Flush> written = new ArrayList<>();
        for (GroupDepth depth : groups) {
            if (!deadline.allows(clock, Duration.ofMinutes(1))) {
                LOG.log(Level.INFO, "queue: the invocation ends soon; the rest flush next cycle");
                break;
            }
            QueuePolicy policy = policies.of(depth.group().queue());
            reportDepth(depth, policy, now);
            Optional<Flush> open = buffer.openFlush(depth.group());
            if (open.isPresent()) {
                if (open.get().leaseUntil().isAfter(now)) {
                    continue; // another flusher is at it
                }
                Flush takeover = open.get().leasedUntil(now.plus(LEASE));
                if (buffer.claimFlush(takeover, open.get().leaseUntil())) {
                    LOG.log(
                            Level.WARNING,
                            "queue {0}: flush {1} was left unfinished; finishing it",
                            depth.group().queue(),
                            takeover.flushId());
                    written.add(write(takeover, policy));
                }
                continue;
            }
            // A group holding several batches' worth flushes them one after the other.
            GroupDepth left = depth;
            for (int n = 0; n < MAX_FLUSHES_PER_GROUP && due(left, policy, now); n++) {
                if (!withinDailyBudget(left.group(), policy, now)) {
                    break;
                }
                Flush flush =
                        Flush.open(
                                flushId(left.group(), now.plusMillis(n)),
                                left.group(),
                                now,
                                now.plus(LEASE));
                if (!buffer.claimFlush(flush, null)) {
                    break;
                }
                Flush done = write(flush, policy);
                written.add(done);
                if (done.requests() == 0 || !deadline.allows(clock, Duration.ofMinutes(1))) {
                    break;
                }
                left = depthOf(left.group());
            }
        }
        return written;
    }

    /** At most this many flushes of one group per cycle, so one busy queue cannot starve others. */
    private static final int MAX_FLUSHES_PER_GROUP = 20;

    private GroupDepth depthOf(QueueGroup group) {
        return buffer.groups().stream()
                .filter(d -> d.group().id().equals(group.id()))
                .findFirst()
                .orElse(new GroupDepth(group, 0, 0, null));
    }

    /**
     * Whether the next flush of {@code group} fits what is left of its queue's daily budget
     * (always, without one). Priced as ingest prices a file: the batch price, the synchronous one
     * for a flush the provider runs on demand. A model without a price cannot be held to a budget:
     * its flushes wait, and the log says why.
     */
    private boolean withinDailyBudget(QueueGroup group, QueuePolicy policy, Instant now) {
        if (policy.dailyBudgetUsd() == null) {
            return true;
        }
        BatchProvider provider = providers.get(group.queue().provider());
        IngestLimits limits = provider.limits().cappedBy(settings.limits());
        long maxRequests = policy.requestsPerFlush(limits.maxRequestsPerShard());
        List<QueuedRequest> next = new ArrayList<>();
        buffer.waiting(group, (int) maxRequests).forEach(next::add);
        Projection cost = projection(group, next);
        if (!cost.complete()) {
            LOG.log(
                    Level.ERROR,
                    "queue {0}: daily-budget-usd is set but model(s) {1} have no price; its flushes"
                            + " wait until the price table has them",
                    group.queue(),
                    cost.unpricedModels());
            return false;
        }
        java.math.BigDecimal spent = buffer.spent(group.queue(), day(now));
        if (spent.add(cost.batchUsd()).compareTo(policy.dailyBudgetUsd()) > 0) {
            LOG.log(
                    Level.WARNING,
                    "queue {0}: the next flush is projected at {1} USD and {2} USD of the day''s"
                            + " daily-budget-usd {3} is spent; it waits for the next day (UTC)",
                    group.queue(),
                    cost.batchUsd(),
                    spent,
                    policy.dailyBudgetUsd());
            return false;
        }
        return true;
    }

    private Projection projection(QueueGroup group, List<QueuedRequest> requests) {
        long input = 0;
        long output = 0;
        for (QueuedRequest r : requests) {
            input = TokenEstimate.saturatedSum(input, r.inputTokens());
            output = TokenEstimate.saturatedSum(output, r.maxOutputTokens());
        }
        TokenEstimate estimate = new TokenEstimate(requests.size(), input, output);
        BatchProvider provider = providers.get(group.queue().provider());
        long minimum = provider.contract().forFile(group.metadata()).onDemandBelow();
        String model = String.valueOf(group.model());
        return Projection.of(
                provider.name(),
                Map.of(model, estimate),
                requests.size() < minimum ? Map.of(model, estimate) : Map.of(),
                settings.money().prices());
    }

    private static java.time.LocalDate day(Instant at) {
        return at.atZone(java.time.ZoneOffset.UTC).toLocalDate();
    }

    /** Whether {@code depth}'s group is full, or its oldest request has waited long enough. */
    boolean due(GroupDepth depth, QueuePolicy policy, Instant now) {
        if (depth.oldest() == null) {
            return false;
        }
        Optional<BatchProvider> provider = providers.find(depth.group().queue().provider());
        if (provider.isEmpty()) {
            return false; // left for when the deployment enables it again; status shows it
        }
        IngestLimits limits = provider.get().limits().cappedBy(settings.limits());
        if (depth.requests() >= policy.requestsPerFlush(limits.maxRequestsPerShard())
                || depth.bytes() >= policy.bytesPerFlush(limits.maxBytesPerShard())) {
            return true;
        }
        if (now.isBefore(depth.oldest().plus(policy.maxWait()))) {
            return false;
        }
        long minimum = provider.get().contract().forFile(depth.group().metadata()).onDemandBelow();
        if (depth.requests() < minimum && policy.belowMinimum() == QueuePolicy.BelowMinimum.WAIT) {
            return false; // waits for the provider's minimum, as the queue's policy says
        }
        return true;
    }

    private void reportDepth(GroupDepth depth, QueuePolicy policy, Instant now) {
        long age =
                depth.oldest() == null
                        ? 0
                        : Math.max(0, Duration.between(depth.oldest(), now).toSeconds());
        long percent = age * 100 / Math.max(1, policy.maxWait().toSeconds());
        metrics.queueDepth(depth.group().queue().id(), depth.requests(), age, percent);
    }

    /** Writes (or finishes writing) one flush; every step can be repeated. */
    Flush write(Flush flush, QueuePolicy policy) {
        String recordKey = QueueKeys.flushRecord(flush);
        if (objects.head(recordKey).isEmpty()) {
            writeRecord(flush, policy, recordKey);
        }
        String inboxKey = QueueKeys.inbox(flush);
        List<QueuedRequest> taken = new ArrayList<>();
        long[] bytes = {0};
        Optional<ObjectStore.ObjectInfo> inbox = objects.head(inboxKey);
        if (inbox.isEmpty()) {
            writeInbox(flush, policy, recordKey, inboxKey, taken, bytes);
            inbox = objects.head(inboxKey);
        } else {
            readRecord(flush, recordKey, false, (r, line) -> taken.add(r));
        }
        if (taken.isEmpty()) {
            // Nothing waited after all (the depth lagged): no file; the flush ends empty.
            buffer.flushWritten(flush.written(null, 0, 0));
            return flush.written(null, 0, 0);
        }
        ObjectStore.ObjectInfo info =
                inbox.orElseThrow(
                        () -> new IllegalStateException(inboxKey + " is gone right after writing"));
        String jobId = Keys.jobId(bucket, inboxKey, identity(info));
        buffer.removeWaiting(flush.group(), taken);
        for (QueuedRequest r : taken) {
            if (r.bodyKey() != null) {
                objects.delete(r.bodyKey());
            }
        }
        long total = taken.stream().mapToLong(QueuedRequest::bytes).sum();
        Flush done = flush.written(jobId, taken.size(), total);
        if (buffer.flushWritten(done) && policy.dailyBudgetUsd() != null) {
            Projection cost = projection(flush.group(), taken);
            if (cost.complete()) {
                buffer.addSpent(flush.group().queue(), day(clock.instant()), cost.batchUsd());
            }
        }
        metrics.queueFlushed(flush.group().queue().id(), taken.size(), total);
        LOG.log(
                Level.INFO,
                "queue {0}: flush {1} of {2} requests ({3} bytes) is job {4}",
                flush.group().queue(),
                flush.flushId(),
                taken.size(),
                total,
                jobId);
        return done;
    }

    /** The identity ingest derives the job id from: the version if the bucket keeps them. */
    static String identity(ObjectStore.ObjectInfo info) {
        String v = info.versionId();
        if (v != null && !v.isEmpty() && !"null".equals(v)) {
            return v;
        }
        return info.etag() == null ? null : info.etag().replace("\"", "");
    }

    /** Fixes what the flush takes: the oldest waiting requests, within the policy's sizes. */
    private void writeRecord(Flush flush, QueuePolicy policy, String recordKey) {
        BatchProvider provider = providers.get(flush.group().queue().provider());
        IngestLimits limits = provider.limits().cappedBy(settings.limits());
        long maxRequests = policy.requestsPerFlush(limits.maxRequestsPerShard());
        long maxBytes = policy.bytesPerFlush(limits.maxBytesPerShard());
        long requests = 0;
        long bytes = 0;
        try (ObjectStore.Upload up = objects.upload(recordKey, "application/jsonl")) {
            for (QueuedRequest r : buffer.waiting(flush.group(), (int) maxRequests)) {
                if (requests >= maxRequests || (requests > 0 && bytes + r.bytes() > maxBytes)) {
                    break;
                }
                up.write(recordLine(r));
                requests++;
                bytes += r.bytes();
            }
            up.complete();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "queue " + flush.group().queue() + ": writing " + recordKey + " failed", e);
        }
    }

    private static byte[] recordLine(QueuedRequest r) {
        ObjectNode n = AnswerDelivery.JSON.createObjectNode();
        n.put("id", r.requestId());
        n.put("order", r.order());
        n.put("arrived_at", r.arrivedAt().toString());
        n.put("bytes", r.bytes());
        n.put("input_tokens", r.inputTokens());
        n.put("max_output_tokens", r.maxOutputTokens());
        if (r.replyTo() != null) {
            n.put("reply_to", r.replyTo());
        }
        if (r.bodyKey() != null) {
            n.put("body_key", r.bodyKey());
        } else {
            n.put("line", r.line());
        }
        return (n.toString() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** Writes the inbox file from the flush's record, with the settings its group shares. */
    private void writeInbox(
            Flush flush,
            QueuePolicy policy,
            String recordKey,
            String inboxKey,
            List<QueuedRequest> taken,
            long[] bytes) {
        Map<String, String> metadata = new HashMap<>(flush.group().metadata());
        if (policy.budgetUsd() != null) {
            metadata.putIfAbsent(Money.BUDGET_METADATA, policy.budgetUsd().toPlainString());
        }
        try (ObjectStore.Upload up = objects.upload(inboxKey, "application/jsonl", metadata)) {
            readRecord(
                    flush,
                    recordKey,
                    (r, line) -> {
                        try {
                            up.write(line);
                            up.write('\n');
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                        taken.add(r);
                        bytes[0] += r.bytes();
                    });
            if (taken.isEmpty()) {
                return; // an empty file would be rejected as empty: none is written
            }
            up.complete();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "queue " + flush.group().queue() + ": writing " + inboxKey + " failed", e);
        }
    }

    interface RecordVisitor {
        void visit(QueuedRequest request, byte[] line);
    }

    /** Reads a flush's record back: each request, with its line (from the bucket if kept there). */
    void readRecord(Flush flush, String recordKey, RecordVisitor visitor) {
        readRecord(flush, recordKey, true, visitor);
    }

    /**
     * Reads a flush's record back; {@code withLines} false passes no line (null), for readers that
     * need only ids and routes: a request kept in the bucket is deleted once its flush is written.
     */
    void readRecord(Flush flush, String recordKey, boolean withLines, RecordVisitor visitor) {
        try (InputStream in = objects.open(recordKey)) {
            LineReader reader = new LineReader(in, MAX_RECORD_LINE);
            LineReader.Line l;
            while ((l = reader.next()) != null) {
                if (l.blank()) {
                    continue;
                }
                JsonNode n = AnswerDelivery.JSON.readTree(l.bytes(), 0, l.length());
                QueuedRequest r = fromRecord(flush.group(), n);
                byte[] line;
                if (!withLines) {
                    line = null;
                } else if (r.bodyKey() != null) {
                    try (InputStream body = objects.open(r.bodyKey())) {
                        line = body.readAllBytes();
                    }
                } else {
                    line = r.line().getBytes(StandardCharsets.UTF_8);
                }
                visitor.visit(r, line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "queue " + flush.group().queue() + ": reading " + recordKey + " failed", e);
        }
    }

    static QueuedRequest fromRecord(QueueGroup group, JsonNode n) {
        return new QueuedRequest(
                group,
                n.get("id").asText(),
                n.hasNonNull("line") ? n.get("line").asText() : null,
                n.hasNonNull("body_key") ? n.get("body_key").asText() : null,
                n.hasNonNull("reply_to") ? n.get("reply_to").asText() : null,
                Instant.parse(n.get("arrived_at").asText()),
                n.get("bytes").asLong(),
                n.path("input_tokens").asLong(),
                n.path("max_output_tokens").asLong());
    }

    /** A flush's id: when it was opened, then a digest of its group, so ids sort by time. */
    static String flushId(QueueGroup group, Instant now) {
        String g = group.id();
        return String.format("%013d", now.toEpochMilli())
                + "-"
                + g.substring(g.lastIndexOf('/') + 1);
    }
}
