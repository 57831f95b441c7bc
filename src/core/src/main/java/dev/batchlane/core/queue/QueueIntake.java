package dev.batchlane.core.queue;

import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.LineReader;
import dev.batchlane.core.ingest.QueueLimits;
import dev.batchlane.core.ingest.RequestCheck;
import dev.batchlane.core.ingest.Violation;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneNames;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Takes requests one at a time: checks each by its provider's rules for a line, answers a bad one
 * at once with the rule it broke, and keeps a good one in the durable buffer, once per id and queue
 * (a message delivered twice is kept, and answered, once). Nothing here reaches a provider.
 */
public final class QueueIntake {
    private static final System.Logger LOG = System.getLogger(QueueIntake.class.getName());

    /**
     * Requests larger than this are kept in the bucket rather than in the buffer's table, whose
     * items hold at most 400 KB.
     */
    public static final int MAX_INLINE_BYTES = 256 * 1024;

    private final QueueBuffer buffer;
    private final ObjectStore objects;
    private final Providers providers;
    private final LaneSettings settings;
    private final JobStore store;
    private final AnswerDelivery delivery;
    private final Clock clock;
    private final LaneMetrics metrics;

    public QueueIntake(
            QueueBuffer buffer,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            JobStore store,
            AnswerDelivery delivery,
            Clock clock,
            LaneMetrics metrics) {
        this.buffer = buffer;
        this.objects = objects;
        this.providers = providers;
        this.settings = settings;
        this.store = store;
        this.delivery = delivery;
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * One request as it arrived.
     *
     * @param lineNumber 1 for a message; its line for a line of a queue file
     * @param replyTo the SQS queue URL its answer goes to, or null for an event
     * @param metadata the settings a dropped file would carry as S3 metadata (e.g. {@code
     *     model-id}); requests with different settings never share a flush
     */
    public record Incoming(
            QueueName queue,
            byte[] line,
            long lineNumber,
            String replyTo,
            Map<String, String> metadata) {
        public Incoming {
            metadata = Map.copyOf(metadata == null ? Map.of() : metadata);
        }
    }

    public enum Verdict {
        ACCEPTED,
        DUPLICATE,
        REFUSED
    }

    /** What became of one request; {@code violations} is empty unless it was refused. */
    public record Receipt(Verdict verdict, String requestId, List<Violation> violations) {}

    /** Checks {@code in} and keeps it, or answers it at once with what is wrong. */
    public Receipt accept(Incoming in) {
        Optional<BatchProvider> provider = providers.find(in.queue().provider());
        if (provider.isEmpty()) {
            String code =
                    providers.isNotEnabled(in.queue().provider())
                            ? "provider_not_enabled"
                            : "unknown_provider";
            return refuse(
                    in,
                    null,
                    List.of(
                            new Violation(
                                    in.lineNumber(),
                                    null,
                                    code,
                                    "queue "
                                            + in.queue()
                                            + ": '"
                                            + in.queue().provider()
                                            + "' is not "
                                            + (code.equals("unknown_provider")
                                                    ? "a configured provider"
                                                    : "enabled in this deployment")
                                            + "; the providers are "
                                            + providers.names())));
        }
        BatchProvider p = provider.get();
        IngestLimits limits = p.limits().cappedBy(settings.limits());
        RequestCheck check =
                new RequestCheck(
                        p.contract().forFile(in.metadata()), limits, queueLimits(p.name()));
        RequestCheck.Checked checked = check.check(in.line(), in.lineNumber());
        if (!checked.valid()) {
            return refuse(in, checked.id(), checked.violations());
        }
        Instant now = clock.instant();
        String line = new String(trimmed(in.line()), StandardCharsets.UTF_8);
        long bytes = line.getBytes(StandardCharsets.UTF_8).length;
        QueueGroup group =
                new QueueGroup(in.queue(), checked.model(), checked.endpoint(), in.metadata());
        String bodyKey = null;
        if (bytes > MAX_INLINE_BYTES) {
            byte[] body = line.getBytes(StandardCharsets.UTF_8);
            bodyKey = QueueKeys.body(in.queue(), checked.id());
            objects.putBytes(bodyKey, body, "application/json");
            line = null;
        }
        QueuedRequest request =
                new QueuedRequest(
                        group,
                        checked.id(),
                        line,
                        bodyKey,
                        in.replyTo(),
                        now,
                        bytes,
                        checked.estimate() == null ? 0 : checked.estimate().inputTokens(),
                        checked.estimate() == null ? 0 : checked.estimate().maxOutputTokens());
        boolean kept = buffer.enqueue(request);
        metrics.requestEnqueued(in.queue().id(), kept, !kept);
        if (!kept) {
            if (bodyKey != null) {
                objects.delete(bodyKey); // this delivery's own copy; the kept one has its own key
            }
            LOG.log(
                    Level.INFO,
                    "queue {0}: request {1} is already known; a repeated delivery is kept and"
                            + " answered once",
                    in.queue(),
                    checked.id());
            return new Receipt(Verdict.DUPLICATE, checked.id(), List.of());
        }
        return new Receipt(Verdict.ACCEPTED, checked.id(), List.of());
    }

    /**
     * Takes every line of a small file dropped under {@code queue/<provider>/<queue>/}, each as a
     * request of its own: a bad line is answered and the others are kept. The object's metadata
     * ({@code reply-to}, {@code model-id}, ...) applies to each line. The file is deleted once
     * every line is kept or answered: a retried delivery finds it gone, or keeps each line once.
     */
    public List<Receipt> acceptFile(String key) {
        QueueName queue =
                QueueKeys.queueOfDrop(key)
                        .orElseThrow(
                                () ->
                                        new IllegalArgumentException(
                                                key + " is not under queue/<provider>/<queue>/"));
        Optional<ObjectStore.ObjectInfo> info = objects.head(key);
        if (info.isEmpty()) {
            LOG.log(Level.INFO, "queue {0}: {1} is gone; it was taken already", queue, key);
            return List.of();
        }
        Map<String, String> metadata = new HashMap<>(info.get().metadata());
        String replyTo = metadata.remove(LaneNames.MESSAGE_ATTRIBUTE_REPLY_TO);
        List<Receipt> receipts = new ArrayList<>();
        int maxLine = settings.limits().maxLineBytes();
        try (InputStream in = objects.open(key)) {
            LineReader reader = new LineReader(in, maxLine);
            LineReader.Line l;
            while ((l = reader.next()) != null) {
                if (l.blank() && !l.oversized()) {
                    continue;
                }
                byte[] bytes =
                        l.oversized()
                                ? new byte[maxLine + 1]
                                : Arrays.copyOf(l.bytes(), l.length());
                receipts.add(accept(new Incoming(queue, bytes, l.number(), replyTo, metadata)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("queue " + queue + ": reading " + key + " failed", e);
        }
        objects.delete(key);
        return receipts;
    }

    /** How long a model's queue limit, read from the table, is taken as known. */
    static final java.time.Duration QUEUE_LIMIT_MEMORY = java.time.Duration.ofMinutes(1);

    private record Remembered(long tokens, Instant until) {}

    private final Map<String, Remembered> limitsByPool =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The provider's queue limits, each remembered for a minute: without it every request would
     * read its model's admission pool from the table, a third call per request for a number that
     * changes when a provider states a new limit, rarely.
     */
    private QueueLimits queueLimits(String provider) {
        QueueLimits fromStore = QueueLimits.of(settings, store, provider);
        return model -> {
            Instant now = clock.instant();
            String key = provider + "\n" + model;
            Remembered r = limitsByPool.get(key);
            if (r == null || !now.isBefore(r.until())) {
                r = new Remembered(fromStore.tokensFor(model), now.plus(QUEUE_LIMIT_MEMORY));
                limitsByPool.put(key, r);
            }
            return r.tokens();
        };
    }

    private Receipt refuse(Incoming in, String requestId, List<Violation> violations) {
        metrics.requestEnqueued(in.queue().id(), false, false);
        Violation first = violations.get(0);
        String message =
                violations.size() == 1
                        ? first.message()
                        : first.message() + " (and " + (violations.size() - 1) + " more)";
        LOG.log(
                Level.INFO,
                "queue {0}: request {1} refused: {2}",
                in.queue(),
                requestId == null ? "(no id)" : requestId,
                first.code());
        delivery.deliverOrThrow(
                List.of(
                        new AnswerDelivery.Pending(
                                in.queue(),
                                requestId,
                                in.replyTo(),
                                AnswerDelivery.refusal(
                                        requestId, in.queue().id(), first.code(), message))));
        return new Receipt(Verdict.REFUSED, requestId, violations);
    }

    private static byte[] trimmed(byte[] line) {
        int length = line.length;
        while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r')) {
            length--;
        }
        return length == line.length ? line : Arrays.copyOf(line, length);
    }
}
