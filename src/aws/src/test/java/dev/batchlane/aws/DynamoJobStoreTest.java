package dev.batchlane.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.aws.dynamo.StreamPump;
import dev.batchlane.aws.dynamo.TableSetup;
import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardResult;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.RunMode;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.provider.Usage;
import dev.batchlane.emulators.DynamoDbLocalServer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The store's conditions, evaluated by DynamoDB Local (a mock could not evaluate them). */
class DynamoJobStoreTest {
    private static final Instant T0 = Instant.parse("2026-11-20T18:00:00Z");
    private static DynamoDbLocalServer server;
    private static DynamoDbClient dynamo;
    private static DynamoJobStore store;
    private static final String TABLE = "jobs";

    @BeforeAll
    static void start() {
        server = DynamoDbLocalServer.start();
        dynamo = LocalAws.dynamo(server.endpoint());
        TableSetup.create(dynamo, TABLE);
        store = new DynamoJobStore(dynamo, TABLE);
    }

    @AfterAll
    static void stop() {
        dynamo.close();
        server.close();
    }

    private static Job job(String id, JobStatus status) {
        return Job.builder(id, "openai")
                .status(status)
                .input("b", "inbox/openai/x.jsonl", "etag")
                .name("x")
                .sha256("sha")
                .inputBytes(10)
                .requestCount(4)
                .model("gpt-4o-mini")
                .endpoint("/v1/chat/completions")
                .createdAt(T0)
                .estimatedCostUsd("0.120000")
                .budgetUsd("5")
                .build();
    }

    private static String newId() {
        return "job-" + UUID.randomUUID();
    }

    @Test
    void createJob_secondCreateOfTheSameId_isRefusedAndLeavesTheFirst() {
        String id = newId();
        assertThat(store.createJob(job(id, JobStatus.INGESTING))).isTrue();
        assertThat(store.createJob(job(id, JobStatus.REJECTED))).isFalse();
        assertThat(store.job(id))
                .get()
                .extracting(Job::status, Job::estimatedCostUsd, Job::budgetUsd)
                .containsExactly(JobStatus.INGESTING, "0.120000", "5");
    }

    @Test
    void claimCompletionEvent_secondClaimIsRefused_aStaleOneIsTakenOver_andNoneOnceCompleted() {
        String id = newId();
        assertThat(store.claimCompletionEvent(id, T0, T0.minusSeconds(1200)))
                .as("unknown job")
                .isFalse();
        store.createJob(job(id, JobStatus.RUNNING));
        assertThat(store.claimCompletionEvent(id, T0, T0.minusSeconds(1200))).isTrue();
        // a twin invocation a moment later: the claim is live, refused
        assertThat(
                        store.claimCompletionEvent(
                                id, T0.plusSeconds(1), T0.plusSeconds(1).minusSeconds(1200)))
                .isFalse();
        // long after, the job still not completed: its holder is dead, the claim is taken over,
        // once
        Instant later = T0.plusSeconds(1300);
        assertThat(store.claimCompletionEvent(id, later, later.minusSeconds(1200))).isTrue();
        assertThat(store.claimCompletionEvent(id, later, later.minusSeconds(1200))).isFalse();
        assertThat(store.markCompleted(id, "results/x/manifest.json", later)).isTrue();
        Instant muchLater = later.plusSeconds(5000);
        assertThat(store.claimCompletionEvent(id, muchLater, muchLater.minusSeconds(1200)))
                .as("completed")
                .isFalse();
    }

    @Test
    void ingestProgress_isReadBack_andAnOlderReportNeverReplacesANewerOne() {
        String id = newId();
        var started = dev.batchlane.core.job.IngestProgress.started(4_200_000_000L, T0);
        assertThat(
                        store.recordIngestProgress(
                                id, started.read(1_000_000_000L, 5, T0.plusSeconds(60))))
                .isTrue();
        // A slow invocation that is still at its start reports late: refused, the newer figures
        // stay.
        assertThat(store.recordIngestProgress(id, started.read(10L, 0, T0.plusSeconds(5))))
                .isFalse();
        var read = store.ingestProgress(id).orElseThrow();
        assertThat(read.bytesRead()).isEqualTo(1_000_000_000L);
        assertThat(read.shardsStaged()).isEqualTo(5);
        assertThat(read.totalBytes()).isEqualTo(4_200_000_000L);
        assertThat(read.startedAt()).isEqualTo(T0);
        // Beside the job, never mistaken for it or for a shard.
        assertThat(store.job(id)).isEmpty();
        assertThat(store.shards(id)).isEmpty();
    }

