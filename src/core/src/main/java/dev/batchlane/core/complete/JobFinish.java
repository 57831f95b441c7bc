package dev.batchlane.core.complete;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.JobEvents;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Finishes a job once every shard is completed: its failed list, its manifest, cleanup at the
 * provider, and the completion event sent once. Logs under {@link CompleteService}'s name, as
 * before the split.
 */
final class JobFinish {
    private static final System.Logger LOG = System.getLogger(CompleteService.class.getName());

    private final JobStore store;
    private final ObjectStore objects;
    private final LaneSettings settings;
    private final Clock clock;
    private final JobEvents events;
    private final ProviderCleanup cleanup;

    JobFinish(
            JobStore store,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            Clock clock,
            JobEvents events) {
        this.store = store;
        this.objects = objects;
        this.settings = settings;
        this.clock = clock;
        this.events = events;
        this.cleanup = new ProviderCleanup(providers);
    }

    /**
     * How long a claim on the completion event protects its holder: longer than the longest Lambda
     * invocation (15 minutes), so a claim older than this belongs to an invocation that is gone.
     */
    static final java.time.Duration EVENT_CLAIM_LEASE = java.time.Duration.ofMinutes(20);

    /** Writes the manifest and cleans up at the provider once every shard is completed. */
    boolean finishJobIfDone(String jobId) {
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
        Manifest manifest =
                Manifest.of(job, shards, settings.money().prices(), store.ingestProgress(jobId));
        if (finalFailures > 0) {
            manifest = manifest.withFailedFile(Keys.failed(jobId));
        }
        objects.putBytes(manifestKey, manifest.toJson(), "application/json");
        // Only now, with every part and the manifest in the bucket, is the provider's copy
        // redundant.
        cleanup.cleanup(shards);
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

    private static JobEvents.JobCompleted completedEvent(Job job, String manifestKey, Manifest m) {
        Manifest.Counts c = m.counts();
        return new JobEvents.JobCompleted(
                job.jobId(),
                job.provider(),
                job.model(),
                job.bucket(),
                manifestKey,
                c.requests(),
                c.succeeded(),
                c.failed(),
                c.expired(),
                c.cancelled(),
                c.missing(),
                m.usage().usage(),
                m.cost().batchUsd(),
                m.cost().syncUsd());
    }
}
