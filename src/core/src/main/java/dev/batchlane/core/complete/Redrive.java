package dev.batchlane.core.complete;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Hands a job's unfinished completion work to complete again, at once: what poll does by itself for
 * a shard still ENDED after its grace, asked for by an operator after stream records ran out of
 * retries and landed in the dead-letter queue. Each ENDED shard is moved out of ENDED and back (the
 * stream delivers only the move into ENDED), unless a complete invocation holds a live claim on it;
 * a job whose shards are all completed but which is not is asked to finish. Only the table is
 * written, so it can run with the rights of ingest or of an operator.
 */
public final class Redrive {
    private static final System.Logger LOG = System.getLogger(Redrive.class.getName());

    private final JobStore store;
    private final Clock clock;
    private final Duration grace;

    public Redrive(JobStore store, Clock clock, Duration grace) {
        this.store = store;
        this.clock = clock;
        this.grace = grace;
    }

    /**
     * {@code shards}: ENDED shards handed to complete again; {@code claimed}: left to a live claim.
     */
    public record RedriveReport(String jobId, int shards, int claimed, boolean finishRequested) {}

    public RedriveReport redrive(String jobId) {
        Job job =
                store.job(jobId)
                        .orElseThrow(
                                () -> new IllegalArgumentException("redrive: no job " + jobId));
        int redriven = 0;
        int claimed = 0;
        boolean allCompleted = true;
        for (Shard shard : store.shards(jobId)) {
            Instant now = clock.instant();
            if (shard.redriveInterrupted()) {
                if (store.updateShard(shard, shard.redriven(now.plus(grace))).isPresent()) {
                    redriven++;
                }
                allCompleted = false;
            } else if (shard.status() == ShardStatus.ENDED) {
                allCompleted = false;
                if (shard.claimLive(now)) {
                    claimed++;
                    continue;
                }
                Optional<Shard> out = store.updateShard(shard, shard.redriving(now));
                if (out.isPresent()
                        && store.updateShard(out.get(), out.get().redriven(now.plus(grace)))
                                .isPresent()) {
                    redriven++;
                }
            } else if (shard.status() != ShardStatus.COMPLETED) {
                allCompleted = false;
            }
        }
        boolean finish = false;
        if (allCompleted
                && job.status() == JobStatus.RUNNING
                && store.job(jobId).map(Job::allShardsCompleted).orElse(false)) {
            finish = store.requestFinish(jobId, clock.instant());
        }
        LOG.log(
                Level.INFO,
                "job {0}: re-drove {1} ended shard(s), {2} left to a live claim{3}",
                jobId,
                redriven,
                claimed,
                finish ? "; finish requested" : "");
        return new RedriveReport(jobId, redriven, claimed, finish);
    }
}
