package dev.batchlane.core.poll;

import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.AdmissionBudget;
import dev.batchlane.core.lane.Deadline;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.lane.ShardSubmitter;
import dev.batchlane.core.storage.ObjectStore;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One poll cycle: reads a page of the shards that are due from the sparse due-index (never a scan),
 * asks each one's provider where its batch is, a few shards at once on a bounded pool, and records
 * what changed with a version-checked write. A cycle's DynamoDB and provider calls grow with its
 * due shards only: each job record is read once per cycle however many of its shards are due. Two
 * overlapping cycles may read the same shard; only one of their writes lands, the other sees the
 * conflict and leaves the shard alone.
 */
public final class PollService {
    private static final System.Logger LOG = System.getLogger(PollService.class.getName());

    private final JobStore store;
    private final Providers providers;
    private final ShardSubmitter submitter;
    private final AdmissionBudget budget;
    private final LaneSettings settings;
    private final Clock clock;

    private final LaneMetrics metrics;
    private final PollSettings poll;

    private final ShardTroubles troubles;
    private final BatchFollower follower;
    private final CompleteHandOver handOver;
    private final StagingRefresh staging;

    /** Requeues for the provider's queue after which a shard is flagged stuck (it keeps trying). */
    static final int REQUEUES_BEFORE_STUCK = Requeue.REQUEUES_BEFORE_STUCK;

    /** How long the dispatcher waits for a free thread before it looks at the deadline again. */
    private static final Duration SLOT_WAIT = Duration.ofMillis(100);

