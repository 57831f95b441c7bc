package dev.batchlane.core.poll;

import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardTrouble;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.provider.ProviderException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;

/**
 * Trouble on one shard: flags it stuck (logged and counted) and records a failed poll step on it,
 * counting failures in a row. Logs under {@link PollService}'s name, as before the split.
 */
final class ShardTroubles {
    private static final System.Logger LOG = System.getLogger(PollService.class.getName());

    private final JobStore store;
    private final LaneSettings settings;
    private final Clock clock;
    private final LaneMetrics metrics;

    ShardTroubles(JobStore store, LaneSettings settings, Clock clock, LaneMetrics metrics) {
        this.store = store;
        this.settings = settings;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** Logs and counts a stuck shard; returns it with the flag set, for the caller's own write. */
    Shard stuck(Shard shard, String reason, Instant now) {
        LOG.log(
                Level.ERROR,
                "job {0} shard {1}: stuck: {2}",
                shard.jobId(),
                Shard.partName(shard.index()),
                reason);
        metrics.shardStuck(shard.provider());
        return shard.withTrouble(ShardTrouble.stuck(shard.trouble(), reason, now));
    }

    /**
     * Whatever went wrong with this one shard — no job record, a storage error, a provider answer
     * that could not be read — is recorded on the shard and pushes its next poll out, growing with
     * each failure in a row; the cycle goes on with the others. After a few failures in a row the
     * shard counts as stuck (see {@link ShardTrouble#STUCK_AFTER_FAILURES}); its next good step
     * clears that.
     */
    PollStep failed(Shard shard, RuntimeException e) {
        Instant now = clock.instant();
        int failures = shard.trouble() == null ? 1 : shard.trouble().failures() + 1;
        Instant later = now.plus(settings.pollDelay(Math.max(shard.batch().pollCount(), failures)));
        String error =
                e instanceof ProviderException p
                        ? "provider answered " + p.statusCode() + " " + p.code()
                        : e.getClass().getSimpleName()
                                + ": "
                                + abbreviate(String.valueOf(e.getMessage()));
        if (e instanceof ProviderException) {
            LOG.log(
                    Level.WARNING,
                    "job {0} shard {1}: status check failed ({2}), retrying at {3}",
                    shard.jobId(),
                    Shard.partName(shard.index()),
                    error,
                    later);
        } else {
            LOG.log(
                    Level.ERROR,
                    () ->
                            "job "
                                    + shard.jobId()
                                    + " shard "
                                    + Shard.partName(shard.index())
                                    + ": poll failed ("
                                    + e.getClass().getSimpleName()
                                    + "), retrying at "
                                    + later,
                    e);
        }
        ShardTrouble trouble = ShardTrouble.failed(shard.trouble(), error, now);
        if (trouble.isStuck() && (shard.trouble() == null || !shard.trouble().isStuck())) {
            stuck(shard, trouble.stuck(), now);
        }
        try {
            store.updateShard(shard, shard.withTrouble(trouble).withDue(later));
        } catch (RuntimeException again) {
            // The store itself is failing: the shard stays due and the next cycle tries again.
            LOG.log(
                    Level.WARNING,
                    () ->
                            "job "
                                    + shard.jobId()
                                    + " shard "
                                    + Shard.partName(shard.index())
                                    + ": could not record the failure ("
                                    + again.getClass().getSimpleName()
                                    + ")",
                    again);
        }
        return PollStep.ERROR;
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
