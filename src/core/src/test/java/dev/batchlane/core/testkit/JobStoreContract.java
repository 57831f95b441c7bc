package dev.batchlane.core.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.job.IngestFailure;
import dev.batchlane.core.job.IngestProgress;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardResult;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.AdmissionPool;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.provider.Usage;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Every condition the lane relies on from its job store, one case each. It runs against the
 * in-memory store (core) and the DynamoDB store on DynamoDB Local (src/aws), so a fast test that
 * passes on the fake would pass on the table. Ids are fresh per case: the DynamoDB run shares one
 * table across cases.
 */
public abstract class JobStoreContract {
    protected static final Instant T0 = Instant.parse("2026-11-20T18:00:00Z");

    /** The store under test; the same instance for every case of a run is fine. */
    protected abstract JobStore store();

    protected static String fresh(String what) {
        return what + "-" + UUID.randomUUID();
    }

    protected static Job job(String id, JobStatus status) {
        return Job.builder(id, "openai")
                .status(status)
                .input("b", "inbox/openai/" + id + ".jsonl", "etag")
                .name(id)
                .sha256("sha")
                .inputBytes(10)
                .requestCount(4)
                .model("gpt-4o-mini")
                .endpoint("/v1/chat/completions")
                .createdAt(T0)
                .estimatedCostUsd("0.12")
                .budgetUsd("5")
                .build();
    }

    private Shard staged(String jobId, int index) {
        return Shard.staged(jobId, index, "openai", "staging/" + jobId + "/" + index, 10, 100);
    }

    /** A shard created and moved to ENDED, as complete finds it. */
    private Shard ended(String jobId, int index) {
        JobStore s = store();
        s.createShard(staged(jobId, index));
        Shard created = s.shard(jobId, index).orElseThrow();
        Shard submitted =
                s.updateShard(
                                created,
                                created.submitted(
                                        Submission.batch(
                                                "batch_" + index,
                                                "file_" + index,
                                                BatchState.PENDING,
                                                "validating"),
                                        T0,
                                        T0.plusSeconds(60)))
                        .orElseThrow();
        return s.updateShard(
                        submitted,
                        submitted.ended(
                                BatchState.COMPLETED,
                                "completed",
                                new BatchCounts(10, 10, 0),
                                "out_" + index,
                                null,
                                null,
                                T0.plusSeconds(120)))
                .orElseThrow();
    }

    private static ShardResult result() {
        return new ShardResult(9, 0, 0, 0, 0, 0, new Usage(100, 0, 50), "part", 1, 0);
    }

    // ---- jobs ----

    @Test
    void createJob_isCreateIfAbsent_theSecondCreateChangesNothing() {
        String id = fresh("job");
        assertThat(store().createJob(job(id, JobStatus.INGESTING))).isTrue();
        assertThat(store().createJob(job(id, JobStatus.RUNNING).toBuilder().name("other").build()))
                .isFalse();
        Job stored = store().job(id).orElseThrow();
        assertThat(stored.status()).isEqualTo(JobStatus.INGESTING);
        assertThat(stored.name()).isEqualTo(id);
        assertThat(stored).isEqualTo(job(id, JobStatus.INGESTING));
    }

