package dev.batchlane.core.poll;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.lane.ShardSubmitter;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.storage.ObjectStore;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One poll cycle: reads the shards that are due from the sparse due-index (never a scan), asks
 * each one's provider where its batch is, and records what changed with a version-checked write.
 * Two overlapping cycles may read the same shard; only one of their writes lands, the other sees
 * the conflict and leaves the shard alone.
 */
public final class PollService {
    private static final System.Logger LOG = System.getLogger(PollService.class.getName());

    private final JobStore store;
    private final Providers providers;
    private final ShardSubmitter submitter;
    private final LaneSettings settings;
    private final Clock clock;

    private final LaneMetrics metrics;

    public PollService(JobStore store, ObjectStore objects, Providers providers, LaneSettings settings, Clock clock) {
        this(store, objects, providers, settings, clock, LaneMetrics.NONE);
    }

    public PollService(JobStore store, ObjectStore objects, Providers providers, LaneSettings settings, Clock clock,
            LaneMetrics metrics) {
        this.store = store;
        this.providers = providers;
        this.settings = settings;
        this.clock = clock;
        this.metrics = metrics;
        this.submitter = new ShardSubmitter(store, objects, providers, settings, clock, metrics);
    }

    public record Summary(int due, int submitted, int progressed, int ended, int conflicts, int errors) {
        public static Summary empty() {
            return new Summary(0, 0, 0, 0, 0, 0);
        }
    }

    public Summary pollDue() {
        Instant now = clock.instant();
        List<Shard> due = store.dueShards(now, settings.pollBatchSize());
        long oldestInFlight = due.stream().filter(s -> s.status() == ShardStatus.SUBMITTED && s.submittedAt() != null)
                .mapToLong(s -> Duration.between(s.submittedAt(), now).toSeconds()).max().orElse(0);
        int submitted = 0, progressed = 0, ended = 0, conflicts = 0, errors = 0;
        for (Shard shard : due) {
            try {
                switch (shard.status()) {
                    case STAGED -> {
                        Optional<Job> job = store.job(shard.jobId());
                        if (job.isEmpty()) {
                            throw new IllegalStateException("shard " + shard.id() + " has no job record");
                        }
                        ShardSubmitter.Result r = submitter.submit(job.get(), shard);
                        if (r == ShardSubmitter.Result.SUBMITTED) {
                            submitted++;
                        } else if (r == ShardSubmitter.Result.CLAIMED_ELSEWHERE) {
                            conflicts++;
                        }
                    }
                    case SUBMITTED -> {
                        switch (follow(shard)) {
                            case ENDED -> ended++;
                            case PROGRESSED -> progressed++;
                            case CONFLICT -> conflicts++;
                        }
                    }
                    case ENDED -> {
                        // Still ENDED when its grace ran out: complete never ran, or keeps failing.
                        stuck(shard, "ended at " + shard.endedAt() + " but not completed within "
                                + settings.completeGrace(), now);
                        store.updateShard(shard, shard.withDue(now.plus(settings.completeGrace())));
                    }
                    case SUBMITTING -> {
                        // A submitter claimed it and never finished: the batch may or may not exist at the
                        // provider, and submitting again could charge twice, so a person decides.
                        stuck(shard, "submission interrupted after " + settings.completeGrace() + "; look for a batch"
                                + " with metadata batchlane_job_id=" + shard.jobId() + ", batchlane_shard="
                                + Shard.partName(shard.index()) + (shard.inputFileId() == null ? ""
                                        : " or input file " + shard.inputFileId()), now);
                        store.updateShard(shard, shard.withDue(now.plus(settings.completeGrace())));
                    }
                    case COMPLETED -> {
                        // Not poll's to act on; a due time left on such a shard is cleared so it stops coming back.
                        if (store.updateShard(shard, shard.withDue(null)).isEmpty()) {
                            conflicts++;
                        }
                    }
                }
            } catch (ProviderException e) {
                errors++;
                Instant later = clock.instant().plus(settings.pollDelay(shard.pollCount() + 1));
                store.updateShard(shard, shard.withDue(later));
                LOG.log(Level.WARNING, "job {0} shard {1}: status check failed ({2} {3}), retrying at {4}",
                        shard.jobId(), Shard.partName(shard.index()), e.statusCode(), e.code(), later);
            }
        }
        Summary summary = new Summary(due.size(), submitted, progressed, ended, conflicts, errors);
        metrics.pollCycle(Duration.between(now, clock.instant()).toMillis(), oldestInFlight);
        if (!due.isEmpty()) {
            LOG.log(Level.INFO, "poll: {0}", summary);
        }
        return summary;
    }

    private enum Step { PROGRESSED, ENDED, CONFLICT }

    private void stuck(Shard shard, String reason, Instant now) {
        LOG.log(Level.ERROR, "job {0} shard {1}: stuck: {2}", shard.jobId(), Shard.partName(shard.index()), reason);
        store.flagStuck(shard.jobId(), shard.index(), reason, now);
        metrics.shardStuck(shard.provider());
    }

    private Step follow(Shard shard) {
        BatchView view = providers.get(shard.provider()).retrieve(shard.batchId());
        Instant now = clock.instant();
        if (view.state().terminal()) {
            // Due again after the grace only if complete has not moved it on by then (COMPLETED clears it).
            Shard ended = shard.ended(view.providerStatus(), view.counts(), view.outputFileId(), view.errorFileId(),
                    view.error(), now).withDue(now.plus(settings.completeGrace()));
            if (store.updateShard(shard, ended).isEmpty()) {
                return Step.CONFLICT;
            }
            LOG.log(Level.INFO, "job {0} shard {1}: batch {2} ended as {3} ({4})", shard.jobId(),
                    Shard.partName(shard.index()), shard.batchId(), view.providerStatus(), view.counts());
            metrics.batchEnded(shard.provider(), view.state() == BatchState.FAILED, view.state() == BatchState.EXPIRED);
            return Step.ENDED;
        }
        if (shard.submittedAt() != null && shard.submittedAt().plus(settings.stuckAfter()).isBefore(now)) {
            stuck(shard, "batch " + shard.batchId() + " still " + view.providerStatus() + " "
                    + Duration.between(shard.submittedAt(), now).toHours() + " h after submission", now);
        }
        Shard next = shard.polled(view.providerStatus(), view.counts(),
                now.plus(settings.pollDelay(shard.pollCount() + 1)));
        return store.updateShard(shard, next).isPresent() ? Step.PROGRESSED : Step.CONFLICT;
    }
}
