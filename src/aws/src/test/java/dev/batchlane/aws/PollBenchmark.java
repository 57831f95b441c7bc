package dev.batchlane.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.aws.dynamo.TableSetup;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.poll.PollService;
import dev.batchlane.core.poll.PollSettings;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.testkit.ScriptedProvider;
import dev.batchlane.emulators.DynamoDbLocalServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * One poll cycle over 1, 100 and 10,000 in-flight (SUBMITTED, due) shards on DynamoDB Local with an
 * in-process provider: DynamoDB calls (counted by an SDK interceptor), provider calls and wall
 * time, then how many cycles of {@code pollBatchSize} it takes to visit all of the 10,000. Not part
 * of the default build: {@code ./mvnw -B -q -ntp test -pl src/aws -am -Dtest=PollBenchmark
 * -Dsurefire.excludedGroups=none -Dsurefire.failIfNoSpecifiedTests=false
 * [-Dbench.providerMillis=50]}. Figures go to stdout and {@code src/aws/target/poll-benchmark.txt}.
 */
@Tag("benchmark")
class PollBenchmark {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final int BATCH_SIZE = Integer.getInteger("bench.batchSize", 200);
    private static final long PROVIDER_MILLIS = Long.getLong("bench.providerMillis", 0);
    private static final int SHARDS_PER_JOB = 100;

    private final List<String> report = new ArrayList<>();

    @Test
    void pollCycles() throws Exception {
        CountingInterceptor calls = new CountingInterceptor();
        try (DynamoDbLocalServer server = DynamoDbLocalServer.start();
                DynamoDbClient dynamo = calls.dynamo(server.endpoint())) {
            line(
                    "poll benchmark: DynamoDB Local 2.6.1 in this JVM, in-process provider (%d ms per call), "
                            + "pollBatchSize %d, %s",
                    PROVIDER_MILLIS, BATCH_SIZE, PollSettings.defaults());
            for (int n : new int[] {1, 100, 10_000}) {
                String table = "bench" + n;
                TableSetup.create(dynamo, table);
                DynamoJobStore store = new DynamoJobStore(dynamo, table);
                long seeded = seed(store, n);
                BenchProvider provider = new BenchProvider();
                Clock clock = Clock.fixed(T0.plusSeconds(1), ZoneOffset.UTC);

                calls.reset();
                PollService poll = service(store, provider, clock, BATCH_SIZE);
                long start = System.nanoTime();
                PollService.Summary first = poll.pollDue();
                long ms = (System.nanoTime() - start) / 1_000_000;
                line(
                        "N=%,d in-flight (seeded in %,d ms): one cycle: due=%d progressed=%d errors=%d, DynamoDB calls %d %s,"
                                + " provider calls %d, wall %,d ms",
                        n,
                        seeded,
                        first.due(),
                        first.progressed(),
                        first.errors(),
                        calls.total(),
                        calls.snapshot(),
                        provider.calls.get(),
                        ms);
                assertThat(first.errors()).isZero();

                if (n > BATCH_SIZE) {
                    // The same clock: shards polled once are due again only a minute later, so each
                    // further cycle takes the next page. Cycles run back to back here; deployed,
                    // one a minute.
                    int cycles = 1;
                    int visited = first.progressed();
                    long all = System.nanoTime() - (ms * 1_000_000);
                    while (true) {
                        PollService.Summary next = poll.pollDue();
                        if (next.due() == 0) {
                            break;
                        }
                        cycles++;
                        visited += next.progressed();
                    }
                    long allMs = (System.nanoTime() - all) / 1_000_000;
                    line(
                            "N=%,d: visiting all took %d cycles of %d (%,d shards), %,d ms back to back; DynamoDB calls %d"
                                    + " %s, provider calls %d; on the 1-minute schedule that is %d minutes",
                            n,
                            cycles,
                            BATCH_SIZE,
                            visited,
                            allMs,
                            calls.total(),
                            calls.snapshot(),
                            provider.calls.get(),
                            cycles);

                    // Every shard due again two minutes on: one cycle whose page holds them all.
                    calls.reset();
                    provider.calls.set(0);
                    PollService wide =
                            service(
                                    store,
                                    provider,
                                    Clock.fixed(T0.plusSeconds(181), ZoneOffset.UTC),
                                    n);
                    start = System.nanoTime();
                    PollService.Summary one = wide.pollDue();
                    ms = (System.nanoTime() - start) / 1_000_000;
                    line(
                            "N=%,d with pollBatchSize %,d: one cycle: due=%d progressed=%d, DynamoDB calls %d %s,"
                                    + " provider calls %d, wall %,d ms",
                            n,
                            n,
                            one.due(),
                            one.progressed(),
                            calls.total(),
                            calls.snapshot(),
                            provider.calls.get(),
                            ms);
                }
            }
        }
        Path out = Path.of("target", "poll-benchmark.txt");
        Files.write(out, report);
    }

