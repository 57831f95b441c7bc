package dev.batchlane.core.poll;

import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.job.ShardTrouble;
import dev.batchlane.core.lane.AdmissionBudget;
import dev.batchlane.core.lane.Deadline;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.lane.ShardSubmitter;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.ProviderException;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
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
                                        : s.dueAt() == null ? now : s.dueAt()));
        long oldestInFlight =
                due.stream()
                        .filter(s -> s.status() == ShardStatus.SUBMITTED && s.submittedAt() != null)
                        .mapToLong(s -> Duration.between(s.submittedAt(), now).toSeconds())
                        .max()
                        .orElse(0);
        Cycle cycle = new Cycle();
        Map<Step, Integer> counts = new EnumMap<>(Step.class);
        List<Future<Step>> claimed = new ArrayList<>();
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
            for (Future<Step> f : claimed) {
                Step step = await(f, deadline);
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
                        counts.getOrDefault(Step.SUBMITTED, 0),
                        counts.getOrDefault(Step.PROGRESSED, 0),
                        counts.getOrDefault(Step.ENDED, 0),
                        counts.getOrDefault(Step.CONFLICT, 0),
                        counts.getOrDefault(Step.ERROR, 0),
                        deferred + counts.getOrDefault(Step.DEFERRED, 0),
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
    private Step await(Future<Step> f, Deadline deadline) {
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
            return Step.ERROR;
        }
    }

    /**
     * A held-back shard over this cycle's submissions: moved to the back of the due queue (due now,
     * behind the shards that were due before it) so a backlog of them cannot crowd out the
     * submitted shards behind it, and submitted by a later cycle.
     */
    private Step putBack(Shard shard) {
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
        return Step.DEFERRED;
    }

    private Step handle(Shard shard, Cycle cycle) {
        Instant now = clock.instant();
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
                        return Step.SUBMITTED;
                    }
                    return r == ShardSubmitter.SubmitOutcome.CLAIMED_ELSEWHERE
                            ? Step.CONFLICT
                            : Step.OTHER;
                }
                case SUBMITTED -> {
                    if (shard.redriveInterrupted()) {
                        // The first half of a re-drive landed and the second did not: finish it.
                        return store.updateShard(
                                                shard,
                                                shard.redriven(now.plus(settings.completeGrace())))
                                        .isPresent()
                                ? Step.OTHER
                                : Step.CONFLICT;
                    }
                    return follow(shard, cycle);
                }
                case ENDED -> {
                    return redrive(shard, now);
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
                                            shard.inputFileId() == null
                                                    ? CreationAttempt.Step.UPLOAD
                                                    : CreationAttempt.Step.CREATE,
                                            shard.dueAt() == null
                                                    ? now
                                                    : shard.dueAt()
                                                            .minus(settings.completeGrace()));
                    Optional<Shard> back =
                            store.updateShard(
                                    shard,
                                    shard.withStatus(ShardStatus.STAGED)
                                            .withAttempt(attempt)
                                            .withDue(now));
                    if (back.isEmpty()) {
                        return Step.CONFLICT;
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
                            ? Step.SUBMITTED
                            : Step.OTHER;
                }
                case COMPLETED -> {
                    return finishIfForgotten(shard, cycle, now);
                }
                default ->
                        throw new IllegalStateException(
                                "shard " + shard.id() + " in unknown status " + shard.status());
            }
        } catch (RuntimeException e) {
            return failed(shard, e);
        }
    }

    /**
     * Whatever went wrong with this one shard — no job record, a storage error, a provider answer
     * that could not be read — is recorded on the shard and pushes its next poll out, growing with
     * each failure in a row; the cycle goes on with the others. After a few failures in a row the
     * shard counts as stuck (see {@link ShardTrouble#STUCK_AFTER_FAILURES}); its next good step
     * clears that.
     */
    private Step failed(Shard shard, RuntimeException e) {
        Instant now = clock.instant();
        int failures = shard.trouble() == null ? 1 : shard.trouble().failures() + 1;
        Instant later = now.plus(settings.pollDelay(Math.max(shard.pollCount(), failures)));
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
        return Step.ERROR;
    }

    /**
     * An ENDED shard still not completed when its grace ran out (complete never ran, its retries
     * were used up, or it keeps failing): flagged stuck and handed to complete again, unless a
     * complete invocation holds a live claim on it — then it is left to that one until the claim's
     * lease is over. The stream delivers a shard only when it moves into ENDED, so the hand-over is
     * two writes: out of ENDED and back in.
     */
    private Step redrive(Shard shard, Instant now) {
        if (shard.claimLive(now)) {
            return store.updateShard(
                                    shard,
                                    shard.withDue(shard.claimedAt().plus(Shard.COMPLETE_LEASE)))
                            .isPresent()
                    ? Step.OTHER
                    : Step.CONFLICT;
        }
        Shard flagged =
                stuck(
                        shard,
                        "ended at "
                                + shard.endedAt()
                                + " but not completed within "
                                + settings.completeGrace()
                                + "; handed to complete again",
                        now);
        Optional<Shard> out = store.updateShard(shard, flagged.redriving(now));
        if (out.isEmpty()) {
            return Step.CONFLICT;
        }
        return store.updateShard(out.get(), out.get().redriven(now.plus(settings.completeGrace())))
                        .isPresent()
                ? Step.REDRIVEN
                : Step.CONFLICT;
    }

    /**
     * A COMPLETED shard left due by complete: its job could not be finished then (it was not marked
     * running yet, or the finish failed). If every shard is completed and the job is still running,
     * the finish is asked for again; otherwise there is nothing for poll to do and the due time is
     * cleared.
     */
    private Step finishIfForgotten(Shard shard, Cycle cycle, Instant now) {
        Optional<Job> job = cycle.job(shard.jobId());
        if (job.isPresent()
                && job.get().status() == dev.batchlane.core.job.JobStatus.RUNNING
                && job.get().allShardsCompleted()) {
            LOG.log(
                    Level.WARNING,
                    "job {0}: every shard is completed but the job is not; asking complete to"
                            + " finish it",
                    shard.jobId());
            store.requestFinish(shard.jobId(), now);
            return store.updateShard(shard, shard.withDue(now.plus(settings.completeGrace())))
                            .isPresent()
                    ? Step.REDRIVEN
                    : Step.CONFLICT;
        }
        if (job.isPresent() && job.get().status() == dev.batchlane.core.job.JobStatus.INGESTING) {
            return store.updateShard(shard, shard.withDue(now.plus(settings.completeGrace())))
                            .isPresent()
                    ? Step.OTHER
                    : Step.CONFLICT;
        }
        return store.updateShard(shard, shard.withDue(null)).isPresent()
                ? Step.OTHER
                : Step.CONFLICT;
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    /** What one cycle reads once however many of its shards need it: the job records. */
    private final class Cycle {
        private final ConcurrentHashMap<String, CompletableFuture<Optional<Job>>> jobs =
                new ConcurrentHashMap<>();

        /** Admission pools that refused a shard this cycle: later shards of them wait behind it. */
        final java.util.Set<String> blockedPools = ConcurrentHashMap.newKeySet();

        Optional<Job> job(String jobId) {
            CompletableFuture<Optional<Job>> mine = new CompletableFuture<>();
            CompletableFuture<Optional<Job>> first = jobs.putIfAbsent(jobId, mine);
            if (first == null) {
                try {
                    mine.complete(store.job(jobId));
                } catch (RuntimeException e) {
                    mine.completeExceptionally(e);
                }
                first = mine;
            }
            try {
                return first.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
    }

    private enum Step {
        SUBMITTED,
        PROGRESSED,
        ENDED,
        CONFLICT,
        ERROR,
        DEFERRED,
        REDRIVEN,
        OTHER
    }

    /** Logs and counts a stuck shard; returns it with the flag set, for the caller's own write. */
    private Shard stuck(Shard shard, String reason, Instant now) {
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
     * The provider failed the batch for its queue (OpenAI: {@code token_limit_exceeded} in the
     * batch's errors), not for its input: none of its requests ran, none is a failure. The batch is
     * forgotten, the shard goes back to STAGED with its input file, and it is submitted again with
     * backoff, its wait recorded; the limit the provider stated, if any, is learned.
     */
    /** Requeues for the provider's queue after which a shard is flagged stuck (it keeps trying). */
    static final int REQUEUES_BEFORE_STUCK = 10;

    private Step requeue(Shard shard, BatchView view, Cycle cycle, Instant now) {
        Optional<Job> owner = cycle.job(shard.jobId());
        Optional<Long> tooBig = owner.flatMap(j -> budget.neverFits(shard, j, view.busy()));
        if (tooBig.isPresent()) {
            // Alone in an empty queue it would fail the same way: end it, and say so.
            String why = AdmissionBudget.neverFitsReason(shard, tooBig.get());
            Shard ended =
                    shard.ended(
                            BatchState.FAILED,
                            "exceeds_queue_limit",
                            view.counts(),
                            view.outputFileId(),
                            view.errorFileId(),
                            why,
                            now);
            if (store.updateShard(shard, ended).isEmpty()) {
                return Step.CONFLICT;
            }
            budget.release(shard, owner.get());
            metrics.shardStuck(shard.provider());
            LOG.log(
                    Level.ERROR,
                    "job {0} shard {1}: {2}",
                    shard.jobId(),
                    Shard.partName(shard.index()),
                    why);
            return Step.OTHER;
        }
        Instant due = now.plus(settings.pollDelay(shard.queueWait().times() + 1));
        String why =
                "batch "
                        + shard.batchId()
                        + " failed for the provider's queue ("
                        + view.busy().code()
                        + ")";
        Shard requeued = shard.requeued(why, now, due);
        if (requeued.queueWait().times() == REQUEUES_BEFORE_STUCK) {
            // Still requeued, but no longer in silence: someone should look at the queue.
            requeued =
                    stuck(
                            requeued,
                            "requeued "
                                    + REQUEUES_BEFORE_STUCK
                                    + " times for the provider's queue; last: "
                                    + why,
                            now);
        }
        if (store.updateShard(shard, requeued).isEmpty()) {
            return Step.CONFLICT;
        }
        Optional<Job> job = owner;
        job.ifPresent(
                j -> {
                    budget.release(shard, j);
                    if (view.busy().statedLimit() != null) {
                        budget.learn(shard, j, view.busy().statedLimit());
                    }
                });
        LOG.log(
                Level.WARNING,
                "job {0} shard {1}: {2}; its requests are not failures: it waits and is submitted"
                        + " again after {3}",
                shard.jobId(),
                Shard.partName(shard.index()),
                why,
                Duration.between(now, due));
        return Step.OTHER;
    }

    private Step follow(Shard shard, Cycle cycle) {
        BatchProvider provider = providers.get(shard.provider());
        BatchView view = provider.retrieve(shard.batchId());
        Instant now = clock.instant();
        if (!view.state().terminal()
                && view.state() != BatchState.CANCELLING
                && cycle.job(shard.jobId()).map(Job::cancelRequested).orElse(false)) {
            // The job's cancel was asked for and this batch still runs (the cancel's own call
            // failed,
            // or the shard was being submitted then): cancel it now. It ends through poll as usual.
            try {
                provider.cancel(shard.batchId());
                LOG.log(
                        Level.INFO,
                        "job {0} shard {1}: job cancel requested; batch {2} ({3}) cancelled",
                        shard.jobId(),
                        Shard.partName(shard.index()),
                        shard.batchId(),
                        view.providerStatus());
            } catch (ProviderException | UnsupportedOperationException e) {
                LOG.log(
                        Level.WARNING,
                        "job {0} shard {1}: job cancel requested; cancelling batch {2} failed ({3});"
                                + " next poll tries again",
                        shard.jobId(),
                        Shard.partName(shard.index()),
                        shard.batchId(),
                        e.getMessage());
            }
        }
        if (view.state() == BatchState.FAILED && view.busy() != null) {
            return requeue(shard, view, cycle, now);
        }
        if (view.state().terminal()) {
            // Due again after the grace only if complete has not moved it on by then (COMPLETED
            // clears it).
            Shard ended = shard.ended(view, now).withDue(now.plus(settings.completeGrace()));
            if (store.updateShard(shard, ended).isEmpty()) {
                return Step.CONFLICT;
            }
            LOG.log(
                    Level.INFO,
                    "job {0} shard {1}: batch {2} ended as {3} ({4})",
                    shard.jobId(),
                    Shard.partName(shard.index()),
                    shard.batchId(),
                    view.providerStatus(),
                    view.counts());
            metrics.batchEnded(
                    shard.provider(),
                    view.state() == BatchState.FAILED,
                    view.state() == BatchState.EXPIRED);
            cycle.job(shard.jobId()).ifPresent(job -> budget.release(shard, job));
            return Step.ENDED;
        }
        Shard next = shard.polled(view, now.plus(settings.pollDelay(shard.pollCount() + 1)));
        if (shard.submittedAt() != null
                && shard.submittedAt().plus(settings.stuckAfter()).isBefore(now)) {
            next =
                    stuck(
                            next,
                            "batch "
                                    + shard.batchId()
                                    + " still "
                                    + view.providerStatus()
                                    + " "
                                    + Duration.between(shard.submittedAt(), now).toHours()
                                    + " h after submission",
                            now);
        }
        return store.updateShard(shard, next).isPresent() ? Step.PROGRESSED : Step.CONFLICT;
    }
}
