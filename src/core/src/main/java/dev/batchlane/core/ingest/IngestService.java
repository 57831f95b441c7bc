package dev.batchlane.core.ingest;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.lane.Deadline;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.lane.ShardSubmitter;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Turns one dropped object into a job in one streaming pass: every line is validated and counted
 * while the file is cut into shards and staged (see {@link IngestPass}). Only a file whose every
 * line is valid and whose projection fits its budget gets shard and job records and is submitted; a
 * rejected one has its staged shards removed and reaches no provider.
 *
 * <p>This class decides the order of the steps, each a class of its own: {@link DropPass} reads and
 * stages, {@link Rejections} ends a file that will not run, {@link BudgetCheck} prices it, {@link
 * JobAcceptance} records it, {@link ShardHandOff} submits it or leaves it to poll, and {@link
 * FailedIngests} keeps the record of an attempt that failed.
 */
public final class IngestService {
    private static final System.Logger LOG = System.getLogger(IngestService.class.getName());

    private final JobStore store;
    private final Providers providers;
    private final Rejections rejections;
    private final BudgetCheck budgetCheck;
    private final JobAcceptance acceptance;
    private final ShardHandOff handOff;
    private final DropPass dropPass;
    private final FailedIngests failures;

    /**
     * How ingest spends its invocation: threads for the pass, and the margins kept before the
     * invocation's deadline — to stop the pass cleanly, and to finish one submission (an upload of
     * up to a few hundred MB and a create) before handing the remaining shards to poll.
     */
    public record Tuning(
            int parallelism, Duration passMargin, Duration submitMargin, Duration progressEvery) {
        public static Tuning defaults() {
            return new Tuning(
                    Runtime.getRuntime().availableProcessors(),
                    Duration.ofSeconds(20),
                    Duration.ofSeconds(120),
                    Duration.ofSeconds(5));
        }
    }

    public IngestService(
            JobStore store,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            Clock clock) {
        this(store, objects, providers, settings, clock, LaneMetrics.NONE);
    }

    public IngestService(
            JobStore store,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            Clock clock,
            LaneMetrics metrics) {
        this(store, objects, providers, settings, clock, metrics, Tuning.defaults());
    }

    public IngestService(
            JobStore store,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            Clock clock,
            LaneMetrics metrics,
            Tuning tuning) {
        this.store = store;
        this.providers = providers;
        ShardSubmitter submitter =
                new ShardSubmitter(store, objects, providers, settings, clock, metrics);
        this.rejections = new Rejections(store, objects, clock, metrics);
        this.budgetCheck = new BudgetCheck(objects, settings.money());
        this.acceptance = new JobAcceptance(store, clock, metrics, rejections);
        this.handOff = new ShardHandOff(store, submitter, clock, tuning.submitMargin());
        this.dropPass = new DropPass(store, objects, settings, tuning, clock);
        this.failures = new FailedIngests(store, clock, metrics);
    }

    /** The S3 object an event announced. {@code versionId} may be null on an unversioned bucket. */
    public record ObjectRef(String bucket, String key, String versionId, String etag, long size) {
        String identity() {
            return versionId != null && !versionId.isEmpty() && !"null".equals(versionId)
                    ? versionId
                    : etag;
        }
    }

    public enum Outcome {
        ACCEPTED,
        REJECTED,
        DUPLICATE,
        IGNORED
    }

    public record Ingestion(String jobId, Outcome outcome, int shards, long requests) {}

    public Ingestion ingest(ObjectRef ref) {
        return ingest(ref, Deadline.none());
    }

    /**
     * Ingests the object within {@code deadline}: the pass stops with a clear error if it cannot
     * end in time, and shards that cannot be submitted in time are left due for poll.
     */
    public Ingestion ingest(ObjectRef ref, Deadline deadline) {
        Optional<Keys.Drop> drop = Keys.parseInbox(ref.key());
        if (drop.isEmpty()) {
            LOG.log(Level.WARNING, "ignoring {0}: not under inbox/<provider>/", ref.key());
            return new Ingestion(null, Outcome.IGNORED, 0, 0);
        }
        String jobId = Keys.jobId(ref.bucket(), ref.key(), ref.identity());
        Ingestion result;
        try {
            result = attempt(jobId, ref, drop.get(), deadline);
        } catch (RuntimeException e) {
            failures.record(jobId, ref, e);
            throw e;
        }
        failures.clearAfterSuccess(jobId);
        return result;
    }