    private static PollService service(
            DynamoJobStore store, BatchProvider provider, Clock clock, int batchSize) {
        LaneSettings lane =
                new LaneSettings(
                        ScriptedProvider.LIMITS,
                        Duration.ofMinutes(1),
                        Duration.ofMinutes(30),
                        batchSize,
                        Path.of(System.getProperty("java.io.tmpdir")));
        return new PollService(
                store,
                null,
                new Providers(List.of(provider)),
                lane,
                PollSettings.defaults(),
                clock,
                LaneMetrics.NONE);
    }

    /** N submitted shards due a millisecond apart, SHARDS_PER_JOB to a job, written 8 at a time. */
    private static long seed(DynamoJobStore store, int n) throws Exception {
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> writes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                writes.add(
                        pool.submit(
                                () -> {
                                    String jobId = "job-" + index / SHARDS_PER_JOB;
                                    if (index % SHARDS_PER_JOB == 0) {
                                        store.createJob(
                                                Job.builder(jobId, "bench")
                                                        .status(JobStatus.RUNNING)
                                                        .input("b", "inbox/bench/x.jsonl", "e")
                                                        .name("x")
                                                        .sha256("sha")
                                                        .inputBytes(1)
                                                        .requestCount(1)
                                                        .model("m")
                                                        .endpoint("/v1/chat/completions")
                                                        .createdAt(T0)
                                                        .submittedAt(T0)
                                                        .estimatedCostUsd("0")
                                                        .budgetUsd("1")
                                                        .build());
                                    }
                                    store.createShard(
                                            Shard.staged(
                                                            jobId,
                                                            index % SHARDS_PER_JOB,
                                                            "bench",
                                                            "staging/" + index,
                                                            1,
                                                            1)
                                                    .submitted(
                                                            Submission.batch(
                                                                    "batch_" + index,
                                                                    "file_" + index,
                                                                    BatchState.RUNNING,
                                                                    "in_progress"),
                                                            T0.minusSeconds(3600),
                                                            T0.minusMillis(n - index)));
                                }));
            }
            for (Future<?> w : writes) {
                w.get();
            }
        } finally {
            pool.shutdown();
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    private void line(String format, Object... args) {
        String s = String.format(format, args);
        System.out.println(s);
        report.add(s);
    }

    /** Every batch still running; each status check optionally takes PROVIDER_MILLIS. */
    static final class BenchProvider implements BatchProvider {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public String name() {
            return "bench";
        }

        @Override
        public java.util.Optional<java.time.Duration> inputFileLifetime() {
            return java.util.Optional.empty();
        }

        @Override
        public IngestLimits limits() {
            throw new UnsupportedOperationException("poll cuts no shards");
        }

        @Override
        public RequestContract contract() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Submission submit(Payload payload, String endpoint, Map<String, String> metadata) {
            throw new UnsupportedOperationException("only in-flight shards here");
        }

        /** Makes nothing a lost answer could hide: every batch exists only in this process. */
        @Override
        public dev.batchlane.core.provider.Reconciliation findCreated(
                dev.batchlane.core.provider.CreationQuery query) {
            return dev.batchlane.core.provider.Reconciliation.nothing("nothing is made remotely");
        }

        @Override
        public BatchView retrieve(String batchId) {
            calls.incrementAndGet();
            if (PROVIDER_MILLIS > 0) {
                try {
                    Thread.sleep(PROVIDER_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return new BatchView(
                    batchId,
                    BatchState.RUNNING,
                    "in_progress",
                    new BatchCounts(10, 3, 0),
                    null,
                    null,
                    null);
        }

        @Override
        public void streamResults(BatchView batch, Consumer<LineResult> sink) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void cleanup(String inputFileId, String outputFileId, String errorFileId) {
            throw new UnsupportedOperationException();
        }
    }
}