    private static final ThreadFactory THREADS =
            new ThreadFactory() {
                private final AtomicInteger n = new AtomicInteger();

                @Override
                public Thread newThread(Runnable r) {
                    Thread t = new Thread(r, "batchlane-poll-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }
            };

    public PollService(
            JobStore store,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            Clock clock) {
        this(store, objects, providers, settings, clock, LaneMetrics.NONE);
    }

    public PollService(
            JobStore store,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            Clock clock,
            LaneMetrics metrics) {
        this(store, objects, providers, settings, PollSettings.defaults(), clock, metrics);
    }

    public PollService(
            JobStore store,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            PollSettings poll,
            Clock clock,
            LaneMetrics metrics) {
        this.poll = poll;
        this.store = store;
        this.providers = providers;
        this.settings = settings;
        this.clock = clock;
        this.metrics = metrics;
        this.submitter = new ShardSubmitter(store, objects, providers, settings, clock, metrics);
        this.budget = new AdmissionBudget(store, settings.admission());
        this.troubles = new ShardTroubles(store, settings, clock, metrics);
        this.follower =
                new BatchFollower(store, providers, budget, settings, clock, metrics, troubles);
        this.handOver = new CompleteHandOver(store, settings, troubles);
        this.staging = new StagingRefresh(settings.stagingLifetime(), objects);
    }

    /**
     * What one cycle did. {@code deferred}: due shards it left due for the next cycle (the deadline
     * was near, or the cycle's submissions were used up); {@code unfinished}: shards still being
     * handled when the deadline came (their writes are conditional, so whoever comes next is safe).
     */
    public record Summary(
            int due,
            int submitted,
            int progressed,
            int ended,
            int conflicts,
            int errors,
            int deferred,
            int unfinished) {
        public static Summary empty() {
            return new Summary(0, 0, 0, 0, 0, 0, 0, 0);
        }
    }

    /** One cycle to its end, whatever time it takes: tests and tools. */
    public Summary pollDue() {
        return pollDue(Deadline.none());
    }

    /**
     * One cycle within {@code deadline}: reads a page of due shards and hands them to a bounded
     * pool, oldest first, claiming each only while more than the claim margin is left; what it does
     * not claim stays due. A failure on one shard is logged, pushes that shard's next poll out, and
     * the cycle goes on with the others.
     */
    public Summary pollDue(Deadline deadline) {
        Instant now = clock.instant();
        if (!deadline.allows(clock, poll.claimMargin())) {
            LOG.log(
                    Level.WARNING,
                    "poll: {0} left, less than the claim margin {1}; nothing claimed",
                    deadline.remaining(clock),
                    poll.claimMargin());
            return Summary.empty();
        }
        List<Shard> due = new ArrayList<>(store.dueShards(now, settings.pollBatchSize()));
        // Shards waiting for a provider's queue take their turn in the order they began waiting, so
        // a
        // shard that waited long is not overtaken by one that began waiting later.
        due.sort(
                java.util.Comparator.comparing(
                        s ->
                                s.status() == ShardStatus.STAGED && s.queueWait().since() != null
                                        ? s.queueWait().since()
                                        : s.timeline().dueAt() == null
                                                ? now
                                                : s.timeline().dueAt()));
        long oldestInFlight =
                due.stream()
                        .filter(
                                s ->
                                        s.status() == ShardStatus.SUBMITTED
                                                && s.timeline().submittedAt() != null)
                        .mapToLong(
                                s -> Duration.between(s.timeline().submittedAt(), now).toSeconds())
                        .max()
                        .orElse(0);
        PollCycle cycle = new PollCycle(store);
        Map<PollStep, Integer> counts = new EnumMap<>(PollStep.class);
        List<Future<PollStep>> claimed = new ArrayList<>();
        int deferred = 0;
        int unfinished = 0;
        int submissions = 0;
        if (!due.isEmpty()) {
            ExecutorService pool =
                    Executors.newFixedThreadPool(Math.min(poll.parallelism(), due.size()), THREADS);
            Semaphore slots = new Semaphore(poll.parallelism());
            try {
                for (int i = 0; i < due.size(); i++) {
                    Shard shard = due.get(i);
                    boolean submission = shard.status() == ShardStatus.STAGED;
                    boolean overCap = submission && submissions >= poll.maxSubmissionsPerCycle();
                    if (!takeSlot(slots, deadline)) {
                        deferred += due.size() - i;
                        LOG.log(
                                Level.INFO,
                                "poll: {0} left before the deadline; {1} due shards left for the next"
                                        + " cycle",
                                deadline.remaining(clock),
                                due.size() - i);
                        break;
                    }
                    if (submission && !overCap) {
                        submissions++;
                    }
                    claimed.add(
                            pool.submit(
                                    () -> {
                                        try {
                                            return overCap ? putBack(shard) : handle(shard, cycle);
                                        } finally {
                                            slots.release();
                                        }
                                    }));
                }
            } finally {
                pool.shutdown();
            }
            for (Future<PollStep> f : claimed) {
                PollStep step = await(f, deadline);
                if (step == null) {
                    unfinished++;
                } else {
                    counts.merge(step, 1, Integer::sum);
                }
            }
        }
        Summary summary =
                new Summary(
                        due.size(),
                        counts.getOrDefault(PollStep.SUBMITTED, 0),
                        counts.getOrDefault(PollStep.PROGRESSED, 0),
                        counts.getOrDefault(PollStep.ENDED, 0),
                        counts.getOrDefault(PollStep.CONFLICT, 0),
                        counts.getOrDefault(PollStep.ERROR, 0),
                        deferred + counts.getOrDefault(PollStep.DEFERRED, 0),
                        unfinished);
        metrics.pollCycle(Duration.between(now, clock.instant()).toMillis(), oldestInFlight);
        if (!due.isEmpty()) {
            LOG.log(Level.INFO, "poll: {0}", summary);
        }
        return summary;
    }

    /** Waits for a free thread, then says whether there is still time to claim a shard on it. */
    private boolean takeSlot(Semaphore slots, Deadline deadline) {
        try {
            while (!slots.tryAcquire(SLOT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                if (!deadline.allows(clock, poll.claimMargin())) {
                    return false;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        if (deadline.allows(clock, poll.claimMargin())) {
            return true;
        }
        slots.release();
        return false;
    }

    /** A claimed shard's step, or null when it is still being handled at the deadline. */
    private PollStep await(Future<PollStep> f, Deadline deadline) {
        try {
            if (deadline.at().equals(Instant.MAX)) {
                return f.get();
            }
            return f.get(Math.max(0, deadline.remaining(clock).toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException e) {
            // handle() catches every RuntimeException; this is an Error on a pool thread.
            LOG.log(Level.ERROR, "poll: a shard failed outside its own handling", e.getCause());
            return PollStep.ERROR;
        }
    }

    /**
     * A held-back shard over this cycle's submissions: moved to the back of the due queue (due now,
     * behind the shards that were due before it) so a backlog of them cannot crowd out the
     * submitted shards behind it, and submitted by a later cycle.
     */
    private PollStep putBack(Shard shard) {
        try {
            store.updateShard(shard, shard.withDue(clock.instant()));
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    () ->
                            "job "
                                    + shard.jobId()
                                    + " shard "
                                    + Shard.partName(shard.index())
                                    + ": could not move it back in the due queue ("
                                    + e.getClass().getSimpleName()
                                    + ")",
                    e);
        }
        return PollStep.DEFERRED;
    }

    private PollStep handle(Shard shard, PollCycle cycle) {
        Instant now = clock.instant();
        staging.keepAlive(shard, cycle, now);
        try {
            switch (shard.status()) {
                case STAGED -> {
                    Optional<Job> job = cycle.job(shard.jobId());
                    if (job.isEmpty()) {
                        throw new IllegalStateException(
                                "shard " + shard.id() + " has no job record");
                    }
                    ShardSubmitter.SubmitOutcome r =
                            submitter.submit(job.get(), shard, cycle.blockedPools);
                    if (r == ShardSubmitter.SubmitOutcome.SUBMITTED) {
                        return PollStep.SUBMITTED;
                    }
                    return r == ShardSubmitter.SubmitOutcome.CLAIMED_ELSEWHERE
                            ? PollStep.CONFLICT
                            : PollStep.OTHER;
                }
                case SUBMITTED -> {
                    if (shard.redriveInterrupted()) {
                        // The first half of a re-drive landed and the second did not: finish it.
                        return store.updateShard(
                                                shard,
                                                shard.redriven(now.plus(settings.completeGrace())))
                                        .isPresent()
                                ? PollStep.OTHER
                                : PollStep.CONFLICT;
                    }
                    return follower.follow(shard, cycle);
                }
                case ENDED -> {
                    return handOver.redrive(shard, now);
                }
                case SUBMITTING -> {
                    // The submitter claimed it and died (its claim outlived the grace): the
                    // creation it
                    // was making may or may not have taken effect. Back to STAGED with that attempt
                    // written (inferred from the claim for shards recorded before attempts were),
                    // so
                    // the submission below looks for what it made before making anything again.
                    CreationAttempt attempt =
                            shard.attempt() != null
                                    ? shard.attempt()
                                    : new CreationAttempt(
                                            shard.batch().inputFileId() == null
                                                    ? CreationAttempt.Step.UPLOAD
                                                    : CreationAttempt.Step.CREATE,
                                            shard.timeline().dueAt() == null
                                                    ? now
                                                    : shard.timeline()
                                                            .dueAt()
                                                            .minus(settings.completeGrace()));
                    Optional<Shard> back =
                            store.updateShard(
                                    shard,
                                    shard.withStatus(ShardStatus.STAGED)
                                            .withAttempt(attempt)
                                            .withDue(now));
                    if (back.isEmpty()) {
                        return PollStep.CONFLICT;
                    }
                    LOG.log(
                            Level.WARNING,
                            "job {0} shard {1}: submission interrupted after {2}; reconciling its {3}"
                                    + " attempt of {4}",
                            shard.jobId(),
                            Shard.partName(shard.index()),
                            settings.completeGrace(),
                            attempt.step(),
                            attempt.at());
                    Optional<Job> job = cycle.job(shard.jobId());
                    if (job.isEmpty()) {
                        throw new IllegalStateException(
                                "shard " + shard.id() + " has no job record");
                    }
                    ShardSubmitter.SubmitOutcome r =
                            submitter.submit(job.get(), back.get(), cycle.blockedPools);
                    return r == ShardSubmitter.SubmitOutcome.SUBMITTED
                            ? PollStep.SUBMITTED
                            : PollStep.OTHER;
                }
                case COMPLETED -> {
                    return handOver.finishIfForgotten(shard, cycle, now);
                }
                default ->
                        throw new IllegalStateException(
                                "shard " + shard.id() + " in unknown status " + shard.status());
            }
        } catch (RuntimeException e) {
            return troubles.failed(shard, e);
        }
    }
}