    /**
     * Resumes a job whose ingest failed or stopped, from what the store recorded, without the S3
     * event: a job still INGESTING has its staged shards submitted (shards already at the provider,
     * or being submitted, are left alone); a job without a record yet is ingested again from the
     * object its failed attempt was reading. A finished job is left as it is.
     */
    public Ingestion resume(String jobId, Deadline deadline) {
        Optional<Job> job = store.job(jobId);
        if (job.isPresent()) {
            Job j = job.get();
            if (j.status() != JobStatus.INGESTING) {
                LOG.log(
                        Level.INFO,
                        "job {0}: resume asked for, but the job is {1}; nothing to do",
                        jobId,
                        j.status());
                return new Ingestion(jobId, Outcome.DUPLICATE, j.shardCount(), j.requestCount());
            }
            ObjectRef ref =
                    new ObjectRef(
                            j.bucket(),
                            j.inputKey(),
                            j.inputVersion(),
                            j.inputVersion(),
                            j.inputBytes());
            return ingest(ref, deadline);
        }
        return ingest(failures.objectToResume(jobId), deadline);
    }

    private Ingestion attempt(String jobId, ObjectRef ref, Keys.Drop drop, Deadline deadline) {
        Optional<Job> existing = store.job(jobId);
        if (existing.isPresent() && existing.get().status() != JobStatus.INGESTING) {
            LOG.log(
                    Level.INFO,
                    "job {0}: {1} was delivered again; the job is {2}, nothing to do",
                    jobId,
                    ref.key(),
                    existing.get().status());
            return new Ingestion(
                    jobId,
                    Outcome.DUPLICATE,
                    existing.get().shardCount(),
                    existing.get().requestCount());
        }
        Optional<BatchProvider> provider = providers.find(drop.provider());
        try {
            if (existing.isPresent()) {
                // The job record is written only after every shard is staged and recorded, so what
                // is
                // left is submission: nothing is read or staged again.
                LOG.log(Level.INFO, "job {0}: resuming the submission of {1}", jobId, ref.key());
                return handOff.submitStaged(existing.get(), deadline);
            }
            if (provider.isEmpty()) {
                // A provider the deployment left out has no key and no grants here: refused by
                // name, so the person dropping it learns it is off, not that it does not exist.
                Violation v =
                        providers.isNotEnabled(drop.provider())
                                ? new Violation(
                                        0,
                                        null,
                                        "provider_not_enabled",
                                        "'"
                                                + drop.provider()
                                                + "' is not enabled in this deployment: only the"
                                                + " providers it names are built and given a key;"
                                                + " drop files under inbox/<provider>/ with one of "
                                                + providers.names()
                                                + ", or add '"
                                                + drop.provider()
                                                + "' to the deployment's providers")
                                : new Violation(
                                        0,
                                        null,
                                        "unknown_provider",
                                        "'"
                                                + drop.provider()
                                                + "' is not a configured provider; drop files under inbox/<provider>/ with one of "
                                                + providers.names());
                return rejections.reject(
                        new DroppedFile(jobId, ref, drop),
                        Rejections.fileLevel(v, ref.size()),
                        false,
                        null);
            }
            return passThenRun(new DroppedFile(jobId, ref, drop), provider.get(), deadline);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "job " + jobId + ": reading " + ref.key() + " failed", e);
        }
    }

    private Ingestion passThenRun(DroppedFile file, BatchProvider provider, Deadline deadline)
            throws IOException {
        DropPass.Read read = dropPass.read(file, provider, deadline);
        FileValidator.Validation checked = read.checked();
        if (!checked.valid()) {
            return rejections.reject(file, checked, read.errorsWritten(), null);
        }
        BudgetCheck.Verdict cost =
                budgetCheck.check(file, provider.name(), checked, read.onDemand());
        if (cost.refusal().isPresent()) {
            read.staging().removeAll();
            return rejections.reject(
                    file,
                    Rejections.fileLevel(cost.refusal().get(), checked.bytes()),
                    false,
                    cost.cost());
        }
        Optional<Ingestion> stopped =
                acceptance.accept(file, provider.name(), checked, read.staging(), cost);
        if (stopped.isPresent()) {
            return stopped.get();
        }
        return handOff.submitStaged(store.job(file.jobId()).orElseThrow(), deadline);
    }
}
