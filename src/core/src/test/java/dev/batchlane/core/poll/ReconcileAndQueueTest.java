package dev.batchlane.core.poll;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.job.CreationAttempt;
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
import dev.batchlane.core.provider.ProviderBusy;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.storage.ObjectStore;
import dev.batchlane.core.testkit.InMemoryJobStore;
import dev.batchlane.core.testkit.ScriptedProvider;
import dev.batchlane.core.testkit.TestClock;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Creations whose answer was lost are reconciled, never repeated blindly; provider queue limits
 * make shards wait (with their upload) rather than fail; the admission budget paces submissions. An
 * in-memory store and a provider that keeps what it made, so "made but unanswered" is real.
 */
class ReconcileAndQueueTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final LaneSettings LANE =
            new LaneSettings(
                    ScriptedProvider.LIMITS,
                    Duration.ofMinutes(1),
                    Duration.ofMinutes(30),
                    200,
                    Path.of("/tmp"));

    private final TestClock clock = new TestClock(T0);
    private final InMemoryJobStore store = new InMemoryJobStore();
    private final FileProvider provider = new FileProvider();

    private ShardSubmitter submitter(LaneSettings settings) {
        return new ShardSubmitter(
                store,
                OBJECTS,
                new Providers(List.of(provider)),
                settings,
                clock,
                LaneMetrics.NONE);
    }

    /** One shard at a time, so the order shards take their turn in is the order asserted. */
    private PollService poll(LaneSettings settings) {
        return new PollService(
                store,
                OBJECTS,
                new Providers(List.of(provider)),
                settings,
                new PollSettings(
                        1,
                        PollSettings.DEFAULT_CLAIM_MARGIN,
                        PollSettings.DEFAULT_MAX_SUBMISSIONS_PER_CYCLE),
                clock,
                LaneMetrics.NONE);
    }

    private Job job() {
        Job j =
                Job.builder("j", "files")
                        .status(JobStatus.RUNNING)
                        .input("b", "inbox/files/j.jsonl", "etag")
                        .name("j")
                        .sha256("sha")
                        .inputBytes(10)
                        .requestCount(40)
                        .shardCount(4)
                        .model("m")
                        .endpoint("/v1/chat/completions")
                        .createdAt(T0)
                        .submittedAt(T0)
                        .estimatedCostUsd("0.1")
                        .budgetUsd("5")
                        .build();
        store.createJob(j);
        return j;
    }

    private Shard staged(int index, long tokens) {
        store.createShard(
                Shard.staged("j", index, "files", "staging/j/" + index, 10, 100, 0, T0)
                        .withInputTokens(tokens));
        return store.shard("j", index).orElseThrow();
    }

    private Shard stored(int index) {
        return store.shard("j", index).orElseThrow();
    }

    @Test
    void createAnswerLost_theNextSubmissionAdoptsTheBatch_insteadOfCreatingASecond() {
        Job job = job();
        staged(1, 0);
        provider.loseNextCreate = true;

        assertThat(submitter(LANE).submit(job, stored(1)))
                .isEqualTo(ShardSubmitter.SubmitOutcome.HELD_BACK);
        Shard back = stored(1);
        assertThat(back.status()).isEqualTo(ShardStatus.STAGED);
        assertThat(back.attempt())
                .as("creation attempted, outcome unknown")
                .isNotNull()
                .extracting(CreationAttempt::step)
                .isEqualTo(CreationAttempt.Step.CREATE);
        assertThat(provider.batches).hasSize(1);

        clock.advance(Duration.ofMinutes(2));
        assertThat(submitter(LANE).submit(job, stored(1)))
                .isEqualTo(ShardSubmitter.SubmitOutcome.SUBMITTED);

        assertThat(provider.batches).as("batches created for the shard").hasSize(1);
        Shard s = stored(1);
        assertThat(s.batch().batchId()).isEqualTo(provider.batches.keySet().iterator().next());
        assertThat(s.attempt()).isNull();
        assertThat(provider.uploads).as("the upload was reused").isEqualTo(1);
    }

    @Test
    void uploadAnswerLost_theFileIsFoundAndUsed_notUploadedAgain() {
        Job job = job();
        staged(1, 0);
        provider.loseNextUpload = true;

        assertThat(submitter(LANE).submit(job, stored(1)))
                .isEqualTo(ShardSubmitter.SubmitOutcome.HELD_BACK);
        assertThat(stored(1).attempt().step()).isEqualTo(CreationAttempt.Step.UPLOAD);
        assertThat(stored(1).batch().inputFileId()).isNull();

        assertThat(submitter(LANE).submit(job, stored(1)))
                .isEqualTo(ShardSubmitter.SubmitOutcome.SUBMITTED);
        assertThat(provider.uploads).isEqualTo(1);
        assertThat(stored(1).batch().inputFileId())
                .isEqualTo(provider.files.keySet().iterator().next());
    }

    /**
     * Seen in the fault suite: the look-up after a lost create answered 429, which was taken for a
     * definite refusal of the create; the attempt was cleared and the shard created a second batch
     * (or, with the provider's queue full of its own first batch, waited for ever).
     */
    @Test
    void aLookupRefusedForNow_keepsTheAttempt_andTheNextLookupAdoptsTheBatch_noSecondCreate() {
        Job job = job();
        staged(1, 0);
        provider.loseNextCreate = true;
        assertThat(submitter(LANE).submit(job, stored(1)))
                .isEqualTo(ShardSubmitter.SubmitOutcome.HELD_BACK);
        provider.lookupFailures.add(
                new ProviderException("429 on list", 429, "rate_limit_error", true, null));

        clock.advance(Duration.ofMinutes(2));
        assertThat(submitter(LANE).submit(job, stored(1)))
                .isEqualTo(ShardSubmitter.SubmitOutcome.HELD_BACK);
        assertThat(stored(1).attempt()).as("still unknown what the create made").isNotNull();
        assertThat(stored(1).status()).isEqualTo(ShardStatus.STAGED);

        clock.advance(Duration.ofMinutes(10));
        assertThat(submitter(LANE).submit(job, stored(1)))
                .isEqualTo(ShardSubmitter.SubmitOutcome.SUBMITTED);
        assertThat(provider.batches).as("batches created for the shard").hasSize(1);
        assertThat(stored(1).batch().batchId())
                .isEqualTo(provider.batches.keySet().iterator().next());
    }

    @Test
    void definiteRefusals_clearTheAttempt_aRateLimitWaits_aBadRequestRejects() {
        Job job = job();
        staged(1, 0);
        staged(2, 0);
        provider.createFailures.add(
                new ProviderException("429", 429, "rate_limit_exceeded", true, null));
        provider.createFailures.add(
                new ProviderException("400", 400, "invalid_request_error", false, null));

        assertThat(submitter(LANE).submit(job, stored(1)))
                .isEqualTo(ShardSubmitter.SubmitOutcome.HELD_BACK);
        assertThat(stored(1).attempt()).as("a 429 made nothing").isNull();
        assertThat(stored(1).batch().inputFileId()).as("its upload is kept").isNotNull();
        assertThat(stored(1).queueWait().times()).isEqualTo(1);
        assertThat(submitter(LANE).submit(job, stored(2)))
                .isEqualTo(ShardSubmitter.SubmitOutcome.REJECTED_BY_PROVIDER);
        assertThat(stored(2).attempt()).isNull();
        assertThat(provider.lookups).as("nothing looked for after definite answers").isZero();
    }

    @Test
    void tokenLimitRefusedAtCreate_shardWaitsWithItsUpload_learnsTheLimit_andIsSubmittedLater() {
        Job job = job();
        staged(1, 400);
        provider.createFailures.add(
                new ProviderException(
                        "openai createBatch failed: 400 token_limit_exceeded: "
                                + "Limit: 2,000,000 enqueued tokens",
                        400,
                        "token_limit_exceeded",
                        false,
                        null,
                        new ProviderBusy(
                                ProviderBusy.Reason.ENQUEUED_TOKENS,
                                2_000_000L,
                                "token_limit_exceeded"),
                        null));

        assertThat(submitter(LANE).submit(job, stored(1)))
                .isEqualTo(ShardSubmitter.SubmitOutcome.HELD_BACK);
        Shard waiting = stored(1);
        assertThat(waiting.status()).isEqualTo(ShardStatus.STAGED);
        assertThat(waiting.queueWait().since()).isEqualTo(T0);
        assertThat(waiting.timeline().dueAt()).isAfter(T0);
        assertThat(store.pool("files/m").learnedLimit()).isEqualTo(2_000_000L);
        assertThat(store.pool("files/m").held().keySet())
                .as("its tokens left the budget")
                .isEmpty();

        clock.advance(Duration.ofMinutes(5));
        assertThat(poll(LANE).pollDue().submitted()).isEqualTo(1);
        Shard s = stored(1);
        assertThat(s.status()).isEqualTo(ShardStatus.SUBMITTED);
        assertThat(provider.uploads).isEqualTo(1);
        assertThat(s.queueWait().waited()).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.queueWait().since()).isNull();
    }

    @Test
    void batchFailedForTheQueue_isRequeued_notEnded_andResubmittedWithItsInputFile() {
        Job job = job();
        staged(1, 0);
        assertThat(submitter(LANE).submit(job, stored(1)))
                .isEqualTo(ShardSubmitter.SubmitOutcome.SUBMITTED);
        String first = stored(1).batch().batchId();
        String file = stored(1).batch().inputFileId();
        provider.failForQueue.add(first);

        clock.advance(Duration.ofMinutes(1));
        poll(LANE).pollDue();
        Shard back = stored(1);
        assertThat(back.status()).as("its requests are not failures").isEqualTo(ShardStatus.STAGED);
        assertThat(back.batch().batchId()).isNull();
        assertThat(back.batch().inputFileId()).isEqualTo(file);
        assertThat(back.queueWait().times()).isEqualTo(1);

        clock.advance(Duration.ofMinutes(3));
        poll(LANE).pollDue();
        Shard again = stored(1);
        assertThat(again.status()).isEqualTo(ShardStatus.SUBMITTED);
        assertThat(again.batch().batchId()).isNotEqualTo(first);
        assertThat(again.batch().inputFileId()).isEqualTo(file);
        assertThat(provider.uploads).isEqualTo(1);
    }

    @Test
    void admissionBudget_shardsBeyondItQueueInOrder_andGoWhenRoomFrees() {
        Job job = job();
        LaneSettings budgeted =
                LANE.withAdmission(
                        new AdmissionBudget.Settings(
                                Map.of("files/m", 25L), 0, Duration.ofHours(26)));
        for (int i = 1; i <= 4; i++) {
            staged(i, 10);
            clock.advance(Duration.ofSeconds(1));
        }
        clock.advance(Duration.ofMinutes(1));
        PollService.Summary first = poll(budgeted).pollDue();
        assertThat(first.submitted()).isEqualTo(2);
        assertThat(stored(1).status()).isEqualTo(ShardStatus.SUBMITTED);
        assertThat(stored(2).status()).isEqualTo(ShardStatus.SUBMITTED);
        assertThat(stored(3).status()).isEqualTo(ShardStatus.STAGED);
        assertThat(stored(4).status()).isEqualTo(ShardStatus.STAGED);
        assertThat(stored(3).queueWait().reason()).contains("admission budget");
        assertThat(stored(4).queueWait().reason())
                .as("behind the earlier one")
                .contains("queued behind");

        // The first batch ends: room for one more, and the shard that began waiting first takes it.
        provider.ended.add(stored(1).batch().batchId());
        clock.advance(Duration.ofMinutes(2));
        poll(budgeted).pollDue();
        clock.advance(Duration.ofMinutes(2));
        poll(budgeted).pollDue();
        assertThat(stored(3).status()).isEqualTo(ShardStatus.SUBMITTED);
        assertThat(stored(4).status()).isEqualTo(ShardStatus.STAGED);
        assertThat(stored(3).queueWait().waited()).isPositive();
    }

    @Test
    void shardLeftSubmittingByADeadCaller_isReconciled_andItsBatchAdopted() {
        Job job = job();
        Shard s = staged(1, 0);
        // A caller claimed it, uploaded, created the batch and died before recording it.
        String file = provider.upload(null);
        provider.create(
                file,
                null,
                "/v1/chat/completions",
                Map.of("batchlane_job_id", "j", "batchlane_shard", "00001"));
        store.updateShard(
                s,
                s.withStatus(ShardStatus.SUBMITTING)
                        .withInputFile(file, null)
                        .withAttempt(new CreationAttempt(CreationAttempt.Step.CREATE, T0))
                        .withDue(T0.plus(LANE.completeGrace())));

        clock.advance(LANE.completeGrace().plusMinutes(1));
        poll(LANE).pollDue();

        assertThat(stored(1).status()).isEqualTo(ShardStatus.SUBMITTED);
        assertThat(provider.batches).as("no second batch").hasSize(1);
        assertThat(stored(1).batch().batchId())
                .isEqualTo(provider.batches.keySet().iterator().next());
        assertThat(stored(1).trouble()).as("not flagged stuck").isNull();
    }

    /** A provider taking files, that keeps what it makes, and can lose an answer after acting. */
    static final class FileProvider implements BatchProvider {
        final Map<String, Integer> files = new ConcurrentHashMap<>();
        final Map<String, Map<String, String>> batches = new java.util.LinkedHashMap<>();
        final Deque<ProviderException> createFailures = new ArrayDeque<>();
        final Deque<ProviderException> lookupFailures = new ArrayDeque<>();
        final List<String> failForQueue = new ArrayList<>();
        final List<String> ended = new ArrayList<>();
        volatile boolean loseNextCreate;
        volatile boolean loseNextUpload;
        int uploads;
        int lookups;

        @Override
        public String name() {
            return "files";
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
        public Submission submit(Payload payload, String endpoint, Map<String, String> metadata) {
            throw new UnsupportedOperationException("the lane uploads, then creates");
        }

        @Override
        public synchronized String upload(Payload payload) {
            uploads++;
            String id = "file-" + uploads;
            files.put(id, 100);
            if (loseNextUpload) {
                loseNextUpload = false;
                throw new ProviderException("reset", 0, "io_error", true, null);
            }
            return id;
        }

        @Override
        public synchronized Submission create(
                String inputFileId,
                Payload payload,
                String endpoint,
                Map<String, String> metadata) {
            ProviderException refusal = createFailures.poll();
            if (refusal != null) {
                throw refusal;
            }
            String id = "batch-" + (batches.size() + 1);
            Map<String, String> m = new java.util.HashMap<>(metadata);
            m.put("file", inputFileId);
            batches.put(id, m);
            if (loseNextCreate) {
                loseNextCreate = false;
                throw new ProviderException("502", 502, null, true, null);
            }
            return Submission.batch(id, inputFileId, BatchState.PENDING, "validating");
        }

        @Override
        public synchronized Reconciliation findCreated(CreationQuery q) {
            lookups++;
            ProviderException failure = lookupFailures.poll();
            if (failure != null) {
                throw failure;
            }
            for (var b : batches.entrySet()) {
                if (q.metadata().entrySet().stream()
                                .allMatch(e -> e.getValue().equals(b.getValue().get(e.getKey())))
                        && !failForQueue.contains(b.getKey())) {
                    return Reconciliation.batch(
                            b.getKey(), b.getValue().get("file"), "validating", "metadata");
                }
            }
            if (q.step() == CreationAttempt.Step.UPLOAD && !files.isEmpty()) {
                return Reconciliation.file(files.keySet().iterator().next(), "name");
            }
            return Reconciliation.nothing("none");
        }

        @Override
        public synchronized BatchView retrieve(String batchId) {
            if (failForQueue.contains(batchId)) {
                return new BatchView(
                        batchId,
                        BatchState.FAILED,
                        "failed",
                        BatchCounts.NONE,
                        null,
                        null,
                        "token_limit_exceeded",
                        new ProviderBusy(
                                ProviderBusy.Reason.ENQUEUED_TOKENS, null, "token_limit_exceeded"));
            }
            if (ended.contains(batchId)) {
                return new BatchView(
                        batchId,
                        BatchState.COMPLETED,
                        "completed",
                        new BatchCounts(10, 10, 0),
                        "out",
                        null,
                        null);
            }
            return new BatchView(
                    batchId,
                    BatchState.RUNNING,
                    "in_progress",
                    new BatchCounts(10, 0, 0),
                    null,
                    null,
                    null);
        }

        @Override
        public void streamResults(BatchView batch, Consumer<LineResult> sink) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void cleanup(String inputFileId, String outputFileId, String errorFileId) {}
    }

    static final ObjectStore OBJECTS =
            new ObjectStore() {
                @Override
                public InputStream open(String key, String versionOrEtag) {
                    return new ByteArrayInputStream(new byte[100]);
                }

                @Override
                public Optional<ObjectInfo> head(String key) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void put(String key, Path file, String contentType) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void putBytes(String key, byte[] content, String contentType) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public List<String> list(String prefix) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void delete(String key) {
                    throw new UnsupportedOperationException();
                }
            };
}
