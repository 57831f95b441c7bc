package dev.batchlane.aws;

import static org.assertj.core.api.Assertions.assertThat;

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
                store.updateShard(read, read.submitted("batch_x", "file_x", "validating", T0, T0));

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
        store.updateShard(s1, s1.submitted("b1", "f1", "validating", T0, T0.plusSeconds(10)));
        store.updateShard(s2, s2.submitted("b2", "f2", "validating", T0, T0.plusSeconds(1000)));

        List<Shard> due =
                store.dueShards(T0.plusSeconds(60), 100).stream()
                        .filter(s -> s.jobId().equals(id))
                        .toList();

        assertThat(due).extracting(Shard::index).containsExactly(1);
        Shard ended =
                due.get(0)
                        .ended(
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
                store.updateShard(s, s.ended("completed", BatchCounts.NONE, "out", null, null, T0))
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
                store.updateShard(s, s.ended("completed", BatchCounts.NONE, "out", null, null, T0))
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
                store.updateShard(s, s.ended("completed", BatchCounts.NONE, "out", "err", null, T0))
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
        store.updateShard(s, s.ended("completed", BatchCounts.NONE, "out", null, null, T0));

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
}
