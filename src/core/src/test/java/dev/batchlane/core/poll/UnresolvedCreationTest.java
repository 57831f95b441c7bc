package dev.batchlane.core.poll;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.cancel.CancelService;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.AdmissionBudget;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.lane.ShardSubmitter;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.testkit.InMemoryJobStore;
import dev.batchlane.core.testkit.ScriptedProvider;
import dev.batchlane.core.testkit.TestClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A creation whose answer was lost, met by the lane's other paths: a cancel (the batch it made is
 * found and cancelled, never left running unseen; every shard that ends gives its admission back),
 * another job's batch (never taken, whatever it holds), and a look-up that cannot decide (flagged
 * after a bound, nothing created meanwhile). An in-memory store and a provider that keeps what it
 * made and matches by content only, as Anthropic's look-up does.
 */
class UnresolvedCreationTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final String POOL = "lost/m";
    private static final LaneSettings LANE =
            new LaneSettings(
                            ScriptedProvider.LIMITS,
                            Duration.ofMinutes(1),
                            Duration.ofMinutes(30),
                            200,
                            Path.of("/tmp"))
                    .withAdmission(
                            new AdmissionBudget.Settings(
                                    Map.of(POOL, 1_000_000L), 0, Duration.ofHours(26)));

    private final TestClock clock = new TestClock(T0);
    private final InMemoryJobStore store = new InMemoryJobStore();
    private final LostProvider provider = new LostProvider();
    private final Providers providers = new Providers(List.of(provider));
    private final ShardSubmitter submitter =
            new ShardSubmitter(
                    store, ReconcileAndQueueTest.OBJECTS, providers, LANE, clock, LaneMetrics.NONE);
    private final CancelService cancel =
            new CancelService(
                    store, ReconcileAndQueueTest.OBJECTS, providers, LANE, clock, LaneMetrics.NONE);

    private Job job(String id) {
        return job(id, "lost");
    }

    private Job job(String id, String providerName) {
        Job j =
                Job.builder(id, providerName)
                        .status(JobStatus.RUNNING)
                        .input("b", "inbox/" + providerName + "/" + id + ".jsonl", "etag")
                        .name(id)
                        .sha256("sha")
                        .inputBytes(10)
                        .requestCount(10)
                        .shardCount(1)
                        .model("m")
                        .endpoint("/v1/chat/completions")
                        .createdAt(T0)
                        .submittedAt(T0)
                        .estimatedCostUsd("0.1")
                        .budgetUsd("5")
                        .build();
        store.createJob(j);
        store.createShard(
                Shard.staged(id, 1, providerName, "staging/" + id + "/1", 10, 100, 0, T0)
                        .withInputTokens(500));
        return j;
    }

    private Shard shard(String jobId) {
        return store.shard(jobId, 1).orElseThrow();
    }

    private boolean admitted(String jobId) {
        return store.pool(POOL).held().containsKey(shard(jobId).id());
    }

    @Test
    void cancelDuringAnUnresolvedCreate_findsItsBatch_cancelsItAtTheProvider_andFollowsIt() {
        Job job = job("j");
        provider.loseNextAnswer = true;
        assertThat(submitter.submit(job, shard("j")))
                .isEqualTo(ShardSubmitter.SubmitOutcome.HELD_BACK);
        String made = provider.batches.keySet().iterator().next();
        assertThat(shard("j").attempt()).isNotNull();

        CancelService.Cancellation c = cancel.cancel("j");

        assertThat(provider.cancels)
                .as("the batch the unanswered create made is cancelled, not left running")
                .containsExactly(made);
        assertThat(c.batchesCancelled()).isEqualTo(1);
        Shard s = shard("j");
        assertThat(s.status()).isEqualTo(ShardStatus.SUBMITTED);
        assertThat(s.batch().batchId()).isEqualTo(made);
        assertThat(provider.batches).as("nothing created for the cancel").hasSize(1);
        assertThat(store.batchOwner("lost", made))
                .contains(new dev.batchlane.core.job.BatchRegistry.BatchOwner("j", 1));

        clock.advance(Duration.ofMinutes(5));
        new PollService(store, ReconcileAndQueueTest.OBJECTS, providers, LANE, clock).pollDue();
        assertThat(shard("j").status()).isEqualTo(ShardStatus.ENDED);
        assertThat(shard("j").batch().batchState()).isEqualTo(BatchState.CANCELLED);
        assertThat(admitted("j")).as("admission released once its batch ended").isFalse();
    }

    /**
     * Bedrock's creating calls are idempotent, so its look-up answers "nothing" without looking:
     * made again, a call answers what the lost one made. A cancel must not read that "nothing" as
     * "nothing was made" and end the shard unsent, leaving the upload (or a running batch) behind.
     */
    @Test
    void
            cancelDuringAnUnresolvedUpload_atAnIdempotentProvider_recordsTheUploadSoCleanupRemovesIt() {
        IdempotentProvider same = new IdempotentProvider();
        Providers both = new Providers(List.of(provider, same));
        ShardSubmitter submitter =
                new ShardSubmitter(
                        store, ReconcileAndQueueTest.OBJECTS, both, LANE, clock, LaneMetrics.NONE);
        Job job = job("j", "same");
        same.loseNextUpload = true;
        assertThat(submitter.submit(job, shard("j")))
                .isEqualTo(ShardSubmitter.SubmitOutcome.HELD_BACK);
        assertThat(same.files).as("the lost upload was made").hasSize(1);

        new CancelService(store, ReconcileAndQueueTest.OBJECTS, both, LANE, clock, LaneMetrics.NONE)
                .cancel("j");

        Shard s = shard("j");
        assertThat(s.status()).isEqualTo(ShardStatus.ENDED);
        assertThat(s.batch().inputFileId())
                .as("the upload is on record, so the job's cleanup deletes it")
                .isEqualTo(same.files.get(0));
        assertThat(same.jobs).as("no batch made for a cancelled job").isEmpty();
    }

    @Test
    void cancelDuringAnUnresolvedCreate_atAnIdempotentProvider_cancelsTheBatchTheLostCallMade() {
        IdempotentProvider same = new IdempotentProvider();
        Providers both = new Providers(List.of(provider, same));
        ShardSubmitter submitter =
                new ShardSubmitter(
                        store, ReconcileAndQueueTest.OBJECTS, both, LANE, clock, LaneMetrics.NONE);
        Job job = job("j", "same");
        same.loseNextCreate = true;
        assertThat(submitter.submit(job, shard("j")))
                .isEqualTo(ShardSubmitter.SubmitOutcome.HELD_BACK);
        String made = same.jobs.values().iterator().next();

        new CancelService(store, ReconcileAndQueueTest.OBJECTS, both, LANE, clock, LaneMetrics.NONE)
                .cancel("j");

        assertThat(same.jobs).as("the create made again answered the same batch").hasSize(1);
        assertThat(same.cancels).containsExactly(made);
        assertThat(shard("j").batch().batchId()).isEqualTo(made);
    }

    @Test
    void cancelDuringAnUnresolvedCreateThatMadeNothing_endsTheShard_andReleasesItsAdmission() {
        Job job = job("j");
        provider.failNextBeforeActing = true;
        assertThat(submitter.submit(job, shard("j")))
                .isEqualTo(ShardSubmitter.SubmitOutcome.HELD_BACK);
        assertThat(admitted("j")).as("held while the create may have taken effect").isTrue();

        CancelService.Cancellation c = cancel.cancel("j");

        assertThat(c.stagedEnded()).isEqualTo(1);
        assertThat(shard("j").status()).isEqualTo(ShardStatus.ENDED);
        assertThat(shard("j").batch().batchState()).isEqualTo(BatchState.CANCELLED);
        assertThat(provider.lookups).as("looked before ending it").isEqualTo(1);
        assertThat(provider.batches).isEmpty();
        assertThat(admitted("j"))
                .as("a shard ended by a cancel gives its admission back")
                .isFalse();
    }

    @Test
    void cancelWhileTheProviderCannotYetSay_keepsTheAttempt_andCancelsWhatItMadeOnceKnown() {
        Job job = job("j");
        provider.loseNextAnswer = true;
        submitter.submit(job, shard("j"));
        String made = provider.batches.keySet().iterator().next();
        provider.undecided = true;

        cancel.cancel("j");
        assertThat(shard("j").status())
                .as("not ended while its batch may be running")
                .isEqualTo(ShardStatus.STAGED);
        assertThat(shard("j").attempt()).isNotNull();
        assertThat(provider.cancels).isEmpty();

        provider.undecided = false;
        clock.advance(Duration.ofMinutes(10));
        new PollService(store, ReconcileAndQueueTest.OBJECTS, providers, LANE, clock).pollDue();
        assertThat(provider.cancels).containsExactly(made);
        assertThat(shard("j").batch().batchId()).isEqualTo(made);
        assertThat(provider.batches).hasSize(1);
    }

    @Test
    void anotherJobsBatch_recordedByTheLane_isNeverAdopted_evenWhenItHoldsTheSameRequests() {
        Job a = job("a");
        assertThat(submitter.submit(a, shard("a")))
                .isEqualTo(ShardSubmitter.SubmitOutcome.SUBMITTED);
        String theirs = shard("a").batch().batchId();

        Job b = job("b");
        provider.failNextBeforeActing = true;
        assertThat(submitter.submit(b, shard("b")))
                .isEqualTo(ShardSubmitter.SubmitOutcome.HELD_BACK);
        clock.advance(Duration.ofMinutes(2));
        assertThat(submitter.submit(b, shard("b")))
                .isEqualTo(ShardSubmitter.SubmitOutcome.SUBMITTED);

        assertThat(shard("b").batch().batchId())
                .as("job b took job a's batch, which holds requests of the same ids")
                .isNotEqualTo(theirs);
        assertThat(provider.batches).hasSize(2);
    }

    /**
     * Two look-ups can find the same batch at once (each before the other recorded it): the
     * registry's conditional write lets one shard hold it; the other is held back, creates nothing,
     * and looks again.
     */
    @Test
    void aFoundBatchAnotherShardRecordedFirst_isNotAdopted_theShardWaitsAndLooksAgain() {
        Job a = job("a");
        submitter.submit(a, shard("a"));
        String theirs = shard("a").batch().batchId();
        Job b = job("b");
        provider.failNextBeforeActing = true;
        submitter.submit(b, shard("b"));
        provider.ignoreTaken = true; // answers job a's batch, as a look-up racing a's record would

        assertThat(submitter.submit(b, shard("b")))
                .isEqualTo(ShardSubmitter.SubmitOutcome.HELD_BACK);
        assertThat(shard("b").batch().batchId()).isNull();
        assertThat(shard("b").status()).isEqualTo(ShardStatus.STAGED);
        assertThat(shard("b").attempt()).isNotNull();
        assertThat(store.batchOwner("lost", theirs))
                .contains(new dev.batchlane.core.job.BatchRegistry.BatchOwner("a", 1));
        assertThat(provider.batches).hasSize(1);
    }

    @Test
    void aCreationThatStaysUndecided_isFlaggedStuckAfterTheBound_andNothingIsCreated() {
        Job job = job("j");
        provider.loseNextAnswer = true;
        submitter.submit(job, shard("j"));
        provider.undecided = true;
        PollService poll =
                new PollService(store, ReconcileAndQueueTest.OBJECTS, providers, LANE, clock);

        clock.advance(Duration.ofHours(2));
        poll.pollDue();
        // The lost answer's hold is counted, but one hold is not stuck.
        assertThat(stuck(shard("j"))).as("not yet").isFalse();

        for (int i = 0; i < 30 && !stuck(shard("j")); i++) {
            clock.advance(Duration.ofHours(1));
            poll.pollDue();
        }
        Shard s = shard("j");
        assertThat(s.trouble()).as("flagged once the attempt is older than stuckAfter").isNotNull();
        assertThat(s.trouble().isStuck()).isTrue();
        assertThat(s.trouble().stuck()).contains("undecided").contains("attempted at " + T0);
        assertThat(clock.instant()).isAfterOrEqualTo(T0.plus(LANE.stuckAfter()));
        assertThat(s.status()).isEqualTo(ShardStatus.STAGED);
        assertThat(s.attempt()).isNotNull();
        assertThat(provider.batches).as("nothing created while undecided").hasSize(1);
    }

    /**
     * Finds a batch by its request count only and honours {@link CreationQuery#taken}: what a
     * look-up by content can do when ids are reused across jobs.
     */
    static final class LostProvider implements BatchProvider {
        final Map<String, Long> batches = new LinkedHashMap<>();
        final List<String> cancels = new ArrayList<>();
        volatile boolean loseNextAnswer;
        volatile boolean failNextBeforeActing;
        volatile boolean undecided;
        volatile boolean ignoreTaken;
        int lookups;

        @Override
        public String name() {
            return "lost";
        }

        @Override
        public java.util.Optional<java.time.Duration> inputFileLifetime() {
            return java.util.Optional.empty();
        }

        @Override
        public IngestLimits limits() {
            throw new UnsupportedOperationException("these tests cut no shards");
        }

        @Override
        public RequestContract contract() {
            throw new UnsupportedOperationException();
        }

        @Override
        public synchronized Submission submit(
                Payload payload, String endpoint, Map<String, String> metadata) {
            if (failNextBeforeActing) {
                failNextBeforeActing = false;
                throw new ProviderException("500", 500, "api_error", true, null);
            }
            String id = "batch-" + (batches.size() + 1);
            batches.put(id, 10L);
            if (loseNextAnswer) {
                loseNextAnswer = false;
                throw new ProviderException("reset", 0, "io_error", true, null);
            }
            return Submission.batch(id, null, BatchState.RUNNING, "in_progress");
        }

        @Override
        public synchronized Reconciliation findCreated(CreationQuery q) {
            lookups++;
            if (undecided) {
                return Reconciliation.undecided("a candidate still runs");
            }
            for (var b : batches.entrySet()) {
                if (b.getValue() == q.requestCount() && (ignoreTaken || !q.taken(b.getKey()))) {
                    return Reconciliation.batch(b.getKey(), null, "ended", "same count");
                }
            }
            return Reconciliation.nothing("none");
        }

        @Override
        public synchronized void cancel(String batchId) {
            cancels.add(batchId);
        }

        @Override
        public synchronized BatchView retrieve(String batchId) {
            boolean cancelled = cancels.contains(batchId);
            return new BatchView(
                    batchId,
                    cancelled ? BatchState.CANCELLED : BatchState.RUNNING,
                    cancelled ? "ended" : "in_progress",
                    new BatchCounts(10, 0, 0),
                    cancelled ? batchId : null,
                    null,
                    null);
        }

        @Override
        public void streamResults(BatchView batch, Consumer<LineResult> sink) {}

        @Override
        public void cleanup(String inputFileId, String outputFileId, String errorFileId) {}
    }

    /**
     * Creating calls keyed by what they create, as Bedrock's are: the upload writes a key fixed by
     * the payload's name, the create takes a token fixed by it and answers the batch it already
     * made. Either can act and lose its answer.
     */
    static final class IdempotentProvider implements BatchProvider {
        final List<String> files = new ArrayList<>();
        final Map<String, String> jobs = new LinkedHashMap<>();
        final List<String> cancels = new ArrayList<>();
        volatile boolean loseNextUpload;
        volatile boolean loseNextCreate;

        @Override
        public String name() {
            return "same";
        }

        @Override
        public java.util.Optional<java.time.Duration> inputFileLifetime() {
            return java.util.Optional.empty();
        }

        @Override
        public IngestLimits limits() {
            throw new UnsupportedOperationException("these tests cut no shards");
        }

        @Override
        public RequestContract contract() {
            throw new UnsupportedOperationException();
        }

        @Override
        public synchronized String upload(Payload payload) {
            String key = "input/" + payload.name();
            if (!files.contains(key)) {
                files.add(key);
            }
            if (loseNextUpload) {
                loseNextUpload = false;
                throw new ProviderException("reset", 0, "io_error", true, null);
            }
            return key;
        }

        @Override
        public synchronized Submission create(
                String inputFileId,
                Payload payload,
                String endpoint,
                Map<String, String> metadata) {
            String id = jobs.computeIfAbsent(payload.name(), n -> "job-" + (jobs.size() + 1));
            if (loseNextCreate) {
                loseNextCreate = false;
                throw new ProviderException("reset", 0, "io_error", true, null);
            }
            return Submission.batch(id, inputFileId, BatchState.RUNNING, "InProgress");
        }

        @Override
        public Submission submit(Payload payload, String endpoint, Map<String, String> metadata) {
            return create(upload(payload), payload, endpoint, metadata);
        }

        @Override
        public boolean creationIsIdempotent() {
            return true;
        }

        @Override
        public Reconciliation findCreated(CreationQuery q) {
            return Reconciliation.nothing("idempotent: made again, a call answers what it made");
        }

        @Override
        public synchronized void cancel(String batchId) {
            cancels.add(batchId);
        }

        @Override
        public BatchView retrieve(String batchId) {
            return new BatchView(
                    batchId,
                    BatchState.RUNNING,
                    "InProgress",
                    new BatchCounts(10, 0, 0),
                    null,
                    null,
                    null);
        }

        @Override
        public void streamResults(BatchView batch, Consumer<LineResult> sink) {}

        @Override
        public void cleanup(String inputFileId, String outputFileId, String errorFileId) {}
    }

    private static boolean stuck(Shard s) {
        return s.trouble() != null && s.trouble().isStuck();
    }
}
