package dev.batchlane.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.aws.dynamo.TableSetup;
import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.AdmissionBudget;
import dev.batchlane.core.lane.AdmissionPool;
import dev.batchlane.emulators.DynamoDbLocalServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Admission pools and creation attempts, with their conditions evaluated by DynamoDB Local. */
class AdmissionPoolTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static DynamoDbLocalServer server;
    private static DynamoDbClient dynamo;
    private static DynamoJobStore store;

    @BeforeAll
    static void start() {
        server = DynamoDbLocalServer.start();
        dynamo = LocalAws.dynamo(server.endpoint());
        TableSetup.create(dynamo, "pools");
        store = new DynamoJobStore(dynamo, "pools");
    }

    @AfterAll
    static void stop() {
        dynamo.close();
        server.close();
    }

    private static AdmissionBudget budget(String pool, long limit, Duration staleAfter) {
        return new AdmissionBudget(
                store, new AdmissionBudget.Settings(Map.of(pool, limit), 0, staleAfter));
    }

    /**
     * The budget decides, the table only checks the version: eight callers racing for a pool with
     * room for three leave exactly three admitted, whatever order DynamoDB serves them in.
     */
    @Test
    void concurrentAdmissions_neverFillThePoolBeyondItsLimit_andReleaseMakesRoom() {
        String pool = "openai/m-" + UUID.randomUUID();
        AdmissionBudget budget = budget(pool, 35, Duration.ofHours(1));
        AtomicInteger admitted = new AtomicInteger();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String id = "job/0000" + i;
            all.add(
                    CompletableFuture.runAsync(
                            () -> {
                                if (budget.admit(pool, id, 10, T0)) {
                                    admitted.incrementAndGet();
                                }
                            }));
        }
        all.forEach(CompletableFuture::join);
        assertThat(admitted).hasValue(3);
        assertThat(store.pool(pool).held()).hasSize(3);
        assertThat(budget.admit(pool, "job/late", 10, T0)).isFalse();
        // One of the five that lost waits first in line, its place written in the same item.
        String head = store.pool(pool).head().shardId();
        assertThat(head).startsWith("job/0000").isNotIn(store.pool(pool).held().keySet());

        String holder = store.pool(pool).held().keySet().iterator().next();
        budget.release(pool, holder);
        budget.release(pool, holder); // idempotent
        assertThat(budget.admit(pool, "job/late", 10, T0))
                .as("the room that freed is the head's, who waited first")
                .isFalse();
        assertThat(budget.admit(pool, head, 10, T0)).isTrue();
        assertThat(store.pool(pool).head()).isNull();
    }

    @Test
    void
            aLearnedLimitLowersTheConfiguredOne_staleAdmissionsStopCounting_andAShardAloneAlwaysGoes() {
        String pool = "openai/m-" + UUID.randomUUID();
        AdmissionBudget budget = budget(pool, 1000, Duration.ofHours(1));
        assertThat(budget.admit(pool, "a", 500, T0)).isTrue();
        budget.learn(pool, 600);
        assertThat(store.pool(pool).learnedLimit()).isEqualTo(600L);
        assertThat(budget.admit(pool, "b", 200, T0)).isFalse();
        // two hours later the first admission is stale (its holder died without releasing it)
        Instant later = T0.plus(Duration.ofHours(2));
        assertThat(budget.admit(pool, "b", 200, later)).isTrue();
        assertThat(store.pool(pool).held()).containsOnlyKeys("b");
    }

    /** A pool item as the store wrote it before the rule moved to the core still reads. */
    @Test
    void aPoolItemWrittenByTheEarlierStore_readsWithItsAdmissionsAndLearnedLimit() {
        String pool = "openai/m-" + UUID.randomUUID();
        dynamo.putItem(
                b ->
                        b.tableName("pools")
                                .item(
                                        Map.of(
                                                "pk", AttributeValue.fromS("pool#" + pool),
                                                "sk", AttributeValue.fromS("POOL"),
                                                "type", AttributeValue.fromS("pool"),
                                                "held",
                                                        AttributeValue.fromM(
                                                                Map.of(
                                                                        "job/00001",
                                                                        AttributeValue.fromM(
                                                                                Map.of(
                                                                                        "tokens",
                                                                                        AttributeValue
                                                                                                .fromN(
                                                                                                        "700"),
                                                                                        "at",
                                                                                        AttributeValue
                                                                                                .fromN(
                                                                                                        Long
                                                                                                                .toString(
                                                                                                                        T0
                                                                                                                                .toEpochMilli())))))),
                                                "learnedLimit", AttributeValue.fromN("1000"),
                                                "learnedAt", AttributeValue.fromN("1"),
                                                "version", AttributeValue.fromN("7"))));

        AdmissionPool read = store.pool(pool);
        assertThat(read.held())
                .containsExactly(Map.entry("job/00001", new AdmissionPool.Admission(700, T0)));
        assertThat(read.learnedLimit()).isEqualTo(1000L);
        assertThat(read.version()).isEqualTo(7);
        assertThat(budget(pool, 0, Duration.ofHours(1)).admit(pool, "job/00002", 400, T0))
                .as("700 + 400 is over the learned 1000")
                .isFalse();
    }

    @Test
    void creationAttemptAndQueueWait_surviveTheRoundTrip() {
        String job = "job-" + UUID.randomUUID();
        store.createShard(Shard.staged(job, 1, "openai", "staging/x", 3, 30).withInputTokens(1234));
        Shard s = store.shard(job, 1).orElseThrow();
        Shard next =
                s.withStatus(ShardStatus.SUBMITTING)
                        .withAttempt(new CreationAttempt(CreationAttempt.Step.CREATE, T0))
                        .waiting("budget", T0, T0.plusSeconds(60))
                        .withAttempt(new CreationAttempt(CreationAttempt.Step.UPLOAD, T0));
        store.updateShard(s, next).orElseThrow();

        Shard read = store.shard(job, 1).orElseThrow();
        assertThat(read.input().inputTokens()).isEqualTo(1234);
        assertThat(read.attempt()).isEqualTo(new CreationAttempt(CreationAttempt.Step.UPLOAD, T0));
        assertThat(read.queueWait().since()).isEqualTo(T0);
        assertThat(read.queueWait().times()).isEqualTo(1);
        assertThat(read.queueWait().reason()).isEqualTo("budget");
    }
}
