package dev.batchlane.core.ingest;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.money.Projection;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/**
 * Makes a clean, affordable file a job: its bytes are claimed against a twin still running them,
 * then its shards are recorded and, last, the job. A job record therefore means every shard is
 * staged and recorded, which is what lets a redelivered event resume with submission alone.
 */
final class JobAcceptance {
    private static final System.Logger LOG = System.getLogger(JobAcceptance.class.getName());

    private final JobStore store;
    private final Clock clock;
    private final LaneMetrics metrics;
    private final Rejections rejections;

    JobAcceptance(JobStore store, Clock clock, LaneMetrics metrics, Rejections rejections) {
        this.store = store;
        this.clock = clock;
        this.metrics = metrics;
        this.rejections = rejections;
    }

    /**
     * Records the job as INGESTING with all its shards, or returns where the file stops instead:
     * rejected because the same bytes run as another job, or a duplicate because another invocation
     * created the job first.
     */
    Optional<IngestService.Ingestion> accept(
            DroppedFile file,
            String provider,
            FileValidator.Validation checked,
            ShardStaging staging,
            BudgetCheck.Verdict cost)
            throws IOException {
        String jobId = file.jobId();
        IngestService.ObjectRef ref = file.ref();
        Projection projection = cost.projection();
        Optional<String> running = runningTwin(jobId, ref, checked.sha256());
        if (running.isPresent()) {
            staging.removeAll();
            return Optional.of(
                    rejections.reject(
                            file,
                            Rejections.fileLevel(
                                    new Violation(
                                            0,
                                            null,
                                            "duplicate_input",
                                            "the same bytes"
                                                    + " (sha256 "
                                                    + checked.sha256()
                                                    + ") were dropped under this key before and are still running as"
                                                    + " job "
                                                    + running.get()
                                                    + "; nothing was submitted a second time. Drop them again once that job"
                                                    + " has ended to run them twice"),
                                    checked.bytes()),
                            false,
                            cost.cost()));
        }
        // Shards first, then the job: a job record means every shard is staged and recorded, which
        // is what lets a redelivered event resume with submission alone.
        recordShards(jobId, provider, checked, staging, projection);
        Instant now = clock.instant();
        Job job =
                Job.builder(jobId, provider)
                        .status(JobStatus.INGESTING)
                        .input(ref.bucket(), ref.key(), ref.identity())
                        .name(file.drop().name())
                        .sha256(checked.sha256())
                        .inputBytes(checked.bytes())
                        .requestCount(checked.requests())
                        .model(checked.model())
                        .endpoint(checked.endpoint())
                        .createdAt(now)
                        .estimatedCostUsd(
                                projection.complete()
                                        ? projection.batchUsd().toPlainString()
                                        : null)
                        .budgetUsd(cost.budget().map(BigDecimal::toPlainString).orElse(null))
                        .build();
        if (!store.createJob(job)) {
            LOG.log(Level.INFO, "job {0}: another invocation created it first", jobId);
            return Optional.of(
                    new IngestService.Ingestion(
                            jobId, IngestService.Outcome.DUPLICATE, 0, checked.requests()));
        }
        LOG.log(
                Level.INFO,
                "job {0}: accepted {1} ({2} requests, {3} bytes, model {4})",
                jobId,
                ref.key(),
                checked.requests(),
                checked.bytes(),
                checked.model());
        metrics.jobAccepted(provider, checked.requests());
        return Optional.empty();
    }

    private void recordShards(
            String jobId,
            String provider,
            FileValidator.Validation checked,
            ShardStaging staging,
            Projection projection) {
        for (IngestPass.StagedShard s : staging.shards()) {
            String key = staging.key(s.index());
            // The admission budget counts the shard's own estimate; a shard staged without one
            // (none is, today) counts its share of the file's.
            long tokens =
                    !s.estimates().isEmpty()
                            ? s.inputTokens()
                            : checked.requests() <= 0
                                    ? 0
                                    : Math.round(
                                            (double) projection.inputTokens()
                                                    * s.requests()
                                                    / checked.requests());
            if (!store.createShard(
                    Shard.staged(jobId, s.index(), provider, key, s.requests(), s.bytes())
                            .withInputTokens(tokens))) {
                // An earlier attempt recorded this shard with its own staged file; ours is a spare.
                staging.remove(s.index());
            }
        }
    }

    /**
     * The job (another version of the same key) that already runs these same bytes, if one does;
     * otherwise this job now holds the input. A holder whose job has ended, was rejected, or whose
     * ingest failed for good gives way.
     */
    private Optional<String> runningTwin(String jobId, IngestService.ObjectRef ref, String sha256) {
        Optional<String> holder = store.claimInput(ref.bucket(), ref.key(), sha256, jobId, null);
        if (holder.isEmpty()) {
            return Optional.empty();
        }
        Optional<Job> other = store.job(holder.get());
        boolean over =
                other.isPresent()
                        ? other.get().status() == JobStatus.COMPLETED
                                || other.get().status() == JobStatus.REJECTED
                        : store.ingestFailure(holder.get()).isPresent();
        if (!over) {
            LOG.log(
                    Level.WARNING,
                    "job {0}: {1} holds the same bytes (sha256 {2}) as job {3}, which is still {4}; not"
                            + " run twice",
                    jobId,
                    ref.key(),
                    sha256,
                    holder.get(),
                    other.map(j -> j.status().name()).orElse("ingesting"));
            return holder;
        }
        return store.claimInput(ref.bucket(), ref.key(), sha256, jobId, holder.get());
    }
}