    @Test
    void updateShard_withAStaleVersion_isRefusedAndDoesNotOverwrite() {
        String id = newId();
        store.createShard(Shard.staged(id, 1, "openai", "staging/k", 10, 100));
        Shard read = store.shard(id, 1).orElseThrow();
        assertThat(read.version()).isEqualTo(1);

        var first = store.updateShard(read, read.withStatus(ShardStatus.SUBMITTING));
        var second =
                store.updateShard(
                        read,
                        read.submitted(
                                Submission.batch(
                                        "batch_x", "file_x", BatchState.PENDING, "validating"),
                                T0,
                                T0));

        assertThat(first).get().extracting(Shard::version).isEqualTo(2L);
        assertThat(second).isEmpty();
        assertThat(store.shard(id, 1).orElseThrow().status()).isEqualTo(ShardStatus.SUBMITTING);
    }

    @Test
    void dueShards_readsOnlyShardsWithADueTimeAtOrBeforeNow() {
        String id = newId();
        for (int i = 1; i <= 3; i++) {
            store.createShard(Shard.staged(id, i, "openai", "staging/" + i, 1, 1));
        }
        Shard s1 = store.shard(id, 1).orElseThrow();
        Shard s2 = store.shard(id, 2).orElseThrow();
        store.updateShard(
                s1,
                s1.submitted(
                        Submission.batch("b1", "f1", BatchState.PENDING, "validating"),
                        T0,
                        T0.plusSeconds(10)));
        store.updateShard(
                s2,
                s2.submitted(
                        Submission.batch("b2", "f2", BatchState.PENDING, "validating"),
                        T0,
                        T0.plusSeconds(1000)));

        List<Shard> due =
                store.dueShards(T0.plusSeconds(60), 100).stream()
                        .filter(s -> s.jobId().equals(id))
                        .toList();

        assertThat(due).extracting(Shard::index).containsExactly(1);
        Shard ended =
                due.get(0)
                        .ended(
                                BatchState.COMPLETED,
                                "completed",
                                new BatchCounts(1, 1, 0),
                                "out",
                                null,
                                null,
                                T0.plusSeconds(61));
        store.updateShard(due.get(0), ended);
        // An ended shard leaves the index; the other submitted one is still due later on.
        assertThat(
                        store.dueShards(T0.plusSeconds(100_000), 100).stream()
                                .filter(s -> s.jobId().equals(id)))
                .extracting(Shard::index)
                .containsExactly(2);
    }

    @Test
    void completeShard_countsOnTheJobOnce_evenWhenTwoCallersRace() {
        String id = newId();
        store.createJob(job(id, JobStatus.INGESTING));
        store.createShard(Shard.staged(id, 1, "openai", "staging/1", 1, 1));
        Shard s = store.shard(id, 1).orElseThrow();
        s =
                store.updateShard(
                                s,
                                s.ended(
                                        BatchState.COMPLETED,
                                        "completed",
                                        BatchCounts.NONE,
                                        "out",
                                        null,
                                        null,
                                        T0))
                        .orElseThrow();
        assertThat(store.markRunning(id, 1, T0)).isTrue();
        ShardResult r = new ShardResult(1, 0, 0, 0, 0, 0, new Usage(5, 1, 2), "results/p", 0, 0);

        boolean first = store.completeShard(s, s.completed(r, T0), null);
        boolean second = store.completeShard(s, s.completed(r, T0), null);

        assertThat(first).isTrue();
        assertThat(second).isFalse();
        Job j = store.job(id).orElseThrow();
        assertThat(j.shardsCompleted()).isEqualTo(1);
        assertThat(j.allShardsCompleted()).isTrue();
        assertThat(store.shard(id, 1).orElseThrow().result()).isEqualTo(r);
    }

