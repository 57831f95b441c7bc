package dev.batchlane.core.complete;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.batchlane.core.job.IngestProgress;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardResult;
import dev.batchlane.core.money.Bill;
import dev.batchlane.core.money.PriceTable;
import dev.batchlane.core.provider.RunMode;
import dev.batchlane.core.provider.Usage;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The job's {@code manifest.json}, as a value Jackson writes: what was asked (input), what came of
 * it (counts, usage, cost), where the results are (parts, shards) and how long it took (timings).
 * Built only from stored records ({@link #of}), so a rerun after a crash writes the same bytes.
 * Every component is written, null or not, except those marked {@link
 * JsonInclude.Include#NON_NULL}, which appear only when they say something (an on-demand bill, a
 * budget, a warning, …).
 */
@JsonPropertyOrder({
    "jobId",
    "provider",
    "model",
    "endpoint",
    "input",
    "counts",
    "usage",
    "cost",
    "parts",
    "shards",
    "timings",
    "failedFile"
})
public record Manifest(
        String jobId,
        String provider,
        String model,
        String endpoint,
        Input input,
        Counts counts,
        UsageTotals usage,
        Cost cost,
        List<String> parts,
        List<ShardEntry> shards,
        Timings timings,
        @JsonInclude(JsonInclude.Include.NON_NULL) String failedFile) {

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The input file the job ran. */
    @JsonPropertyOrder({"bucket", "key", "version", "sha256", "bytes"})
    public record Input(String bucket, String key, String version, String sha256, long bytes) {}

    /** Requests by how they ended, over every shard and generation. */
    @JsonPropertyOrder({
        "requests",
        "succeeded",
        "failed",
        "expired",
        "cancelled",
        "missing",
        "resubmitted",
        "inFailedFile"
    })
    public record Counts(
            long requests,
            long succeeded,
            long failed,
            long expired,
            long cancelled,
            long missing,
            long resubmitted,
            long inFailedFile) {}

    /** Tokens, cached ones included in the input. */
    @JsonPropertyOrder({"inputTokens", "cachedInputTokens", "outputTokens", "totalTokens"})
    public record UsageTotals(
            long inputTokens, long cachedInputTokens, long outputTokens, long totalTokens) {
        static UsageTotals of(Usage u) {
            return new UsageTotals(
                    u.inputTokens(), u.cachedInputTokens(), u.outputTokens(), u.totalTokens());
        }

        Usage usage() {
            return new Usage(inputTokens, cachedInputTokens, outputTokens);
        }
    }

    /**
     * A bill: at the batch price, what it would have cost synchronously, and the saving; all three
     * null when a model has no price. {@code onDemandUsd} is the part billed at the synchronous
     * price, shown only when there is one.
     */
    @JsonPropertyOrder({"batchUsd", "syncUsd", "savingUsd", "onDemandUsd"})
    public record Amounts(
            BigDecimal batchUsd,
            BigDecimal syncUsd,
            BigDecimal savingUsd,
            @JsonInclude(JsonInclude.Include.NON_NULL) BigDecimal onDemandUsd) {
        static Amounts of(Bill bill) {
            if (!bill.complete()) {
                return new Amounts(null, null, null, null);
            }
            return new Amounts(
                    usd(bill.batchUsd()),
                    usd(bill.syncUsd()),
                    usd(bill.syncUsd().subtract(bill.batchUsd())),
                    bill.onDemandUsd().signum() != 0 ? usd(bill.onDemandUsd()) : null);
        }
    }

    /** One model's bill and usage (a file may mix models, each at its own price). */
    @JsonPropertyOrder({"batchUsd", "syncUsd", "savingUsd", "onDemandUsd", "usage"})
    public record ModelCost(
            BigDecimal batchUsd,
            BigDecimal syncUsd,
            BigDecimal savingUsd,
            @JsonInclude(JsonInclude.Include.NON_NULL) BigDecimal onDemandUsd,
            UsageTotals usage) {}

    /** The job's bill, by model, against its projection and budget. */
    @JsonPropertyOrder({
        "batchUsd",
        "syncUsd",
        "savingUsd",
        "onDemandUsd",
        "onDemandUsage",
        "byModel",
        "priceTable",
        "projectedBatchUsdUpperBound",
        "budgetUsd",
        "warning"
    })
    public record Cost(
            BigDecimal batchUsd,
            BigDecimal syncUsd,
            BigDecimal savingUsd,
            @JsonInclude(JsonInclude.Include.NON_NULL) BigDecimal onDemandUsd,
            @JsonInclude(JsonInclude.Include.NON_NULL) UsageTotals onDemandUsage,
            Map<String, ModelCost> byModel,
            String priceTable,
            @JsonInclude(JsonInclude.Include.NON_NULL) BigDecimal projectedBatchUsdUpperBound,
            @JsonInclude(JsonInclude.Include.NON_NULL) BigDecimal budgetUsd,
            @JsonInclude(JsonInclude.Include.NON_NULL) String warning) {}

    /** One shard of the job: its batch, how its requests ended, what it cost, where its part is. */
    @JsonPropertyOrder({
        "shard",
        "batchId",
        "inputFileId",
        "outputFileId",
        "errorFileId",
        "providerStatus",
        "batchError",
        "requests",
        "succeeded",
        "failed",
        "expired",
        "cancelled",
        "missing",
        "resubmitted",
        "depth",
        "queueWaitSeconds",
        "queueWaits",
        "usage",
        "onDemand",
        "cost",
        "part"
    })
    public record ShardEntry(
            String shard,
            String batchId,
            String inputFileId,
            String outputFileId,
            String errorFileId,
            String providerStatus,
            @JsonInclude(JsonInclude.Include.NON_NULL) String batchError,
            long requests,
            long succeeded,
            long failed,
            long expired,
            long cancelled,
            long missing,
            long resubmitted,
            int depth,
            // How long the shard waited for the provider's queue before it was sent, and how often.
            @JsonInclude(JsonInclude.Include.NON_NULL) Long queueWaitSeconds,
            @JsonInclude(JsonInclude.Include.NON_NULL) Integer queueWaits,
            UsageTotals usage,
            @JsonInclude(JsonInclude.Include.NON_NULL) Boolean onDemand,
            Amounts cost,
            String part) {}

    /**
     * When things happened, as ISO instants ({@code "null"} for one that never did), and the time
     * shards spent held back by the admission budget or the provider's queue limit.
     */
    @JsonPropertyOrder({
        "createdAt",
        "submittedAt",
        "lastBatchEndedAt",
        "completedAt",
        "queueWaitSeconds",
        "longestShardQueueWaitSeconds",
        "totalSeconds",
        "ingest"
    })
    public record Timings(
            String createdAt,
            String submittedAt,
            String lastBatchEndedAt,
            String completedAt,
            long queueWaitSeconds,
            long longestShardQueueWaitSeconds,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long totalSeconds,
            @JsonInclude(JsonInclude.Include.NON_NULL) IngestTimings ingest) {}

    /** The lane's own overhead: one pass (validate, count, stage), then handing shards over. */
    @JsonPropertyOrder({
        "startedAt",
        "validatedAndStagedAt",
        "submittedAt",
        "passSeconds",
        "passMBps",
        "submitSeconds",
        "shardsSubmittedByIngest",
        "shardsHandedToPoll"
    })
    public record IngestTimings(
            String startedAt,
            String validatedAndStagedAt,
            String submittedAt,
            @JsonInclude(JsonInclude.Include.NON_NULL) Double passSeconds,
            @JsonInclude(JsonInclude.Include.NON_NULL) Double passMBps,
            @JsonInclude(JsonInclude.Include.NON_NULL) Double submitSeconds,
            int shardsSubmittedByIngest,
            int shardsHandedToPoll) {
        static IngestTimings of(IngestProgress p) {
            Double passSeconds = null;
            Double passMBps = null;
            if (p.passDuration() != null) {
                passSeconds = p.passDuration().toMillis() / 1000.0;
                if (p.passDuration().toMillis() > 0) {
                    passMBps =
                            Math.round(p.bytesRead() / 1e3 / p.passDuration().toMillis() * 10)
                                    / 10.0;
                }
            }
            Double submitSeconds =
                    p.submittedAt() != null && p.passEndedAt() != null
                            ? Duration.between(p.passEndedAt(), p.submittedAt()).toMillis() / 1000.0
                            : null;
            return new IngestTimings(
                    String.valueOf(p.startedAt()),
                    String.valueOf(p.passEndedAt()),
                    String.valueOf(p.submittedAt()),
                    passSeconds,
                    passMBps,
                    submitSeconds,
                    p.submittedByIngest(),
                    p.handedToPoll());
        }
    }

    /** The manifest of a job whose shards are all completed, from their stored records. */
    public static Manifest of(
            Job job, List<Shard> shards, PriceTable prices, Optional<IngestProgress> ingest) {
        long succeeded = 0,
                failed = 0,
                expired = 0,
                cancelled = 0,
                missing = 0,
                resubmitted = 0,
                finalFailures = 0;
        Usage usage = Usage.ZERO;
        Map<String, Usage> usageByModel = new TreeMap<>();
        Map<String, Usage> onDemandByModel = new TreeMap<>();
        List<String> parts = new ArrayList<>();
        List<ShardEntry> entries = new ArrayList<>();
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
            boolean onDemand = s.batch().runMode() == RunMode.ON_DEMAND;
            Map<String, Usage> billed = onDemand ? onDemandByModel : usageByModel;
            shardByModel.forEach((m, u) -> billed.merge(m, u, Usage::plus));
            parts.add(r.partKey());
            boolean waited = s.queueWait().times() > 0;
            entries.add(
                    new ShardEntry(
                            Shard.partName(s.index()),
                            s.batch().batchId(),
                            s.batch().inputFileId(),
                            s.batch().outputFileId(),
                            s.batch().errorFileId(),
                            s.batch().providerStatus(),
                            s.batch().batchError(),
                            s.input().requestCount(),
                            r.succeeded(),
                            r.failed(),
                            r.expired(),
                            r.cancelled(),
                            r.missing(),
                            r.resubmitted(),
                            s.depth(),
                            waited ? s.queueWait().waited().toSeconds() : null,
                            waited ? s.queueWait().times() : null,
                            UsageTotals.of(r.usage()),
                            onDemand ? Boolean.TRUE : null,
                            Amounts.of(
                                    onDemand
                                            ? Bill.of(
                                                    job.provider(), Map.of(), shardByModel, prices)
                                            : Bill.of(job.provider(), shardByModel, prices)),
                            r.partKey()));
            queueWait = queueWait.plus(s.queueWait().waited());
            if (s.queueWait().waited().compareTo(longestWait) > 0) {
                longestWait = s.queueWait().waited();
            }
            if (s.timeline().endedAt() != null
                    && (lastEnded == null || s.timeline().endedAt().isAfter(lastEnded))) {
                lastEnded = s.timeline().endedAt();
            }
            if (s.timeline().completedAt() != null
                    && (lastCompleted == null
                            || s.timeline().completedAt().isAfter(lastCompleted))) {
                lastCompleted = s.timeline().completedAt();
            }
        }
        Timings timings =
                new Timings(
                        String.valueOf(job.createdAt()),
                        String.valueOf(job.submittedAt()),
                        String.valueOf(lastEnded),
                        String.valueOf(lastCompleted),
                        queueWait.toSeconds(),
                        longestWait.toSeconds(),
                        job.createdAt() != null && lastCompleted != null
                                ? Duration.between(job.createdAt(), lastCompleted).toSeconds()
                                : null,
                        ingest.map(IngestTimings::of).orElse(null));
        return new Manifest(
                job.jobId(),
                job.provider(),
                job.model(),
                job.endpoint(),
                new Input(
                        job.bucket(),
                        job.inputKey(),
                        job.inputVersion(),
                        job.sha256(),
                        job.inputBytes()),
                new Counts(
                        job.requestCount(),
                        succeeded,
                        failed,
                        expired,
                        cancelled,
                        missing,
                        resubmitted,
                        finalFailures),
                UsageTotals.of(usage),
                cost(job, usageByModel, onDemandByModel, prices),
                List.copyOf(parts),
                List.copyOf(entries),
                timings,
                null);
    }

    private static Cost cost(
            Job job,
            Map<String, Usage> usageByModel,
            Map<String, Usage> onDemandByModel,
            PriceTable prices) {
        Bill bill = Bill.of(job.provider(), usageByModel, onDemandByModel, prices);
        Amounts total = Amounts.of(bill);
        Usage onDemandUsage = onDemandByModel.values().stream().reduce(Usage.ZERO, Usage::plus);
        Map<String, ModelCost> byModel = new LinkedHashMap<>();
        Set<String> models = new TreeSet<>(usageByModel.keySet());
        models.addAll(onDemandByModel.keySet());
        for (String model : models) {
            Usage batchPart = usageByModel.getOrDefault(model, Usage.ZERO);
            Usage onDemandPart = onDemandByModel.getOrDefault(model, Usage.ZERO);
            Amounts a =
                    Amounts.of(
                            Bill.of(
                                    job.provider(),
                                    Map.of(model, batchPart),
                                    Map.of(model, onDemandPart),
                                    prices));
            byModel.put(
                    model,
                    new ModelCost(
                            a.batchUsd(),
                            a.syncUsd(),
                            a.savingUsd(),
                            a.onDemandUsd(),
                            UsageTotals.of(batchPart.plus(onDemandPart))));
        }
        return new Cost(
                total.batchUsd(),
                total.syncUsd(),
                total.savingUsd(),
                total.onDemandUsd(),
                onDemandUsage.equals(Usage.ZERO) ? null : UsageTotals.of(onDemandUsage),
                byModel,
                prices.version(),
                job.estimatedCostUsd() == null ? null : usd(new BigDecimal(job.estimatedCostUsd())),
                job.budgetUsd() == null ? null : usd(new BigDecimal(job.budgetUsd())),
                bill.complete()
                        ? null
                        : "no price for "
                                + job.provider()
                                + " model(s) "
                                + bill.unpricedModels()
                                + "; add them to batchlane.pricing.overrides to see the bill");
    }

    /** The same manifest naming the job's failed-requests file. */
    public Manifest withFailedFile(String key) {
        return new Manifest(
                jobId, provider, model, endpoint, input, counts, usage, cost, parts, shards,
                timings, key);
    }

    /** The manifest as written to the bucket: indented JSON. */
    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException("job " + jobId + ": the manifest did not serialise", e);
        }
    }

    /**
     * An amount as it has always appeared in manifests: without trailing zeros, except a zero,
     * which keeps its scale ({@code 0E-7}), as Jackson's tree wrote them before the manifest was a
     * record; so an upgrade writes the same text for the same bill.
     */
    static BigDecimal usd(BigDecimal v) {
        if (v == null || v.signum() == 0) {
            return v;
        }
        return v.stripTrailingZeros();
    }
}
