package dev.batchlane.core.poll;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.Deadline;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.storage.ObjectStore;
import dev.batchlane.core.testkit.InMemoryJobStore;
import dev.batchlane.core.testkit.ScriptedProvider;
import dev.batchlane.core.testkit.TestClock;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One poll cycle over an in-memory store and a provider whose calls a test steers. */
class PollServiceTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final LaneSettings LANE =
            new LaneSettings(
                    ScriptedProvider.LIMITS,
                    Duration.ofMinutes(1),
                    Duration.ofMinutes(30),
                    200,
                    Path.of("/tmp"));

    private final TestClock clock = new TestClock(T0);
    private final InMemoryJobStore memory = new InMemoryJobStore();
    private final TestProvider provider = new TestProvider();
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void releaseBlockedCalls() {
        release.countDown();
    }

    private PollService poll(JobStore store, PollSettings settings) {
        return new PollService(
                store,
                NO_OBJECTS,
                new Providers(List.of(provider)),
                LANE,
                settings,
                clock,
                LaneMetrics.NONE);
    }

    private static Job job(String id) {
        return Job.builder(id, "test")
                .status(JobStatus.RUNNING)
                .input("b", "inbox/test/" + id + ".jsonl", "etag")
                .name(id)
                .sha256("sha")
                .inputBytes(10)
                .requestCount(4)
                .model("m")
                .endpoint("/v1/chat/completions")
                .createdAt(T0)
                .submittedAt(T0)
                .estimatedCostUsd("0.1")
                .budgetUsd("5")
                .build();
    }

    /** A submitted shard due {@code ageSeconds} before T0 (older first in the due order). */
    private Shard submitted(String jobId, int index, int ageSeconds) {
        Shard s =
                Shard.staged(jobId, index, "test", "staging/" + jobId + "/" + index, 10, 100)
                        .submitted(
                                Submission.batch(
                                        "batch_" + jobId + "_" + index,
                                        "file_" + index,
                                        BatchState.PENDING,
                                        "validating"),
                                T0.minusSeconds(3600),
                                T0.minusSeconds(ageSeconds));
        memory.createShard(s);
        return memory.shard(jobId, index).orElseThrow();
    }

    private Shard staged(String jobId, int index, int ageSeconds) {
        memory.createShard(
                Shard.staged(
                        jobId,
                        index,
                        "test",
                        "staging/" + jobId + "/" + index,
                        10,
                        100,
                        0,
                        T0.minusSeconds(ageSeconds)));
        return memory.shard(jobId, index).orElseThrow();
    }

    private Shard stored(Shard s) {
        return memory.shard(s.jobId(), s.index()).orElseThrow();
    }

    @Test
    void slowProviderCallOnOneShard_doesNotHoldUpTheOthers() throws Exception {
        memory.createJob(job("j"));
        // The oldest due shard is the slow one, so a cycle that handles shards one by one meets it
        // first.
        Shard slow = submitted("j", 0, 100);
        List<Shard> others =
                IntStream.range(1, 10).mapToObj(i -> submitted("j", i, 50 - i)).toList();
        provider.onRetrieve =
                batchId -> {
                    if (batchId.equals(slow.batch().batchId())) {
                        await(release);
                    }
                    return TestProvider.running(batchId);
                };
        PollService poll = poll(memory, new PollSettings(3, Duration.ofSeconds(30), 20));

        CompletableFuture<PollService.Summary> cycle = CompletableFuture.supplyAsync(poll::pollDue);

        long start = System.nanoTime();
        while (others.stream().anyMatch(s -> stored(s).batch().pollCount() == 0)
                && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5)) {
            Thread.sleep(10);
        }
        assertThat(others)
                .as("every other shard polled while one provider call is still blocked")
                .allSatisfy(s -> assertThat(stored(s).batch().pollCount()).isEqualTo(1));
        assertThat(stored(slow).batch().pollCount()).isZero();
        assertThat(cycle).isNotDone();

        release.countDown();
        PollService.Summary summary = cycle.get(5, TimeUnit.SECONDS);
        assertThat(summary.progressed()).isEqualTo(10);
        assertThat(stored(slow).batch().pollCount()).isEqualTo(1);
    }

    @Test
    void exceptionOnOneShard_isRecordedForThatShardAndTheCycleGoesOn() {
        memory.createJob(job("j"));
        Shard orphan = staged("no-such-job", 0, 300); // no job record
        Shard broken = submitted("j", 1, 200); // the provider throws something unexpected
        Shard unwritable = submitted("j", 2, 150); // the store fails writing it
        List<Shard> fine = IntStream.range(3, 6).mapToObj(i -> submitted("j", i, 100 - i)).toList();
        provider.onRetrieve =
                batchId -> {
                    if (batchId.equals(broken.batch().batchId())) {
                        throw new IllegalStateException("unexpected answer shape");
                    }
                    return TestProvider.running(batchId);
                };
        JobStore failing =
                new CountingJobStore(memory) {
                    @Override
                    public Optional<Shard> updateShard(Shard current, Shard next) {
                        if (current.id().equals(unwritable.id())) {
                            throw new RuntimeException("storage unavailable");
                        }
                        return super.updateShard(current, next);
                    }
                };

        // One thread: the failures come first, and the shards after them are still handled.
        PollService.Summary summary =
                poll(failing, new PollSettings(1, Duration.ofSeconds(30), 20)).pollDue();

        assertThat(summary.errors()).isEqualTo(3);
        assertThat(summary.progressed()).isEqualTo(3);
        assertThat(fine).allSatisfy(s -> assertThat(stored(s).batch().pollCount()).isEqualTo(1));
        // Next poll pushed out by the usual growing delay, from now.
        assertThat(stored(orphan).timeline().dueAt()).isEqualTo(T0.plus(LANE.pollDelay(1)));
        assertThat(stored(orphan).status()).isEqualTo(ShardStatus.STAGED);
        assertThat(stored(broken).timeline().dueAt()).isEqualTo(T0.plus(LANE.pollDelay(1)));
        // The shard the store could not write stays as it was, due, for the next cycle.
        assertThat(stored(unwritable)).isEqualTo(unwritable);
        assertThat(memory.dueShards(T0, 100)).containsExactly(stored(unwritable));
    }

    @Test
    void
            failuresInARow_areRecordedOnTheShard_pushItsPollFurtherOut_flagItStuck_andClearWhenItRecovers() {
        memory.createJob(job("j"));
        Shard broken = submitted("j", 1, 200);
        Shard fine = submitted("j", 2, 100);
        boolean[] healthy = {false};
        provider.onRetrieve =
                batchId -> {
                    if (batchId.equals(broken.batch().batchId()) && !healthy[0]) {
                        throw new IllegalStateException("unexpected answer shape");
                    }
                    return TestProvider.running(batchId);
                };
        PollService poll = poll(memory, new PollSettings(1, Duration.ofSeconds(30), 20));

        for (int failures = 1; failures <= 3; failures++) {
            poll.pollDue();
            var trouble = stored(broken).trouble();
            assertThat(trouble.failures()).isEqualTo(failures);
            assertThat(trouble.lastError())
                    .isEqualTo("IllegalStateException: unexpected answer shape");
            assertThat(stored(broken).timeline().dueAt())
                    .isEqualTo(clock.instant().plus(LANE.pollDelay(failures)));
            assertThat(trouble.isStuck()).isEqualTo(failures >= 3);
            clock.advance(Duration.ofHours(1));
        }
        assertThat(stored(broken).trouble().stuck()).contains("poll failed 3 times in a row");
        assertThat(stored(fine).trouble()).as("only the failing shard").isNull();

        healthy[0] = true;
        poll.pollDue();
        assertThat(stored(broken).trouble()).as("cleared by its next good poll").isNull();
        assertThat(stored(broken).batch().pollCount()).isEqualTo(1);
    }

    @Test
    void nearTheDeadline_noNewShardIsClaimed_andTheRestStayDue() {
        memory.createJob(job("j"));
        List<Shard> due = IntStream.range(0, 10).mapToObj(i -> submitted("j", i, 100 - i)).toList();
        // Each status check takes 10 s of the invocation.
        provider.onRetrieve =
                batchId -> {
                    clock.advance(Duration.ofSeconds(10));
                    return TestProvider.running(batchId);
                };
        PollService poll = poll(memory, new PollSettings(1, Duration.ofSeconds(30), 20));

        PollService.Summary summary = poll.pollDue(Deadline.in(clock, Duration.ofSeconds(60)));

        // Claimed at 0, 10 and 20 s (each leaving more than the 30 s margin); at 30 s it stops.
        assertThat(summary.progressed()).isEqualTo(3);
        assertThat(summary.deferred()).isEqualTo(7);
        assertThat(provider.retrieves).hasValue(3);
        List<Shard> untouched = due.subList(3, 10);
        assertThat(untouched).allSatisfy(s -> assertThat(stored(s)).isEqualTo(s));
        assertThat(memory.dueShards(clock.instant(), 100)).containsAll(untouched);
    }

    @Test
    void withLessThanTheMarginLeft_aCycleClaimsNothingAndReadsNothing() {
        memory.createJob(job("j"));
        Shard s = submitted("j", 0, 10);
        CountingJobStore counting = new CountingJobStore(memory);

        PollService.Summary summary =
                poll(counting, new PollSettings(4, Duration.ofSeconds(30), 20))
                        .pollDue(Deadline.in(clock, Duration.ofSeconds(29)));

        assertThat(summary).isEqualTo(PollService.Summary.empty());
        assertThat(counting.total()).isZero();
        assertThat(provider.retrieves).hasValue(0);
        assertThat(stored(s)).isEqualTo(s);
    }

    @Test
    void submissionsAreCappedPerCycle_theRestStayStagedAndDue() {
        memory.createJob(job("j"));
        List<Shard> held = IntStream.range(0, 5).mapToObj(i -> staged("j", i, 100 - i)).toList();
        Shard inFlight = submitted("j", 9, 1);
        PollService poll = poll(memory, new PollSettings(4, Duration.ofSeconds(30), 2));

        PollService.Summary first = poll.pollDue();

        assertThat(first.submitted()).isEqualTo(2);
        assertThat(first.deferred()).isEqualTo(3);
        assertThat(first.progressed()).isEqualTo(1);
        assertThat(provider.submits).hasValue(2);
        assertThat(held.stream().map(this::stored).filter(s -> s.status() == ShardStatus.STAGED))
                .hasSize(3)
                .allSatisfy(
                        s -> assertThat(s.timeline().dueAt()).isBeforeOrEqualTo(clock.instant()));
        assertThat(stored(inFlight).batch().pollCount()).isEqualTo(1);

        clock.advance(Duration.ofMinutes(1));
        PollService.Summary second = poll.pollDue();
        assertThat(second.submitted()).isEqualTo(2);
        assertThat(provider.submits).hasValue(4);
    }

    @Test
    void storeCallsPerCycle_growWithTheDueShardsAndEachJobIsReadOnce() {
        int jobs = 3;
        int submittedPerJob = 20;
        int stagedPerJob = 2;
        for (int j = 0; j < jobs; j++) {
            memory.createJob(job("j" + j));
            for (int i = 0; i < submittedPerJob; i++) {
                submitted("j" + j, i, 500 - i);
            }
            for (int i = 0; i < stagedPerJob; i++) {
                staged("j" + j, 100 + i, 400 - i);
            }
        }
        CountingJobStore counting = new CountingJobStore(memory);

        PollService.Summary summary =
                poll(counting, new PollSettings(4, Duration.ofSeconds(30), 100)).pollDue();

        int staged = jobs * stagedPerJob;
        int inFlight = jobs * submittedPerJob;
        assertThat(summary.due()).isEqualTo(staged + inFlight);
        assertThat(summary.submitted()).isEqualTo(staged);
        assertThat(summary.progressed()).isEqualTo(inFlight);
        assertThat(counting.calls("dueShards")).isEqualTo(1);
        // One read per job for the cycle, plus the submitter's two fresh looks for a cancel per
        // submission
        // (before the claim, and once the batch exists); none per in-flight shard.
        assertThat(counting.calls("job")).isEqualTo(jobs + 2 * staged);
        assertThat(counting.calls("shards")).isZero();
        assertThat(counting.calls("shard")).isZero();
        // One write per status check, two per submission (claim, then the batch id).
        assertThat(counting.calls("updateShard")).isEqualTo(inFlight + 2 * staged);
        assertThat(provider.retrieves).hasValue(inFlight);
        assertThat(provider.submits).hasValue(staged);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never released the blocked call");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static final ObjectStore NO_OBJECTS =
            new ObjectStore() {
                @Override
                public InputStream open(String key, String versionOrEtag) {
                    throw new UnsupportedOperationException("the test provider reads no payload");
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
