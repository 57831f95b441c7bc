package dev.batchlane.core.poll;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.LaneSettings;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.Optional;

/**
 * Shards poll hands (back) to complete: an ended shard complete did not take within its grace, and
 * a completed shard whose job was not finished. Logs under {@link PollService}'s name, as before
 * the split.
 */
final class CompleteHandOver {
    private static final System.Logger LOG = System.getLogger(PollService.class.getName());

    private final JobStore store;
    private final LaneSettings settings;
    private final ShardTroubles troubles;

    CompleteHandOver(JobStore store, LaneSettings settings, ShardTroubles troubles) {
        this.store = store;
        this.settings = settings;
        this.troubles = troubles;
    }

    /**
     * An ENDED shard still not completed when its grace ran out (complete never ran, its retries
     * were used up, or it keeps failing): flagged stuck and handed to complete again, unless a
     * complete invocation holds a live claim on it — then it is left to that one until the claim's
     * lease is over. The stream delivers a shard only when it moves into ENDED, so the hand-over is
     * two writes: out of ENDED and back in.
     */
    PollStep redrive(Shard shard, Instant now) {
        if (shard.claimLive(now)) {
            return store.updateShard(
                                    shard,
                                    shard.withDue(
                                            shard.timeline()
                                                    .claimedAt()
                                                    .plus(Shard.COMPLETE_LEASE)))
                            .isPresent()
                    ? PollStep.OTHER
                    : PollStep.CONFLICT;
        }
        Shard flagged =
                troubles.stuck(
                        shard,
                        "ended at "
                                + shard.timeline().endedAt()
                                + " but not completed within "
                                + settings.completeGrace()
                                + "; handed to complete again",
                        now);
        Optional<Shard> out = store.updateShard(shard, flagged.redriving(now));
        if (out.isEmpty()) {
            return PollStep.CONFLICT;
        }
        return store.updateShard(out.get(), out.get().redriven(now.plus(settings.completeGrace())))
                        .isPresent()
                ? PollStep.REDRIVEN
                : PollStep.CONFLICT;
    }

    /**
     * A COMPLETED shard left due by complete: its job could not be finished then (it was not marked
     * running yet, or the finish failed). If every shard is completed and the job is still running,
     * the finish is asked for again; otherwise there is nothing for poll to do and the due time is
     * cleared.
     */
    PollStep finishIfForgotten(Shard shard, PollCycle cycle, Instant now) {
        Optional<Job> job = cycle.job(shard.jobId());
        if (job.isPresent()
                && job.get().status() == JobStatus.RUNNING
                && job.get().allShardsCompleted()) {
            LOG.log(
                    Level.WARNING,
                    "job {0}: every shard is completed but the job is not; asking complete to"
                            + " finish it",
                    shard.jobId());
            store.requestFinish(shard.jobId(), now);
            return store.updateShard(shard, shard.withDue(now.plus(settings.completeGrace())))
                            .isPresent()
                    ? PollStep.REDRIVEN
                    : PollStep.CONFLICT;
        }
        if (job.isPresent() && job.get().status() == JobStatus.INGESTING) {
            return store.updateShard(shard, shard.withDue(now.plus(settings.completeGrace())))
                            .isPresent()
                    ? PollStep.OTHER
                    : PollStep.CONFLICT;
        }
        return store.updateShard(shard, shard.withDue(null)).isPresent()
                ? PollStep.OTHER
                : PollStep.CONFLICT;
    }
}