    @Test
    void completeShard_whenTheJobItemIsMissing_throws_ratherThanSayingSomeoneElseCompletedIt() {
        String id = newId();
        store.createShard(Shard.staged(id, 1, "openai", "staging/1", 1, 1));
        Shard s = store.shard(id, 1).orElseThrow();
        Shard ended =
                store.updateShard(
                                s,
                                s.ended(
                                        BatchState.COMPLETED,
                                        "completed",
                                        BatchCounts.NONE,
                                        "out",
                                        null,
                                        null,
                                        T0))
                        .orElseThrow();
        ShardResult r = new ShardResult(1, 0, 0, 0, 0, 0, Usage.ZERO, "results/p", 0, 0);

        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> store.completeShard(ended, ended.completed(r, T0), null))
                .isInstanceOf(
                        software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException
                                .class)
                .hasMessageContaining("[None, ConditionalCheckFailed]");
        assertThat(store.shard(id, 1).orElseThrow().status()).isEqualTo(ShardStatus.ENDED);
    }

    @Test
    void completeShard_withARetryShard_createsItDueNow_andTheJobWaitsForIt() {
        String id = newId();
        store.createJob(job(id, JobStatus.INGESTING));
        store.createShard(Shard.staged(id, 1, "openai", "staging/1", 3, 30));
        Shard s = store.shard(id, 1).orElseThrow();
        s =
                store.updateShard(
                                s,
                                s.ended(
                                        BatchState.COMPLETED,
                                        "completed",
                                        BatchCounts.NONE,
                                        "out",
                                        "err",
                                        null,
                                        T0))
                        .orElseThrow();
        // the shard finishes before ingest marks the job running: the counts must still add up
        Shard child = Shard.staged(id, s.childIndex(), "openai", "staging/c", 2, 20, 1, T0);
        ShardResult r = new ShardResult(1, 0, 0, 0, 0, 0, Usage.ZERO, "results/p", 2, 0);

        assertThat(store.completeShard(s, s.completed(r, T0), child)).isTrue();
        assertThat(store.markRunning(id, 1, T0)).isTrue();

        Job j = store.job(id).orElseThrow();
        assertThat(j.shardCount()).isEqualTo(2);
        assertThat(j.shardsCompleted()).isEqualTo(1);
        assertThat(j.allShardsCompleted()).isFalse();
        Shard stored = store.shard(id, 100_001).orElseThrow();
        assertThat(stored.depth()).isEqualTo(1);
        assertThat(stored.status()).isEqualTo(ShardStatus.STAGED);
        assertThat(store.dueShards(T0, 100)).extracting(Shard::index).contains(100_001);
        // a second completion of the same parent neither counts again nor makes a second child
        assertThat(store.completeShard(s, s.completed(r, T0), child)).isFalse();
        assertThat(store.job(id).orElseThrow().shardCount()).isEqualTo(2);
    }

    @Test
    void jobTransitions_onlyFromTheExpectedStatus() {
        String id = newId();
        store.createJob(job(id, JobStatus.INGESTING));
        assertThat(store.markCompleted(id, "m", T0)).isFalse();
        assertThat(store.markRunning(id, 2, T0)).isTrue();
        assertThat(store.markRunning(id, 3, T0)).isFalse();
        assertThat(store.markCompleted(id, "results/x/manifest.json", T0)).isTrue();
        assertThat(store.job(id).orElseThrow())
                .extracting(Job::status, Job::shardCount)
                .containsExactly(JobStatus.COMPLETED, 2);
    }

    @Test
    void streamPump_deliversTheShardsTransitionAsALambdaStreamEvent() throws Exception {
        var streams = LocalAws.streams(server.endpoint());
        StreamPump pump = new StreamPump(dynamo, streams, TABLE, "us-east-1");
        pump.drain(100);
        String id = newId();
        store.createShard(Shard.staged(id, 7, "openai", "staging/7", 1, 1));
        Shard s = store.shard(id, 7).orElseThrow();
        store.updateShard(
                s,
                s.ended(
                        BatchState.COMPLETED,
                        "completed",
                        BatchCounts.NONE,
                        "out",
                        null,
                        null,
                        T0));

        List<JsonNode> records = new ArrayList<>();
        for (String event : pump.drain(100)) {
            new ObjectMapper().readTree(event).get("Records").forEach(records::add);
        }

        JsonNode modify =
                records.stream()
                        .filter(r -> r.at("/dynamodb/NewImage/jobId/S").asText().equals(id))
                        .filter(r -> r.get("eventName").asText().equals("MODIFY"))
                        .findFirst()
                        .orElseThrow();
        assertThat(modify.at("/eventSource").asText()).isEqualTo("aws:dynamodb");
        assertThat(modify.at("/dynamodb/OldImage/status/S").asText()).isEqualTo("STAGED");
        assertThat(modify.at("/dynamodb/NewImage/status/S").asText()).isEqualTo("ENDED");
        assertThat(modify.at("/dynamodb/NewImage/shardIndex/N").asText()).isEqualTo("7");
    }

    /**
     * A shard item as the store wrote it before shards recorded their batch state and run mode:
     * only the provider's word.
     */
    private static void putOldShapedShard(
            String jobId, int index, ShardStatus status, String word, String batchError) {
        java.util.Map<String, AttributeValue> m = new java.util.HashMap<>();
        m.put("pk", AttributeValue.fromS(DynamoJobStore.jobPk(jobId)));
        m.put("sk", AttributeValue.fromS(DynamoJobStore.shardSk(index)));
        m.put("type", AttributeValue.fromS("shard"));
        m.put("jobId", AttributeValue.fromS(jobId));
        m.put("shardIndex", AttributeValue.fromN(Integer.toString(index)));
        m.put("status", AttributeValue.fromS(status.name()));
        m.put("provider", AttributeValue.fromS("bedrock"));
        m.put("stagingKey", AttributeValue.fromS("staging/" + jobId + "/" + index));
        m.put("requestCount", AttributeValue.fromN("10"));
        m.put("bytes", AttributeValue.fromN("100"));
        if (status != ShardStatus.STAGED) {
            m.put("batchId", AttributeValue.fromS("batch-" + index));
            m.put("providerStatus", AttributeValue.fromS(word));
        }
        if (batchError != null) {
            m.put("batchError", AttributeValue.fromS(batchError));
        }
        m.put("countTotal", AttributeValue.fromN("10"));
        m.put("countCompleted", AttributeValue.fromN("5"));
        m.put("countFailed", AttributeValue.fromN("0"));
        m.put("pollCount", AttributeValue.fromN("3"));
        if (status == ShardStatus.ENDED) {
            m.put("endedAt", AttributeValue.fromN(Long.toString(T0.toEpochMilli())));
        }
        m.put("version", AttributeValue.fromN("4"));
        m.put("depth", AttributeValue.fromN("0"));
        dynamo.putItem(b -> b.tableName(TABLE).item(m));
    }

    /**
     * Items written before the batch state and run mode were stored read with the state their word
     * stood for, so a job under way when the new code is deployed completes as it would have.
     */
    @Test
    void anOldShapedShardItem_withOnlyTheProvidersWord_readsWithTheStateItsWordStoodFor() {
        String id = newId();
        putOldShapedShard(id, 1, ShardStatus.ENDED, "expired", null);
        putOldShapedShard(id, 2, ShardStatus.ENDED, "Stopped", null);
        putOldShapedShard(id, 3, ShardStatus.ENDED, "cancelled", null);
        putOldShapedShard(id, 4, ShardStatus.ENDED, "OnDemand", null);
        putOldShapedShard(id, 5, ShardStatus.ENDED, "failed", "input file refused");
        putOldShapedShard(id, 6, ShardStatus.ENDED, "completed", null);
        putOldShapedShard(id, 7, ShardStatus.SUBMITTED, "in_progress", null);
        putOldShapedShard(id, 8, ShardStatus.STAGED, null, null);

        assertThat(store.shards(id))
                .extracting(
                        Shard::index,
                        s -> s.batch().batchState(),
                        s -> s.batch().runMode(),
                        s -> s.batch().providerStatus())
                .containsExactly(
                        tuple(1, BatchState.EXPIRED, RunMode.BATCH, "expired"),
                        tuple(2, BatchState.CANCELLED, RunMode.BATCH, "Stopped"),
                        tuple(3, BatchState.CANCELLED, RunMode.BATCH, "cancelled"),
                        tuple(4, BatchState.COMPLETED, RunMode.ON_DEMAND, "OnDemand"),
                        tuple(5, BatchState.FAILED, RunMode.BATCH, "failed"),
                        tuple(6, BatchState.COMPLETED, RunMode.BATCH, "completed"),
                        tuple(7, BatchState.RUNNING, RunMode.BATCH, "in_progress"),
                        tuple(8, null, RunMode.BATCH, null));
        Shard old = store.shard(id, 1).orElseThrow();
        assertThat(old.version()).isEqualTo(4);
        assertThat(old.batch().providerCounts()).isEqualTo(new BatchCounts(10, 5, 0));
    }

    /** Once written again, an old item carries its state and mode as attributes of their own. */
    @Test
    void anOldShapedShardItem_writtenBack_storesItsStateAndModeAsAttributes() {
        String id = newId();
        putOldShapedShard(id, 4, ShardStatus.ENDED, "OnDemand", null);
        Shard old = store.shard(id, 4).orElseThrow();
        assertThat(store.updateShard(old, old.claimed(T0))).isPresent();

        var item =
                dynamo.getItem(
                                b ->
                                        b.tableName(TABLE)
                                                .key(
                                                        java.util.Map.of(
                                                                "pk",
                                                                AttributeValue.fromS(
                                                                        DynamoJobStore.jobPk(id)),
                                                                "sk",
                                                                AttributeValue.fromS(
                                                                        DynamoJobStore.shardSk(
                                                                                4)))))
                        .item();
        assertThat(item.get("batchState").s()).isEqualTo("COMPLETED");
        assertThat(item.get("runMode").s()).isEqualTo("ON_DEMAND");
    }
}
