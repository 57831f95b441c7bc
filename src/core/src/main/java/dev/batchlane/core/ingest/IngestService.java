package dev.batchlane.core.ingest;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.lane.ShardSubmitter;
import dev.batchlane.core.money.Money;
import dev.batchlane.core.money.Projection;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Turns one dropped object into a job: validates it in one streaming pass, and only if every line
 * is valid cuts it into shards, stages them and submits them. A rejected file reaches no provider.
 */
public final class IngestService {
    private static final System.Logger LOG = System.getLogger(IngestService.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final JobStore store;
    private final ObjectStore objects;
    private final Providers providers;
    private final ShardSubmitter submitter;
    private final LaneSettings settings;
    private final Clock clock;

    private final LaneMetrics metrics;

    public IngestService(JobStore store, ObjectStore objects, Providers providers, LaneSettings settings, Clock clock) {
        this(store, objects, providers, settings, clock, LaneMetrics.NONE);
    }

    public IngestService(JobStore store, ObjectStore objects, Providers providers, LaneSettings settings, Clock clock,
            LaneMetrics metrics) {
        this.store = store;
        this.objects = objects;
        this.providers = providers;
        this.settings = settings;
        this.clock = clock;
        this.metrics = metrics;
        this.submitter = new ShardSubmitter(store, objects, providers, settings, clock, metrics);
    }

    /** The S3 object an event announced. {@code versionId} may be null on an unversioned bucket. */
    public record ObjectRef(String bucket, String key, String versionId, String etag, long size) {
        String identity() {
            return versionId != null && !versionId.isEmpty() && !"null".equals(versionId) ? versionId : etag;
        }
    }

    public enum Outcome { ACCEPTED, REJECTED, DUPLICATE, IGNORED }

    public record Result(String jobId, Outcome outcome, int shards, long requests) {}

    public Result ingest(ObjectRef ref) {
        Optional<Keys.Drop> drop = Keys.parseInbox(ref.key());
        if (drop.isEmpty()) {
            LOG.log(Level.WARNING, "ignoring {0}: not under inbox/<provider>/", ref.key());
            return new Result(null, Outcome.IGNORED, 0, 0);
        }
        String jobId = Keys.jobId(ref.bucket(), ref.key(), ref.identity());
        Optional<Job> existing = store.job(jobId);
        if (existing.isPresent() && existing.get().status() != JobStatus.INGESTING) {
            LOG.log(Level.INFO, "job {0}: {1} was delivered again; the job is {2}, nothing to do", jobId,
                    ref.key(), existing.get().status());
            return new Result(jobId, Outcome.DUPLICATE, existing.get().shardCount(), existing.get().requestCount());
        }
        Optional<BatchProvider> provider = providers.find(drop.get().provider());
        try {
            if (existing.isPresent()) {
                LOG.log(Level.INFO, "job {0}: resuming an interrupted ingest of {1}", jobId, ref.key());
                return stageAndSubmit(existing.get(), ref);
            }
            if (provider.isEmpty()) {
                Violation v = new Violation(0, null, "unknown_provider", "'" + drop.get().provider()
                        + "' is not a configured provider; drop files under inbox/<provider>/ with one of "
                        + providers.names());
                return reject(jobId, ref, drop.get(), fileLevel(v, ref.size()), null, null);
            }
            return validateThenRun(jobId, ref, drop.get(), provider.get());
        } catch (IOException e) {
            throw new UncheckedIOException("job " + jobId + ": reading " + ref.key() + " failed", e);
        }
    }

    private Result validateThenRun(String jobId, ObjectRef ref, Keys.Drop drop, BatchProvider provider)
            throws IOException {
        Path errors = Files.createTempFile(settings.tempDir(), "errors-", ".jsonl");
        try {
            FileValidator.Result checked;
            try (InputStream in = objects.open(ref.key(), ref.identity());
                    JsonGenerator out = new JsonFactory().createGenerator(errors.toFile(), JsonEncoding.UTF8)) {
                out.setRootValueSeparator(null);
                checked = new FileValidator(provider.contract(), provider.limits().cappedBy(settings.limits()),
                        settings.money().defaultMaxOutputTokens()).validate(in, v -> write(out, v));
            }
            if (!checked.valid()) {
                return reject(jobId, ref, drop, checked, errors, null);
            }
            Projection projection = Projection.of(provider.name(), checked.estimates(), settings.money().prices());
            ObjectNode money = moneyJson(projection, null);
            BigDecimal budget;
            try {
                budget = budget(ref).orElse(null);
            } catch (IllegalArgumentException e) {
                return reject(jobId, ref, drop, fileLevel(new Violation(0, null, "budget_invalid", e.getMessage()),
                        checked.bytes()), null, money);
            }
            if (budget != null) {
                money = moneyJson(projection, budget);
                Violation over = budgetViolation(projection, budget);
                if (over != null) {
                    return reject(jobId, ref, drop, fileLevel(over, checked.bytes()), null, money);
                }
            }
            if (!projection.complete()) {
                LOG.log(Level.WARNING, "job {0}: no price for model(s) {1}; the job runs without a cost projection",
                        jobId, projection.unpricedModels());
            }
            Instant now = clock.instant();
            Job job = new Job(jobId, provider.name(), JobStatus.INGESTING, ref.bucket(), ref.key(), ref.identity(),
                    drop.name(), checked.sha256(), checked.bytes(), checked.requests(), 0, 0, checked.model(),
                    checked.endpoint(), now, null, null, null,
                    projection.complete() ? projection.batchUsd().toPlainString() : null,
                    budget == null ? null : budget.toPlainString(), false);
            if (!store.createJob(job)) {
                LOG.log(Level.INFO, "job {0}: another invocation created it first", jobId);
                return new Result(jobId, Outcome.DUPLICATE, 0, checked.requests());
            }
            LOG.log(Level.INFO, "job {0}: accepted {1} ({2} requests, {3} bytes, model {4})", jobId, ref.key(),
                    checked.requests(), checked.bytes(), checked.model());
            metrics.jobAccepted(provider.name(), checked.requests());
            return stageAndSubmit(job, ref);
        } finally {
            Files.deleteIfExists(errors);
        }
    }

    private Result stageAndSubmit(Job job, ObjectRef ref) throws IOException {
        Sharder sharder = new Sharder(providers.get(job.provider()).limits().cappedBy(settings.limits()),
                settings.tempDir());
        String sha;
        try (InputStream in = objects.open(ref.key(), job.inputVersion())) {
            sha = sharder.cut(in, shard -> {
                String key = Keys.staging(job.jobId(), shard.index());
                objects.put(key, shard.file(), "application/jsonl");
                store.createShard(Shard.staged(job.jobId(), shard.index(), job.provider(), key, shard.requests(),
                        shard.bytes()));
                LOG.log(Level.INFO, "job {0}: staged shard {1} ({2} requests, {3} bytes)", job.jobId(),
                        Shard.partName(shard.index()), shard.requests(), shard.bytes());
            });
        }
        if (!sha.equals(job.sha256())) {
            throw new IllegalStateException("job " + job.jobId() + ": " + ref.key() + " changed between validation"
                    + " (sha256 " + job.sha256() + ") and staging (sha256 " + sha + "); nothing more is submitted");
        }
        List<Shard> shards = store.shards(job.jobId());
        for (Shard shard : shards) {
            if (shard.status() == ShardStatus.STAGED && shard.dueAt() == null) {
                submitter.submit(job, shard);
            }
        }
        store.markRunning(job.jobId(), shards.size(), clock.instant());
        LOG.log(Level.INFO, "job {0}: {1} shard(s) handed to {2}", job.jobId(), shards.size(), job.provider());
        return new Result(job.jobId(), Outcome.ACCEPTED, shards.size(), job.requestCount());
    }

    /** The budget for this file: its own metadata, else the default for its prefix. */
    private Optional<BigDecimal> budget(ObjectRef ref) {
        Optional<String> own = objects.head(ref.key())
                .map(info -> info.metadata().get(Money.BUDGET_METADATA));
        if (own.isPresent()) {
            try {
                BigDecimal value = new BigDecimal(own.get().trim());
                if (value.signum() < 0) {
                    throw new NumberFormatException();
                }
                return Optional.of(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("x-amz-meta-" + Money.BUDGET_METADATA + " is '" + own.get()
                        + "'; it must be a non-negative amount in USD such as 25 or 12.50");
            }
        }
        return settings.money().defaultBudget(ref.key());
    }

    private static Violation budgetViolation(Projection p, BigDecimal budget) {
        if (!p.complete()) {
            return new Violation(0, null, "price_unknown", "the file has a budget of $" + budget.toPlainString()
                    + " but there is no price for model(s) " + p.unpricedModels() + " (price table " + p.priceTableVersion()
                    + "), so the cost cannot be shown to fit; add the model to batchlane.pricing.overrides");
        }
        if (p.batchUsd().compareTo(budget) > 0) {
            return new Violation(0, null, "over_budget", "the projected cost is up to $" + p.batchUsd().toPlainString()
                    + " at batch prices (" + p.inputTokens() + " input tokens, up to " + p.maxOutputTokens()
                    + " output tokens), over the budget of $" + budget.toPlainString()
                    + "; raise x-amz-meta-budget-usd or lower max_tokens");
        }
        return null;
    }

    private static ObjectNode moneyJson(Projection p, BigDecimal budget) {
        ObjectNode n = JSON.createObjectNode();
        n.put("inputTokens", p.inputTokens());
        n.put("maxOutputTokens", p.maxOutputTokens());
        if (p.complete()) {
            n.put("projectedBatchUsd", p.batchUsd());
            n.put("projectedSyncUsd", p.syncUsd());
        } else {
            n.putNull("projectedBatchUsd");
            n.set("unpricedModels", JSON.valueToTree(p.unpricedModels()));
        }
        if (budget != null) {
            n.put("budgetUsd", budget);
        }
        n.put("priceTable", p.priceTableVersion());
        return n;
    }

    private static FileValidator.Result fileLevel(Violation v, long bytes) {
        return new FileValidator.Result(0, 0, bytes, null, 1, java.util.Map.of(v.code(), 1L), List.of(v), null, null,
                java.util.Map.of());
    }

    private Result reject(String jobId, ObjectRef ref, Keys.Drop drop, FileValidator.Result checked, Path errors,
            ObjectNode money) throws IOException {
        if (errors != null) {
            objects.put(Keys.rejectedErrors(drop.name()), errors, "application/jsonl");
        } else {
            byte[] line = (JSON.copy().disable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(violationJson(checked.sample().get(0))) + "\n").getBytes();
            objects.putBytes(Keys.rejectedErrors(drop.name()), line, "application/jsonl");
        }
        ObjectNode report = JSON.createObjectNode();
        report.put("status", "rejected");
        report.put("jobId", jobId);
        report.put("input", "s3://" + ref.bucket() + "/" + ref.key());
        report.put("provider", drop.provider());
        report.put("lines", checked.lines());
        report.put("bytes", checked.bytes());
        if (checked.sha256() != null) {
            report.put("sha256", checked.sha256());
        }
        report.put("violations", checked.violationCount());
        report.set("violationsByCode", JSON.valueToTree(checked.violationsByCode()));
        report.put("errors", Keys.rejectedErrors(drop.name()));
        report.put("submitted", 0);
        report.put("message", "nothing was submitted: " + (checked.sample().size() == 1 && checked.sample().get(0).line() == 0
                ? checked.sample().get(0).message()
                : checked.violationCount() + " line(s) broke the rules; fix them and drop the file again"));
        if (money != null) {
            report.set("cost", money);
        }
        var first = report.putArray("firstViolations");
        checked.sample().forEach(v -> first.add(violationJson(v)));
        objects.putBytes(Keys.rejectedReport(drop.name()), JSON.writeValueAsBytes(report), "application/json");
        Instant now = clock.instant();
        store.createJob(new Job(jobId, drop.provider(), JobStatus.REJECTED, ref.bucket(), ref.key(), ref.identity(),
                drop.name(), checked.sha256(), checked.bytes(), 0, 0, 0, null, null, now, null, now,
                Keys.rejectedReport(drop.name()), null, null, false));
        LOG.log(Level.WARNING, "job {0}: rejected {1}: {2} violation(s) {3}; report at {4}", jobId, ref.key(),
                checked.violationCount(), checked.violationsByCode(), Keys.rejectedReport(drop.name()));
        metrics.jobRejected(drop.provider());
        return new Result(jobId, Outcome.REJECTED, 0, 0);
    }

    private static ObjectNode violationJson(Violation v) {
        ObjectNode node = JSON.createObjectNode();
        node.put("line", v.line());
        if (v.customId() != null) {
            node.put("custom_id", v.customId());
        } else {
            node.putNull("custom_id");
        }
        node.put("code", v.code());
        node.put("message", v.message());
        return node;
    }

    private static void write(JsonGenerator out, Violation v) {
        try {
            out.writeStartObject();
            out.writeNumberField("line", v.line());
            out.writeStringField("custom_id", v.customId());
            out.writeStringField("code", v.code());
            out.writeStringField("message", v.message());
            out.writeEndObject();
            out.writeRaw('\n');
        } catch (IOException e) {
            throw new UncheckedIOException("writing the error list failed", e);
        }
    }
}
