package dev.batchlane.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.aws.dynamo.TableSetup;
import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.emulators.DynamoDbLocalServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

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

    @Test
    void concurrentAdmissions_neverFillThePoolBeyondItsLimit_andReleaseMakesRoom() {
        String pool = "openai/m-" + UUID.randomUUID();
        AtomicInteger admitted = new AtomicInteger();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String id = "job/0000" + i;
            all.add(
                    CompletableFuture.runAsync(
                            () -> {
                                if (store.admit(
                                        pool, id, 10, 35, T0, T0.minus(Duration.ofHours(1)))) {
                                    admitted.incrementAndGet();
                                }
                            }));
        }
        all.forEach(CompletableFuture::join);
        assertThat(admitted).hasValue(3);
        assertThat(store.admit(pool, "job/late", 10, 35, T0, T0.minusSeconds(1))).isFalse();

        String holder =
                java.util.stream.IntStream.range(0, 8)
                        .mapToObj(i -> "job/0000" + i)
                        .filter(id -> store.admit(pool, id, 10, 35, T0, T0.minusSeconds(1)))
                        .findFirst()
                        .orElseThrow();
        store.release(pool, holder);
        store.release(pool, holder); // idempotent
        assertThat(store.admit(pool, "job/late", 10, 35, T0, T0.minusSeconds(1))).isTrue();
    }

    @Test
    void
            aLearnedLimitLowersTheConfiguredOne_staleAdmissionsStopCounting_andAShardAloneAlwaysGoes() {
        String pool = "openai/m-" + UUID.randomUUID();
        assertThat(store.admit(pool, "a", 500, 0, T0, T0)).as("alone, whatever the limit").isTrue();
        store.learnLimit(pool, 600, T0);
        assertThat(store.learnedLimit(pool)).hasValue(600);
        assertThat(store.admit(pool, "b", 200, 0, T0, T0)).isFalse();
        // an hour later the first admission is stale (its holder died without releasing it)
        Instant later = T0.plus(Duration.ofHours(2));
        assertThat(store.admit(pool, "b", 200, 0, later, later.minus(Duration.ofHours(1))))
                .isTrue();
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
        assertThat(read.inputTokens()).isEqualTo(1234);
        assertThat(read.attempt()).isEqualTo(new CreationAttempt(CreationAttempt.Step.UPLOAD, T0));
        assertThat(read.queueWait().since()).isEqualTo(T0);
        assertThat(read.queueWait().times()).isEqualTo(1);
        assertThat(read.queueWait().reason()).isEqualTo("budget");
    }
}