    @Test
    void markRunning_onlyFromIngesting_addsItsShardsToThoseAlreadyCounted() {
        String id = fresh("job");
        store().createJob(job(id, JobStatus.INGESTING).toBuilder().shardCount(1).build());
        assertThat(store().markRunning(id, 3, T0)).isTrue();
        Job running = store().job(id).orElseThrow();
        assertThat(running.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(running.shardCount())
                .as("a child shard counted before, plus three input shards")
                .isEqualTo(4);
        assertThat(running.submittedAt()).isEqualTo(T0);
        assertThat(store().markRunning(id, 3, T0)).as("twice").isFalse();
        assertThat(store().job(id).orElseThrow().shardCount()).isEqualTo(4);
        assertThat(store().markRunning(fresh("unknown"), 1, T0)).isFalse();
    }

    @Test
    void markCompleted_onlyFromRunning_recordsTheManifest() {
        String id = fresh("job");
        store().createJob(job(id, JobStatus.INGESTING));
        assertThat(store().markCompleted(id, "m.json", T0)).as("still ingesting").isFalse();
        store().markRunning(id, 1, T0);
        assertThat(store().markCompleted(id, "results/" + id + "/manifest.json", T0.plusSeconds(5)))
                .isTrue();
        Job done = store().job(id).orElseThrow();
        assertThat(done.status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(done.resultKey()).isEqualTo("results/" + id + "/manifest.json");
        assertThat(done.completedAt()).isEqualTo(T0.plusSeconds(5));
        assertThat(store().markCompleted(id, "other.json", T0.plusSeconds(9)))
                .as("twice")
                .isFalse();
        assertThat(store().job(id).orElseThrow().resultKey()).endsWith("manifest.json");
    }

    @Test
    void claimCompletionEvent_oneLiveClaim_aStaleOneIsTakenOver_noneOnceCompleted() {
        String id = fresh("job");
        store().createJob(job(id, JobStatus.INGESTING));
        assertThat(store().claimCompletionEvent(id, T0, T0.minusSeconds(900)))
                .as("not running yet")
                .isFalse();
        store().markRunning(id, 1, T0);
        assertThat(store().claimCompletionEvent(id, T0, T0.minusSeconds(900))).isTrue();
        assertThat(store().claimCompletionEvent(id, T0.plusSeconds(60), T0.minusSeconds(840)))
                .as("the first claim is younger than staleBefore")
                .isFalse();
        assertThat(store().claimCompletionEvent(id, T0.plusSeconds(900), T0))
                .as("a claim at exactly staleBefore belongs to a dead invocation")
                .isTrue();
        store().markCompleted(id, "m.json", T0.plusSeconds(901));
        assertThat(store().claimCompletionEvent(id, T0.plusSeconds(9999), T0.plusSeconds(9999)))
                .isFalse();
        assertThat(store().claimCompletionEvent(fresh("unknown"), T0, T0)).isFalse();
    }

    @Test
    void requestCancel_once_andOnlyWhileIngestingOrRunning() {
        String ingesting = fresh("job");
        store().createJob(job(ingesting, JobStatus.INGESTING));
        assertThat(store().requestCancel(ingesting, T0)).isTrue();
        assertThat(store().job(ingesting).orElseThrow().cancelRequested()).isTrue();
        assertThat(store().requestCancel(ingesting, T0)).as("asked already").isFalse();

        String running = fresh("job");
        store().createJob(job(running, JobStatus.INGESTING));
        store().markRunning(running, 1, T0);
        assertThat(store().requestCancel(running, T0)).isTrue();

        String rejected = fresh("job");
        store().createJob(job(rejected, JobStatus.REJECTED));
        assertThat(store().requestCancel(rejected, T0)).isFalse();

        String completed = fresh("job");
        store().createJob(job(completed, JobStatus.INGESTING));
        store().markRunning(completed, 1, T0);
        store().markCompleted(completed, "m.json", T0);
        assertThat(store().requestCancel(completed, T0)).isFalse();
        assertThat(store().job(completed).orElseThrow().cancelRequested()).isFalse();
        assertThat(store().requestCancel(fresh("unknown"), T0)).isFalse();
    }

    @Test
    void requestFinish_whileRunning_asOftenAsAsked_neverOtherwise() {
        String id = fresh("job");
        store().createJob(job(id, JobStatus.INGESTING));
        assertThat(store().requestFinish(id, T0)).isFalse();
        store().markRunning(id, 1, T0);
        assertThat(store().requestFinish(id, T0)).isTrue();
        assertThat(store().requestFinish(id, T0.plusSeconds(1)))
                .as("asked again, after the grace")
                .isTrue();
        store().markCompleted(id, "m.json", T0);
        assertThat(store().requestFinish(id, T0)).isFalse();
    }

    // ---- inputs and ingest records ----

    @Test
    void claimInput_heldByOneJob_untilItsHolderIsReplaced() {
        String key = fresh("inbox/openai/x") + ".jsonl";
        assertThat(store().claimInput("b", key, "sha-1", "job-a", null)).isEmpty();
        assertThat(store().claimInput("b", key, "sha-1", "job-a", null))
                .as("the holder again")
                .isEmpty();
        assertThat(store().claimInput("b", key, "sha-1", "job-b", null)).contains("job-a");
        assertThat(store().claimInput("b", key, "sha-2", "job-b", null))
                .as("other bytes")
                .isEmpty();
        assertThat(store().claimInput("b", key, "sha-1", "job-b", "job-a"))
                .as("job-a is over")
                .isEmpty();
        assertThat(store().claimInput("b", key, "sha-1", "job-c", null)).contains("job-b");
    }

    @Test
    void recordIngestFailure_countsAttempts_andClearForgetsIt() {
        String id = fresh("job");
        store().recordIngestFailure(
                        new IngestFailure(
                                id, "b", "inbox/openai/x.jsonl", "v1", 10, 0, "boom", T0));
        store().recordIngestFailure(
                        new IngestFailure(
                                id,
                                "b",
                                "inbox/openai/x.jsonl",
                                "v1",
                                10,
                                0,
                                "again",
                                T0.plusSeconds(60)));
        IngestFailure f = store().ingestFailure(id).orElseThrow();
        assertThat(f.attempts()).isEqualTo(2);
        assertThat(f.error()).isEqualTo("again");
        assertThat(f.at()).isEqualTo(T0.plusSeconds(60));
        assertThat(f.identity()).isEqualTo("v1");
        store().clearIngestFailure(id);
        assertThat(store().ingestFailure(id)).isEmpty();
    }

    @Test
    void recordIngestProgress_neverReplacesALaterReport() {
        String id = fresh("job");
        IngestProgress started = IngestProgress.started(1000, T0);
        assertThat(store().recordIngestProgress(id, started.read(500, 1, T0.plusSeconds(10))))
                .isTrue();
        assertThat(store().recordIngestProgress(id, started.read(200, 0, T0.plusSeconds(5))))
                .as("a slow, superseded invocation")
                .isFalse();
        assertThat(store().ingestProgress(id).orElseThrow().bytesRead()).isEqualTo(500);
        assertThat(store().recordIngestProgress(id, started.read(600, 1, T0.plusSeconds(10))))
                .as("the same time is not older")
                .isTrue();
        assertThat(store().ingestProgress(id).orElseThrow().bytesRead()).isEqualTo(600);
    }

    // ---- shards ----

    @Test
    void createShard_isCreateIfAbsent_atVersionOne() {
        String id = fresh("job");
        assertThat(store().createShard(staged(id, 0))).isTrue();
        assertThat(store().createShard(staged(id, 0).withInputTokens(77))).isFalse();
        Shard stored = store().shard(id, 0).orElseThrow();
        assertThat(stored.version()).isEqualTo(1);
        assertThat(stored.input().inputTokens()).isZero();
        assertThat(stored.status()).isEqualTo(ShardStatus.STAGED);
    }

    @Test
    void updateShard_isVersionChecked_theLoserChangesNothing() {
        String id = fresh("job");
        store().createShard(staged(id, 0));
        Shard read = store().shard(id, 0).orElseThrow();
        Shard won =
                store().updateShard(read, read.withStatus(ShardStatus.SUBMITTING)).orElseThrow();
        assertThat(won.version()).isEqualTo(read.version() + 1);
        assertThat(store().updateShard(read, read.withStatus(ShardStatus.ENDED)))
                .as("stale version")
                .isEmpty();
        assertThat(store().shard(id, 0).orElseThrow()).isEqualTo(won);
        assertThat(store().updateShard(staged(id, 7).withVersion(1), staged(id, 7)))
                .as("no such shard")
                .isEmpty();
        assertThat(store().shard(id, 7)).isEmpty();
    }

    @Test
    void aShardReadBack_isTheShardWritten_everyComponent() {
        String id = fresh("job");
        store().createShard(staged(id, 3).withInputTokens(1234));
        Shard read = store().shard(id, 3).orElseThrow();
        Shard uploaded =
                store().updateShard(read, read.withInputFile("file_x", T0.minusSeconds(5)))
                        .orElseThrow();
        assertThat(store().shard(id, 3).orElseThrow()).isEqualTo(uploaded);
        Shard ended =
                store().updateShard(
                                uploaded,
                                uploaded.submitted(
                                        Submission.onDemand(
                                                "batch_x",
                                                "file_x",
                                                BatchState.PENDING,
                                                "validating"),
                                        T0,
                                        T0))
                        .orElseThrow();
        ended =
                store().updateShard(
                                ended,
                                ended.ended(
                                        BatchState.COMPLETED,
                                        "completed",
                                        new BatchCounts(10, 9, 1),
                                        "out",
                                        "err",
                                        null,
                                        T0.plusSeconds(1)))
                        .orElseThrow();
        ended = store().updateShard(ended, ended.claimed(T0.plusSeconds(2))).orElseThrow();
        assertThat(store().shard(id, 3).orElseThrow()).isEqualTo(ended);
        assertThat(store().shards(id)).containsExactly(ended);
    }

    @Test
    void completeShard_movesTheShard_countsIt_andCreatesTheChild_together() {
        String id = fresh("job");
        store().createJob(job(id, JobStatus.INGESTING));
        store().markRunning(id, 1, T0);
        Shard ended = ended(id, 0);
        Shard child =
                Shard.staged(
                        id, ended.childIndex(), "openai", "staging/" + id + "/child", 1, 10, 1, T0);
        assertThat(store().completeShard(ended, ended.completed(result(), T0), child)).isTrue();
        Job j = store().job(id).orElseThrow();
        assertThat(j.shardsCompleted()).isEqualTo(1);
        assertThat(j.shardCount()).as("the child is one more shard to wait for").isEqualTo(2);
        assertThat(store().shard(id, 0).orElseThrow().status()).isEqualTo(ShardStatus.COMPLETED);
        assertThat(store().shard(id, 0).orElseThrow().version()).isEqualTo(ended.version() + 1);
        Shard storedChild = store().shard(id, ended.childIndex()).orElseThrow();
        assertThat(storedChild.version()).isEqualTo(1);
        assertThat(storedChild.depth()).isEqualTo(1);
        assertThat(store().completeShard(ended, ended.completed(result(), T0), child))
                .as("completed elsewhere already")
                .isFalse();
        assertThat(store().job(id).orElseThrow().shardsCompleted()).isEqualTo(1);
    }

    @Test
    void completeShard_ofAShardNotEnded_isFalse_andWritesNothing() {
        String id = fresh("job");
        store().createJob(job(id, JobStatus.INGESTING));
        store().markRunning(id, 1, T0);
        store().createShard(staged(id, 0));
        Shard stagedShard = store().shard(id, 0).orElseThrow();
        assertThat(store().completeShard(stagedShard, stagedShard.completed(result(), T0), null))
                .isFalse();
        assertThat(store().shard(id, 0).orElseThrow()).isEqualTo(stagedShard);
        assertThat(store().job(id).orElseThrow().shardsCompleted()).isZero();
    }

    @Test
    void completeShard_whenItsChildExistsOrItsJobDoesNot_throws_andWritesNothing() {
        String id = fresh("job");
        store().createJob(job(id, JobStatus.INGESTING));
        store().markRunning(id, 1, T0);
        Shard ended = ended(id, 0);
        Shard child =
                Shard.staged(
                        id, ended.childIndex(), "openai", "staging/" + id + "/child", 1, 10, 1, T0);
        store().createShard(child);
        assertThatThrownBy(() -> store().completeShard(ended, ended.completed(result(), T0), child))
                .isInstanceOf(RuntimeException.class);
        assertThat(store().shard(id, 0).orElseThrow()).isEqualTo(ended);
        assertThat(store().job(id).orElseThrow().shardsCompleted()).isZero();

        String orphan = fresh("job");
        Shard lone = ended(orphan, 0);
        assertThatThrownBy(() -> store().completeShard(lone, lone.completed(result(), T0), null))
                .as("a shard whose job has no record")
                .isInstanceOf(RuntimeException.class);
        assertThat(store().shard(orphan, 0).orElseThrow().status()).isEqualTo(ShardStatus.ENDED);
    }

    @Test
    void dueShards_atOrBeforeNow_oldestFirst_upToTheLimit_withoutTheUndue() {
        // Far in the past, so no other case's shards (due around T0) are due this early.
        Instant past =
                Instant.parse("1990-01-01T00:00:00Z")
                        .plusSeconds(UUID.randomUUID().hashCode() & 0xffff);
        String id = fresh("job");
        for (int i = 0; i < 4; i++) {
            store().createShard(
                            Shard.staged(
                                    id,
                                    i,
                                    "openai",
                                    "staging/" + i,
                                    1,
                                    1,
                                    0,
                                    past.plusSeconds(10 - i)));
        }
        store().createShard(Shard.staged(id, 9, "openai", "staging/9", 1, 1, 0, null));
        List<Shard> due =
                store().dueShards(past.plusSeconds(8), 10).stream()
                        .filter(s -> s.jobId().equals(id))
                        .toList();
        assertThat(due).extracting(Shard::index).containsExactly(3, 2);
        assertThat(
                        store().dueShards(past.plusSeconds(10), 2).stream()
                                .filter(s -> s.jobId().equals(id)))
                .extracting(Shard::index)
                .containsExactly(3, 2);
        assertThat(
                        store().dueShards(past.plusSeconds(10), 10).stream()
                                .filter(s -> s.jobId().equals(id)))
                .extracting(Shard::index)
                .containsExactly(3, 2, 1, 0);
    }

    // ---- admission pools: the store reads a pool and writes the next one back, version-checked --

    private static AdmissionPool.Admission at(long tokens, Instant when) {
        return new AdmissionPool.Admission(tokens, when);
    }

    private static AdmissionPool next(
            AdmissionPool current, Map<String, AdmissionPool.Admission> held, Long learned) {
        return new AdmissionPool(current.name(), held, learned, current.version() + 1);
    }

    @Test
    void pool_neverWritten_isEmptyAtVersionZero() {
        String pool = fresh("openai/gpt-4o-mini");
        assertThat(store().pool(pool)).isEqualTo(AdmissionPool.empty(pool));
    }

    @Test
    void replacePool_isCreateIfAbsent_thenVersionChecked_theLoserChangesNothing() {
        String pool = fresh("openai/gpt-4o-mini");
        AdmissionPool empty = store().pool(pool);
        AdmissionPool first = next(empty, Map.of("j/1", at(600, T0)), null);
        assertThat(store().replacePool(empty, first)).isTrue();
        assertThat(store().replacePool(empty, next(empty, Map.of("j/2", at(1, T0)), null)))
                .as("created already: a second create from the empty pool loses")
                .isFalse();
        assertThat(store().pool(pool)).isEqualTo(first);

        AdmissionPool second =
                next(first, Map.of("j/1", at(600, T0), "j/3", at(400, T0.plusSeconds(1))), 500L);
        assertThat(store().replacePool(first, second)).isTrue();
        assertThat(store().replacePool(first, next(first, Map.of(), null)))
                .as("stale version")
                .isFalse();
        assertThat(store().pool(pool)).isEqualTo(second);
    }

    @Test
    void aPoolsWaitingHead_isReadBackAsWritten_andClearedByTheNextWriteWithoutOne() {
        String pool = fresh("openai/gpt-4o-mini");
        AdmissionPool.Waiting head =
                new AdmissionPool.Waiting(
                        "job-w/" + Shard.partName(7), 90_000, T0, T0.plusSeconds(61));
        AdmissionPool empty = store().pool(pool);
        AdmissionPool written =
                new AdmissionPool(pool, Map.of("j/1", at(5, T0)), 100L, head, empty.version() + 1);
        assertThat(store().replacePool(empty, written)).isTrue();
        assertThat(store().pool(pool)).isEqualTo(written);

        AdmissionPool cleared =
                new AdmissionPool(pool, Map.of(), 100L, null, written.version() + 1);
        assertThat(store().replacePool(written, cleared)).isTrue();
        assertThat(store().pool(pool).head()).isNull();
    }

    @Test
    void aPoolReadBack_isThePoolWritten_everyAdmissionItsTokensAndTime_andItsLearnedLimit() {
        String pool = fresh("openai/gpt-4o-mini");
        Map<String, AdmissionPool.Admission> held = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 30; i++) {
            held.put("job-x/" + Shard.partName(i), at(1000L * i, T0.plusMillis(i)));
        }
        AdmissionPool written = next(store().pool(pool), held, 2_000_000L);
        assertThat(store().replacePool(store().pool(pool), written)).isTrue();

        AdmissionPool read = store().pool(pool);
        assertThat(read.held()).isEqualTo(held);
        assertThat(read.learnedLimit()).isEqualTo(2_000_000L);
        assertThat(read.version()).isEqualTo(1);
        AdmissionPool emptied = next(read, Map.of(), null);
        assertThat(store().replacePool(read, emptied)).isTrue();
        assertThat(store().pool(pool).held()).isEmpty();
        assertThat(store().pool(pool).learnedLimit()).isNull();
        assertThat(store().pool(pool).version()).isEqualTo(2);
    }

    @Test
    void recordBatch_oneShardHoldsABatch_againForItIsTrue_anotherShardIsRefused() {
        String batch = fresh("msgbatch_");
        assertThat(store().batchOwner("anthropic", batch)).isEmpty();
        assertThat(store().recordBatch("anthropic", batch, "job-a", 3, T0)).isTrue();
        assertThat(store().recordBatch("anthropic", batch, "job-a", 3, T0.plusSeconds(1)))
                .as("the same shard again")
                .isTrue();
        assertThat(store().recordBatch("anthropic", batch, "job-b", 3, T0)).isFalse();
        assertThat(store().recordBatch("anthropic", batch, "job-a", 4, T0)).isFalse();
        assertThat(store().batchOwner("anthropic", batch))
                .contains(new dev.batchlane.core.job.BatchRegistry.BatchOwner("job-a", 3));
        assertThat(store().batchOwner("openai", batch)).as("batch ids are per provider").isEmpty();
        assertThat(store().recordBatch("openai", batch, "job-b", 0, T0)).isTrue();
    }
}
