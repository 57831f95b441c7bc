package dev.batchlane.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.aws.dynamo.TableSetup;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.emulators.DynamoDbLocalServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The due-index read on DynamoDB Local, on a table of its own: a query with a limit, followed page
 * by page, shards read 100 a call — never a scan, never one read per shard.
 */
class DueShardsTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final int DUE = 250;
    private static DynamoDbLocalServer server;
    private static DynamoDbClient dynamo;
    private static DynamoJobStore store;
    private static final CountingInterceptor CALLS = new CountingInterceptor();

    @BeforeAll
    static void start() {
        server = DynamoDbLocalServer.start();
        dynamo = CALLS.dynamo(server.endpoint());
        TableSetup.create(dynamo, "due");
        store = new DynamoJobStore(dynamo, "due");
        // DUE shards due a second apart, shard i older than shard i+1, and some that are not due
        // yet.
        for (int i = 0; i < DUE; i++) {
            store.createShard(
                    Shard.staged("job", i, "openai", "staging/" + i, 1, 1)
                            .submitted(
                                    Submission.batch(
                                            "b" + i, "f" + i, BatchState.RUNNING, "in_progress"),
                                    T0,
                                    T0.minusSeconds(DUE - i)));
        }
        for (int i = DUE; i < DUE + 20; i++) {
            store.createShard(
                    Shard.staged("job", i, "openai", "staging/" + i, 1, 1)
                            .submitted(
                                    Submission.batch(
                                            "b" + i, "f" + i, BatchState.RUNNING, "in_progress"),
                                    T0,
                                    T0.plusSeconds(i)));
        }
        store.createShard(
                Shard.staged(
                        "job", 9999, "openai", "staging/x", 1, 1)); // no due time: not in the index
    }

    @AfterAll
    static void stop() {
        dynamo.close();
        server.close();
    }

    /** Runs what a test set, once, right after a Query returned and before the next call. */
    private static final class AfterQuery implements ExecutionInterceptor {
        final AtomicReference<Runnable> next = new AtomicReference<>();

        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
            if ("Query".equals(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME))) {
                Runnable r = next.getAndSet(null);
                if (r != null) {
                    r.run();
                }
            }
        }
    }

    private static DynamoDbClient clientWith(ExecutionInterceptor interceptor) {
        return DynamoDbClient.builder()
                .endpointOverride(server.endpoint())
                .region(LocalAws.REGION)
                .credentialsProvider(
                        StaticCredentialsProvider.create(
                                AwsBasicCredentials.create("local", "local")))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .overrideConfiguration(c -> c.addExecutionInterceptor(interceptor))
                .build();
    }

    @BeforeEach
    void resetCounts() {
        CALLS.reset();
    }

    @Test
    void aLimitBelowWhatIsDue_readsThatManyOldestFirst_inOneQueryAndBatchReads() {
        List<Shard> due = store.dueShards(T0, 230);

        assertThat(due)
                .extracting(Shard::index)
                .containsExactlyElementsOf(IntStream.range(0, 230).boxed().toList());
        assertThat(CALLS.snapshot()).containsOnlyKeys("Query", "BatchGetItem");
        assertThat(CALLS.calls("Query")).isEqualTo(1);
        assertThat(CALLS.calls("BatchGetItem")).isEqualTo(3);
        // Read consistently: what a caller conditions its write on is what is stored.
        assertThat(due).allSatisfy(s -> assertThat(store.shard(s.jobId(), s.index())).contains(s));
    }

    @Test
    void aLimitAboveWhatIsDue_readsEveryDueShardAndNothingElse() {
        List<Shard> due = store.dueShards(T0, 10_000);

        assertThat(due)
                .extracting(Shard::index)
                .containsExactlyElementsOf(IntStream.range(0, DUE).boxed().toList());
        assertThat(CALLS.calls("Scan")).isZero();
        assertThat(CALLS.calls("GetItem")).isZero();
        assertThat(CALLS.calls("BatchGetItem")).isEqualTo(3);
    }

    /**
     * Two polls overlap: the other one's index query listed the shard, then this one took it for an
     * on-demand step (its due time pushed past now, a conditional write) before the other read the
     * item. The other must not get the shard: its read is current, so a conditional write on it
     * would succeed and a second step would run beside the first (the fault suite's record invoked
     * twice on demand).
     */
    @Test
    void aShardTakenByAnotherPollBetweenTheQueryAndTheRead_isNotReturned() {
        AfterQuery hook = new AfterQuery();
        Shard first = store.dueShards(T0, 1).get(0);
        Shard[] taken = new Shard[1];
        hook.next.set(
                () ->
                        taken[0] =
                                store.updateShard(
                                                first,
                                                first.withDue(T0.plus(Duration.ofMinutes(30))))
                                        .orElseThrow());
        try (DynamoDbClient client = clientWith(hook)) {
            List<Shard> due = new DynamoJobStore(client, "due").dueShards(T0, 5);

            assertThat(taken[0]).as("the take ran between the query and the read").isNotNull();
            assertThat(due)
                    .as("due shards read after another poll took the first")
                    .extracting(Shard::index)
                    .doesNotContain(first.index())
                    .hasSize(4);
        } finally {
            if (taken[0] != null) {
                store.updateShard(taken[0], taken[0].withDue(first.timeline().dueAt()));
            }
        }
    }

    @Test
    void aShardThatLeftTheIndexAfterTheQuery_isNotReturned_andTheReadIsCurrent() {
        Shard first = store.dueShards(T0, 1).get(0);
        Shard moved = store.updateShard(first, first.withDue(null)).orElseThrow();
        try {
            List<Shard> due = store.dueShards(T0, 5);
            // The index may still list it for a moment; the consistent read of the item drops it.
            assertThat(due).extracting(Shard::index).doesNotContain(first.index());
        } finally {
            store.updateShard(moved, moved.withDue(first.timeline().dueAt()));
        }
    }
}
