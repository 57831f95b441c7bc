package dev.batchlane.core.poll;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.storage.ObjectStore;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Keeps a running job's staged shards from expiring under it. The bucket's lifecycle rule deletes a
 * staged object a fixed lifetime after it was written, but submission, complete's join and its
 * resubmissions read it until the shard is COMPLETED, and a job slowed by queues and re-drives can
 * outlive that lifetime. Poll steps on every such shard often (its longest poll interval is far
 * shorter than the margin), so when it does, the staged object is looked at and, when it is close
 * to its expiry, rewritten in place so its age starts again.
 *
 * <p>Looking costs a head request, so only the shards of jobs older than half the lifetime are
 * looked at: a younger job's shards cannot be near their expiry, since nothing is staged before its
 * job is created. A refresh is due once less than the margin (two days, or a quarter of the
 * lifetime when that is shorter) is left before the object expires.
 */
public final class StagingRefresh {
    private static final System.Logger LOG = System.getLogger(StagingRefresh.class.getName());

    /** The most a refresh comes before the expiry: many poll intervals, never a whole lifetime. */
    static final Duration MAX_MARGIN = Duration.ofDays(2);

    private final Duration lifetime;
    private final ObjectStore objects;

    /**
     * @param lifetime how long the bucket keeps a staged object; null when it keeps it for ever,
     *     and then nothing is ever looked at
     */
    public StagingRefresh(Duration lifetime, ObjectStore objects) {
        if (lifetime != null && (lifetime.isNegative() || lifetime.isZero())) {
            throw new IllegalArgumentException(
                    "the staging lifetime must be positive (or absent: no expiry), not "
                            + lifetime);
        }
        this.lifetime = lifetime;
        this.objects = objects;
    }

    /** How long before its expiry a staged object is refreshed. */
    public Duration margin() {
        Duration quarter = lifetime.dividedBy(4);
        return quarter.compareTo(MAX_MARGIN) < 0 ? quarter : MAX_MARGIN;
    }

    /**
     * Whether a shard's staged object is worth a look: the bucket expires staged objects, the shard
     * still needs its own (every status but COMPLETED), and its job has lived at least half the
     * lifetime. A job whose creation time is unknown is looked at: a head is cheap, a lost shard is
     * not.
     */
    public boolean shouldLook(ShardStatus status, Instant jobCreatedAt, Instant now) {
        if (lifetime == null || status == ShardStatus.COMPLETED) {
            return false;
        }
        return jobCreatedAt == null
                || !Duration.between(jobCreatedAt, now).minus(lifetime.dividedBy(2)).isNegative();
    }

    /**
     * Whether an object written at {@code lastModified} is within the margin of its expiry at
     * {@code now} (or past it: the bucket's expiry runs late, and a refresh may still save it). An
     * object whose writing time is unknown is left alone.
     */
    public boolean refreshDue(Instant lastModified, Instant now) {
        if (lifetime == null || lastModified == null) {
            return false;
        }
        return !now.isBefore(lastModified.plus(lifetime).minus(margin()));
    }

    /**
     * Poll's per-shard call: looks at the shard's staged object when the rule says so and refreshes
     * it when it is due. Never throws: a failed look or refresh is logged, the step goes on, and
     * the next cycle that steps on the shard tries again.
     */
    void keepAlive(Shard shard, PollCycle cycle, Instant now) {
        if (lifetime == null
                || shard.status() == ShardStatus.COMPLETED
                || shard.input().stagingKey() == null) {
            return;
        }
        String key = shard.input().stagingKey();
        try {
            Optional<Job> job = cycle.job(shard.jobId());
            if (job.isEmpty() || !shouldLook(shard.status(), job.get().createdAt(), now)) {
                return;
            }
            Optional<ObjectStore.ObjectInfo> staged = objects.head(key);
            if (staged.isEmpty()) {
                LOG.log(
                        Level.WARNING,
                        "job {0} shard {1}: staged shard {2} is gone (the bucket expires staged"
                                + " shards after {3}); what still needs it will report staged_missing",
                        shard.jobId(),
                        Shard.partName(shard.index()),
                        key,
                        lifetime);
                return;
            }
            Instant written = staged.get().lastModified();
            if (!refreshDue(written, now)) {
                return;
            }
            objects.refresh(key);
            LOG.log(
                    Level.INFO,
                    "job {0} shard {1}: staged shard {2} written {3} ago, refreshed so the bucket''s"
                            + " expiry after {4} starts again",
                    shard.jobId(),
                    Shard.partName(shard.index()),
                    key,
                    Duration.between(written, now),
                    lifetime);
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    () ->
                            "job "
                                    + shard.jobId()
                                    + " shard "
                                    + Shard.partName(shard.index())
                                    + ": could not look at or refresh staged shard "
                                    + key
                                    + " ("
                                    + e.getClass().getSimpleName()
                                    + "); the next cycle tries again",
                    e);
        }
    }
}
