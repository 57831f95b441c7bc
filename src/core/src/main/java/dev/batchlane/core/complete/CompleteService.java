package dev.batchlane.core.complete;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.job.IngestProgress;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardResult;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.JobEvents;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.money.Bill;
import dev.batchlane.core.money.PriceTable;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.RunMode;
import dev.batchlane.core.provider.Usage;
import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Completes a shard whose batch ended: joins its results and writes the part, then, when it was the
 * job's last shard, writes the manifest and only then deletes what was left at the provider. Every
 * step can run twice: the part and manifest are rebuilt from the same inputs to the same bytes, and
 * the shard's move to COMPLETED is a conditional write that only one caller wins.
 */
public final class CompleteService {
    private static final System.Logger LOG = System.getLogger(CompleteService.class.getName());
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final JobStore store;
    private final ObjectStore objects;
    private final Providers providers;
    private final LaneSettings settings;
    private final Clock clock;

    private final LaneMetrics metrics;
    private final JobEvents events;

    public CompleteService(
            JobStore store,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            Clock clock) {
        this(store, objects, providers, settings, clock, LaneMetrics.NONE, JobEvents.NONE);
    }

    public CompleteService(
            JobStore store,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            Clock clock,
            LaneMetrics metrics,
            JobEvents events) {
        this.metrics = metrics;
        this.events = events;
        this.store = store;
        this.objects = objects;
        this.providers = providers;
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * {@code CLAIMED_ELSEWHERE}: another invocation holds a live claim on the shard and is
     * completing it.
     */
    public enum Step {
        JOINED,
        ALREADY_DONE,
        NOT_ENDED,
        CLAIMED_ELSEWHERE,
        FINISH_ONLY
    }

    public record Completion(String jobId, int shard, Step outcome, boolean jobCompleted) {}

    /**
     * Finishes a job whose shards are all completed (manifest, cleanup, event) — what complete does
     * after a job's last shard, asked for on its own when that step did not run (see {@link
     * JobStore#requestFinish}).
     */
    public Completion finish(String jobId) {
        return new Completion(jobId, -1, Step.FINISH_ONLY, finishJobIfDone(jobId));
    }

    /**
     * Completes one ENDED shard. The shard is claimed first (a version-checked write, see {@link
     * Shard#COMPLETE_LEASE}), so a twin delivery or a poll re-drive never joins it twice at once; a
     * failure gives the claim back and is thrown, so the stream retries the record.
     */
    public Completion complete(String jobId, int index) {
        Shard shard =
                store.shard(jobId, index)
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                "job "
                                                        + jobId
                                                        + ": shard "
                                                        + Shard.partName(index)
                                                        + " has no record"));
        if (shard.status() == ShardStatus.COMPLETED) {
            return new Completion(jobId, index, Step.ALREADY_DONE, finishJobIfDone(jobId));
        }
        if (shard.status() != ShardStatus.ENDED) {
            LOG.log(
                    Level.WARNING,
                    "job {0} shard {1}: asked to complete while {2}; ignored",
                    jobId,
                    Shard.partName(index),
                    shard.status());
            return new Completion(jobId, index, Step.NOT_ENDED, false);
        }
        Instant now = clock.instant();
        if (shard.claimLive(now)) {
            LOG.log(
                    Level.INFO,
                    "job {0} shard {1}: being completed by the invocation that claimed it at {2}",
                    jobId,
                    Shard.partName(index),
                    shard.claimedAt());
            return new Completion(jobId, index, Step.CLAIMED_ELSEWHERE, false);
        }
        Optional<Shard> claimed = store.updateShard(shard, shard.claimed(now));
        if (claimed.isEmpty()) {
            return changedUnder(jobId, index, "claiming it");
        }
        try {
            return joinClaimed(claimed.get(), now);
        } catch (RuntimeException e) {
            release(claimed.get());
            throw e;
        }
    }

    private Completion joinClaimed(Shard shard, Instant now) {
        String jobId = shard.jobId();
        int index = shard.index();
        Job job =
                store.job(jobId)
                        .orElseThrow(
                                () -> new IllegalStateException("job " + jobId + " has no record"));
        Joined joined = join(shard, job, now);
        ShardResult result = joined.result();
        Shard completed = shard.completed(result, now);
        if (job.status() == JobStatus.INGESTING) {
            // Ingest has not marked the job running yet, so this shard cannot finish it; due again
            // after
            // the grace, poll looks once more and asks for the finish if ingest did not (see
            // PollService).
            completed = completed.withDue(now.plus(settings.completeGrace()));
        }
        if (!store.completeShard(shard, completed, joined.child())) {
            return changedUnder(jobId, index, "recording its completion");
        }
        LOG.log(
                Level.INFO,
                "job {0} shard {1}: joined {2} requests ({3} succeeded, {4} failed, {5} expired,"
                        + " {6} resubmitted as shard {7})",
                jobId,
                Shard.partName(index),
                result.total(),
                result.succeeded(),
                result.failed(),
                result.expired(),
                result.resubmitted(),
                joined.child() == null ? "-" : Shard.partName(joined.child().index()));
        Bill bill =
                Bill.of(
                        job.provider(),
                        result.usageByModel(job.model()),
                        settings.money().prices());
        BigDecimal cost = bill.complete() ? bill.batchUsd() : BigDecimal.ZERO;
        metrics.requestsFinished(
                shard.provider(),
                result.succeeded(),
                result.total() - result.succeeded(),
                result.usage(),
                cost);
        if (result.unknownResults() > 0) {
            LOG.log(
                    Level.WARNING,
                    "job {0} shard {1}: the provider returned {2} line(s) whose custom_id was not"
                            + " staged or repeated; they were dropped",
                    jobId,
                    Shard.partName(index),
                    result.unknownResults());
        }
        return new Completion(jobId, index, Step.JOINED, finishAfter(jobId, index, now));
    }

    /**
     * Finishes the job if this was its last shard. Should that fail, the shard is already COMPLETED
     * and no re-drive of ENDED shards would ever reach the job again: the shard is made due, so
     * poll asks for the finish after the grace if the stream's retries do not get it done first.
     */
    private boolean finishAfter(String jobId, int index, Instant now) {
        try {
            return finishJobIfDone(jobId);
        } catch (RuntimeException e) {
            try {
                store.shard(jobId, index)
                        .ifPresent(
                                s ->
                                        store.updateShard(
                                                s, s.withDue(now.plus(settings.completeGrace()))));
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    /**
     * The shard changed between reading and writing it. COMPLETED: another invocation finished it,
     * which is success. Anything else (a re-drive, a claim taken over): thrown, so the stream
     * retries.
     */
    private Completion changedUnder(String jobId, int index, String doing) {
        Optional<Shard> now = store.shard(jobId, index);
        if (now.isPresent() && now.get().status() == ShardStatus.COMPLETED) {
            LOG.log(
                    Level.INFO,
                    "job {0} shard {1}: completed by another invocation",
                    jobId,
                    Shard.partName(index));
            return new Completion(jobId, index, Step.ALREADY_DONE, finishJobIfDone(jobId));
        }
        throw new IllegalStateException(
                "job "
                        + jobId
                        + " shard "
                        + Shard.partName(index)
                        + ": changed while "
                        + doing
                        + " (now "
                        + now.map(s -> s.status() + " v" + s.version()).orElse("gone")
                        + "), not completed; retry");
    }

    /**
     * Best effort: a claim that cannot be given back expires after its lease, and poll re-drives
     * the shard.
     */
    private void release(Shard claimed) {
        try {
            store.updateShard(claimed, claimed.released());
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "job {0} shard {1}: could not give back its claim ({2}); it expires at {3}",
                    claimed.jobId(),
                    Shard.partName(claimed.index()),
                    e.getClass().getSimpleName(),
                    claimed.claimedAt().plus(Shard.COMPLETE_LEASE));
        }
    }

    private record Joined(ShardResult result, Shard child) {}

    private Joined join(Shard shard, Job job, Instant now) {
        BatchProvider provider = providers.get(shard.provider());
        String idField = provider.contract().idField();
        String partKey = Keys.part(shard.jobId(), shard.index());
        try {
            Set<String> pending;
            try (InputStream staged = objects.open(shard.stagingKey())) {
                pending = Joiner.stagedIds(staged, idField);
            }
            BatchView view =
                    new BatchView(
                            shard.batchId(),
                            shard.batchState(),
                            shard.providerStatus(),
                            shard.providerCounts(),
                            shard.outputFileId(),
                            shard.errorFileId(),
                            shard.batchError());
            Joiner.Joined joined;
            // Streamed to the bucket part by part: a 1 GB part of long answers never touches /tmp.
            try (ObjectStore.Upload part = objects.upload(partKey, "application/jsonl")) {
                joined =
                        Joiner.join(
                                pending,
                                sink -> {
                                    if (shard.batchId() != null) {
                                        provider.streamResults(view, sink);
                                    }
                                },
                                unanswered(shard),
                                mayResubmit(shard, job),
                                part,
                                partKey,
                                shard.runMode() == RunMode.ON_DEMAND);
                part.complete();
            }
            String childKey = Keys.staging(shard.jobId(), shard.childIndex());
            Map<String, Long> written =
                    copyStaged(
                            shard,
                            idField,
                            Map.of(
                                    Keys.failedPart(shard.jobId(), shard.index()),
                                    joined.finalFailures(),
                                    childKey,
                                    joined.resubmit()));
            Shard child = null;
            if (!joined.resubmit().isEmpty()) {
                // Due now: the next poll submits it like any shard held back.
                child =
                        Shard.staged(
                                        shard.jobId(),
                                        shard.childIndex(),
                                        shard.provider(),
                                        childKey,
                                        joined.resubmit().size(),
                                        written.get(childKey),
                                        shard.depth() + 1,
                                        now)
                                .withInputTokens(
                                        shard.requestCount() <= 0
                                                ? 0
                                                : Math.round(
                                                        (double) shard.inputTokens()
                                                                * joined.resubmit().size()
                                                                / shard.requestCount()));
            }
            return new Joined(joined.result(), child);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "job "
                            + shard.jobId()
                            + " shard "
                            + Shard.partName(shard.index())
                            + ": joining results failed",
                    e);
        }
    }

    /**
     * Passing failures are resubmitted up to the depth limit, and never once the owner cancelled
     * the job.
     */
    private boolean mayResubmit(Shard shard, Job job) {
        return shard.depth() < settings.maxResubmitDepth() && !job.cancelRequested();
    }

    /**
     * Streams the staged lines of each non-empty id set to its key, in one pass over the staged
     * shard; returns the bytes written per key. Nothing is visible unless every key completes.
     */
    private Map<String, Long> copyStaged(
            Shard shard, String idField, Map<String, Set<String>> idsByKey) throws IOException {
        Map<String, ObjectStore.Upload> uploads = new LinkedHashMap<>();
        try {
            List<Joiner.Selection> selections = new ArrayList<>();
            for (var e : idsByKey.entrySet()) {
                if (!e.getValue().isEmpty()) {
                    ObjectStore.Upload up = objects.upload(e.getKey(), "application/jsonl");
                    uploads.put(e.getKey(), up);
                    selections.add(new Joiner.Selection(e.getValue(), up));
                }
            }
            if (selections.isEmpty()) {
                return Map.of();
            }
            try (InputStream staged = objects.open(shard.stagingKey())) {
                Joiner.select(staged, idField, selections);
            }
            Map<String, Long> written = new LinkedHashMap<>();
            for (var e : uploads.entrySet()) {
                e.getValue().complete();
                written.put(e.getKey(), e.getValue().bytes());
            }
            return written;
        } finally {
            for (ObjectStore.Upload up : uploads.values()) {
                up.close();
            }
        }
    }

    private static Joiner.Unanswered unanswered(Shard shard) {
        if (shard.batchError() != null) {
            return new Joiner.Unanswered(Outcome.FAILED, "batch_failed", shard.batchError());
        }
        // The adapter decided the batch's state from the provider's words when it ended; a shard
        // cancelled before it was sent ended CANCELLED without a batch.
        BatchState state = shard.batchState();
        if (state == BatchState.EXPIRED) {
            return new Joiner.Unanswered(
                    Outcome.EXPIRED,
                    "batch_expired",
                    "the batch's completion window closed before this request ran");
        }
        if (state == BatchState.CANCELLED) {
            return new Joiner.Unanswered(
                    Outcome.CANCELLED,
                    "batch_cancelled",
                    "the batch was cancelled before this request ran");
        }
        // The batch ended and says it is done, yet this request has no line. The provider's counts
        // decide whether it was run: only requests they show as never processed are sent again.
        var c = shard.providerCounts();
        long notProcessed = c == null ? 0 : Math.max(0, c.total() - c.completed() - c.failed());
        return new Joiner.Unanswered(
                Outcome.MISSING,
                "missing_result",
                "the provider returned no result line for this request",
                notProcessed);
    }

    /**
     * How long a claim on the completion event protects its holder: longer than the longest Lambda
     * invocation (15 minutes), so a claim older than this belongs to an invocation that is gone.
     */
    static final java.time.Duration EVENT_CLAIM_LEASE = java.time.Duration.ofMinutes(20);

    /** Writes the manifest and cleans up at the provider once every shard is completed. */
    private boolean finishJobIfDone(String jobId) {
        Job job =
                store.job(jobId)
                        .orElseThrow(
                                () -> new IllegalStateException("job " + jobId + " has no record"));
        if (job.status() == JobStatus.COMPLETED) {
            return true;
        }
        if (job.status() != JobStatus.RUNNING || !job.allShardsCompleted()) {
            return false;
        }
        List<Shard> shards = store.shards(jobId);
        if (shards.stream().anyMatch(s -> s.status() != ShardStatus.COMPLETED)) {
            return false;
        }
        Instant now = clock.instant();
        String manifestKey = Keys.manifest(jobId);
        long finalFailures = writeFailedList(jobId, shards);
        ObjectNode manifest =
                manifest(job, shards, settings.money().prices(), store.ingestProgress(jobId));
        if (finalFailures > 0) {
            manifest.put("failedFile", Keys.failed(jobId));
        }
        try {
            objects.putBytes(manifestKey, JSON.writeValueAsBytes(manifest), "application/json");
        } catch (IOException e) {
            throw new UncheckedIOException("job " + jobId + ": writing the manifest failed", e);
        }
        // Only now, with every part and the manifest in the bucket, is the provider's copy
        // redundant.
        for (Shard s : shards) {
            if (s.batchId() != null || s.inputFileId() != null) {
                providers
                        .get(s.provider())
                        .cleanup(s.inputFileId(), s.outputFileId(), s.errorFileId());
            }
        }
        // The completion event goes out once: claim, send, mark completed, in that order.
        //  - Two invocations finishing the last shards at once (or a twin delivery of the same
        // record):
        //    only the one whose conditional claim wins sends; the other throws, so the stream hands
        // its
        //    record over again, and by then the job is COMPLETED and that retry simply returns.
        //  - A crash after the claim and before the send (or a send that throws) must not lose the
        // event:
        //    the claim is a lease. While it is younger than EVENT_CLAIM_LEASE — longer than any
        // Lambda
        //    invocation can live — a retry is refused and throws (the stream keeps retrying); once
        // it is
        //    older and the job is still not COMPLETED, its holder is dead and a retry takes the
        // claim
        //    over and sends again.
        //  - A crash after the send and before markCompleted therefore sends the event a second
        // time
        //    after the lease: delivery is at least once, and consumers dedupe on the detail's
        // jobId.
        if (!store.claimCompletionEvent(jobId, now, now.minus(EVENT_CLAIM_LEASE))) {
            if (store.job(jobId).map(j -> j.status() == JobStatus.COMPLETED).orElse(false)) {
                return true;
            }
            throw new IllegalStateException(
                    "job "
                            + jobId
                            + ": its completion event is claimed by another "
                            + "invocation that has not marked the job completed yet; retry (the claim can be taken over after "
                            + EVENT_CLAIM_LEASE
                            + ")");
        }
        events.jobCompleted(completedEvent(job, manifestKey, manifest));
        boolean won = store.markCompleted(jobId, manifestKey, now);
        LOG.log(Level.INFO, "job {0}: completed; manifest at {1}", jobId, manifestKey);
        return won || store.job(jobId).map(j -> j.status() == JobStatus.COMPLETED).orElse(false);
    }

    /**
     * Joins every shard's final failures into results/&lt;jobId&gt;/failed.jsonl, in the input's
     * own format, ready to be fixed and dropped into inbox/ again. Streams shard by shard.
     */
    private long writeFailedList(String jobId, List<Shard> shards) {
        long total = shards.stream().mapToLong(s -> s.result().finalFailures()).sum();
        if (total == 0) {
            return 0;
        }
        try (ObjectStore.Upload out = objects.upload(Keys.failed(jobId), "application/jsonl")) {
            for (Shard s : shards) {
                if (s.result().finalFailures() > 0) {
                    try (InputStream in = objects.open(Keys.failedPart(jobId, s.index()))) {
                        in.transferTo(out);
                    }
                }
            }
            out.complete();
            return total;
        } catch (IOException e) {
            throw new UncheckedIOException("job " + jobId + ": writing failed.jsonl failed", e);
        }
    }

    /**
     * Built only from stored records (the ingest timings included), so a rerun after a crash writes
     * the same bytes.
     */
    private static ObjectNode manifest(
            Job job, List<Shard> shards, PriceTable prices, Optional<IngestProgress> ingest) {
        ObjectNode m = JSON.createObjectNode();
        m.put("jobId", job.jobId());
        m.put("provider", job.provider());
        m.put("model", job.model());
        m.put("endpoint", job.endpoint());
        ObjectNode input = m.putObject("input");
        input.put("bucket", job.bucket());
        input.put("key", job.inputKey());
        input.put("version", job.inputVersion());
        input.put("sha256", job.sha256());
        input.put("bytes", job.inputBytes());
        long succeeded = 0,
                failed = 0,
                expired = 0,
                cancelled = 0,
                missing = 0,
                resubmitted = 0,
                finalFailures = 0;
        Usage usage = Usage.ZERO;
        Map<String, Usage> usageByModel = new java.util.TreeMap<>();
        Map<String, Usage> onDemandByModel = new java.util.TreeMap<>();
        ArrayNode parts = JSON.createArrayNode();
        ArrayNode shardList = JSON.createArrayNode();
        Instant lastEnded = null;
        Instant lastCompleted = null;
        Duration queueWait = Duration.ZERO;
        Duration longestWait = Duration.ZERO;
        for (Shard s : shards) {
            ShardResult r = s.result();
            succeeded += r.succeeded();
            failed += r.failed();
            expired += r.expired();
            cancelled += r.cancelled();
            missing += r.missing();
            resubmitted += r.resubmitted();
            finalFailures += r.finalFailures();
            usage = usage.plus(r.usage());
            Map<String, Usage> shardByModel = r.usageByModel(job.model());
            boolean onDemand = s.runMode() == RunMode.ON_DEMAND;
            if (onDemand) {
                shardByModel.forEach((model, u) -> onDemandByModel.merge(model, u, Usage::plus));
            } else {
                shardByModel.forEach((model, u) -> usageByModel.merge(model, u, Usage::plus));
            }
            parts.add(r.partKey());
            ObjectNode sn = shardList.addObject();
            sn.put("shard", Shard.partName(s.index()));
            sn.put("batchId", s.batchId());
            sn.put("inputFileId", s.inputFileId());
            sn.put("outputFileId", s.outputFileId());
            sn.put("errorFileId", s.errorFileId());
            sn.put("providerStatus", s.providerStatus());
            if (s.batchError() != null) {
                sn.put("batchError", s.batchError());
            }
            sn.put("requests", s.requestCount());
            sn.put("succeeded", r.succeeded());
            sn.put("failed", r.failed());
            sn.put("expired", r.expired());
            sn.put("cancelled", r.cancelled());
            sn.put("missing", r.missing());
            sn.put("resubmitted", r.resubmitted());
            sn.put("depth", s.depth());
            if (s.queueWait().times() > 0) {
                // How long the shard waited for the provider's queue before it was sent, and how
                // often.
                sn.put("queueWaitSeconds", s.queueWait().waited().toSeconds());
                sn.put("queueWaits", s.queueWait().times());
            }
            queueWait = queueWait.plus(s.queueWait().waited());
            longestWait =
                    s.queueWait().waited().compareTo(longestWait) > 0
                            ? s.queueWait().waited()
                            : longestWait;
            sn.set("usage", usageJson(r.usage()));
            if (onDemand) {
                sn.put("onDemand", true);
            }
            sn.set(
                    "cost",
                    costJson(
                            onDemand
                                    ? Bill.of(job.provider(), Map.of(), shardByModel, prices)
                                    : Bill.of(job.provider(), shardByModel, prices)));
            sn.put("part", r.partKey());
            if (s.endedAt() != null && (lastEnded == null || s.endedAt().isAfter(lastEnded))) {
                lastEnded = s.endedAt();
            }
            if (s.completedAt() != null
                    && (lastCompleted == null || s.completedAt().isAfter(lastCompleted))) {
                lastCompleted = s.completedAt();
            }
        }
        ObjectNode counts = m.putObject("counts");
        counts.put("requests", job.requestCount());
        counts.put("succeeded", succeeded);
        counts.put("failed", failed);
        counts.put("expired", expired);
        counts.put("cancelled", cancelled);
        counts.put("missing", missing);
        counts.put("resubmitted", resubmitted);
        counts.put("inFailedFile", finalFailures);
        m.set("usage", usageJson(usage));
        Bill bill = Bill.of(job.provider(), usageByModel, onDemandByModel, prices);
        ObjectNode cost = costJson(bill);
        Usage onDemandUsage = onDemandByModel.values().stream().reduce(Usage.ZERO, Usage::plus);
        if (!onDemandUsage.equals(Usage.ZERO)) {
            cost.set("onDemandUsage", usageJson(onDemandUsage));
        }
        // Each model at its own price: a file may mix models (Anthropic takes several in one
        // batch).
        ObjectNode byModel = cost.putObject("byModel");
        java.util.Set<String> models = new java.util.TreeSet<>(usageByModel.keySet());
        models.addAll(onDemandByModel.keySet());
        for (String model : models) {
            Usage batchPart = usageByModel.getOrDefault(model, Usage.ZERO);
            Usage onDemandPart = onDemandByModel.getOrDefault(model, Usage.ZERO);
            ObjectNode one =
                    costJson(
                            Bill.of(
                                    job.provider(),
                                    Map.of(model, batchPart),
                                    Map.of(model, onDemandPart),
                                    prices));
            one.set("usage", usageJson(batchPart.plus(onDemandPart)));
            byModel.set(model, one);
        }
        cost.put("priceTable", prices.version());
        if (job.estimatedCostUsd() != null) {
            cost.put("projectedBatchUsdUpperBound", new BigDecimal(job.estimatedCostUsd()));
        }
        if (job.budgetUsd() != null) {
            cost.put("budgetUsd", new BigDecimal(job.budgetUsd()));
        }
        if (!bill.complete()) {
            cost.put(
                    "warning",
                    "no price for "
                            + job.provider()
                            + " model(s) "
                            + bill.unpricedModels()
                            + "; add them to batchlane.pricing.overrides to see the bill");
        }
        m.set("cost", cost);
        m.set("parts", parts);
        m.set("shards", shardList);
        ObjectNode timings = m.putObject("timings");
        timings.put("createdAt", String.valueOf(job.createdAt()));
        timings.put("submittedAt", String.valueOf(job.submittedAt()));
        timings.put("lastBatchEndedAt", String.valueOf(lastEnded));
        timings.put("completedAt", String.valueOf(lastCompleted));
        // Time shards spent held back by the admission budget or the provider's queue limit.
        timings.put("queueWaitSeconds", queueWait.toSeconds());
        timings.put("longestShardQueueWaitSeconds", longestWait.toSeconds());
        if (job.createdAt() != null && lastCompleted != null) {
            timings.put(
                    "totalSeconds", Duration.between(job.createdAt(), lastCompleted).toSeconds());
        }
        // The lane's own overhead: one pass (validate, count, stage), then handing shards over.
        ingest.ifPresent(
                p -> {
                    ObjectNode in = timings.putObject("ingest");
                    in.put("startedAt", String.valueOf(p.startedAt()));
                    in.put("validatedAndStagedAt", String.valueOf(p.passEndedAt()));
                    in.put("submittedAt", String.valueOf(p.submittedAt()));
                    if (p.passDuration() != null) {
                        in.put("passSeconds", p.passDuration().toMillis() / 1000.0);
                        if (p.passDuration().toMillis() > 0) {
                            in.put(
                                    "passMBps",
                                    Math.round(
                                                    p.bytesRead()
                                                            / 1e3
                                                            / p.passDuration().toMillis()
                                                            * 10)
                                            / 10.0);
                        }
                    }
                    if (p.submittedAt() != null && p.passEndedAt() != null) {
                        in.put(
                                "submitSeconds",
                                Duration.between(p.passEndedAt(), p.submittedAt()).toMillis()
                                        / 1000.0);
                    }
                    in.put("shardsSubmittedByIngest", p.submittedByIngest());
                    in.put("shardsHandedToPoll", p.handedToPoll());
                });
        return m;
    }

    private static JobEvents.JobCompleted completedEvent(
            Job job, String manifestKey, ObjectNode m) {
        JsonNode c = m.get("counts");
        JsonNode u = m.get("usage");
        JsonNode cost = m.get("cost");
        return new JobEvents.JobCompleted(
                job.jobId(),
                job.provider(),
                job.model(),
                job.bucket(),
                manifestKey,
                c.get("requests").asLong(),
                c.get("succeeded").asLong(),
                c.get("failed").asLong(),
                c.get("expired").asLong(),
                c.get("cancelled").asLong(),
                c.get("missing").asLong(),
                new Usage(
                        u.get("inputTokens").asLong(),
                        u.get("cachedInputTokens").asLong(),
                        u.get("outputTokens").asLong()),
                cost.get("batchUsd").isNull() ? null : cost.get("batchUsd").decimalValue(),
                cost.get("syncUsd").isNull() ? null : cost.get("syncUsd").decimalValue());
    }

    /**
     * The bill for some usage: at the batch price, what it would have cost synchronously, and the
     * saving.
     */
    private static ObjectNode costJson(Bill bill) {
        ObjectNode n = JSON.createObjectNode();
        if (!bill.complete()) {
            n.putNull("batchUsd");
            n.putNull("syncUsd");
            n.putNull("savingUsd");
            return n;
        }
        n.put("batchUsd", bill.batchUsd());
        n.put("syncUsd", bill.syncUsd());
        n.put("savingUsd", bill.syncUsd().subtract(bill.batchUsd()));
        if (bill.onDemandUsd().signum() != 0) {
            n.put("onDemandUsd", bill.onDemandUsd());
        }
        return n;
    }

    private static ObjectNode usageJson(Usage u) {
        ObjectNode n = JSON.createObjectNode();
        n.put("inputTokens", u.inputTokens());
        n.put("cachedInputTokens", u.cachedInputTokens());
        n.put("outputTokens", u.outputTokens());
        n.put("totalTokens", u.totalTokens());
        return n;
    }
}
