package dev.batchlane.core.complete;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardResult;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.JobEvents;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.money.Bill;
import dev.batchlane.core.storage.ObjectStore;
import java.lang.System.Logger.Level;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/**
 * Completes a shard whose batch ended: joins its results and writes the part, then, when it was the
 * job's last shard, writes the manifest and only then deletes what was left at the provider. Every
 * step can run twice: the part and manifest are rebuilt from the same inputs to the same bytes, and
 * the shard's move to COMPLETED is a conditional write that only one caller wins.
 */
public final class CompleteService {
    private static final System.Logger LOG = System.getLogger(CompleteService.class.getName());

    private final JobStore store;
    private final LaneSettings settings;
    private final Clock clock;

    private final LaneMetrics metrics;
    private final ShardJoin joining;
    private final JobFinish finishing;

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
        this.store = store;
        this.settings = settings;
        this.clock = clock;
        this.joining = new ShardJoin(objects, providers, settings);
        this.finishing = new JobFinish(store, objects, providers, settings, clock, events);
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
                    shard.timeline().claimedAt());
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
        ShardJoin.Joined joined = joining.join(shard, job, now);
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
                    claimed.timeline().claimedAt().plus(Shard.COMPLETE_LEASE));
        }
    }

    /** Writes the manifest and cleans up at the provider once every shard is completed. */
    private boolean finishJobIfDone(String jobId) {
        return finishing.finishJobIfDone(jobId);
    }
}
