package dev.batchlane.core.poll;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.cancel.CancelService;
import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.lane.ShardSubmitter;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.testkit.InMemoryJobStore;
import dev.batchlane.core.testkit.ScriptedProvider;
import dev.batchlane.core.testkit.TestClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A job's cancel reaches every one of its batches: past a refusal, during a submission, and through
 * poll.
 */
class CancelReachesEveryShardTest {
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
    private final Providers providers = new Providers(List.of(provider));
    private final CancelService cancel =
            new CancelService(
                    memory, PollServiceTest.NO_OBJECTS, providers, LANE, clock, LaneMetrics.NONE);

    private void job(String id) {
        memory.createJob(
                Job.builder(id, "test")
                        .status(JobStatus.RUNNING)
                        .input("b", "inbox/test/" + id + ".jsonl", "etag")
                        .name(id)
                        .sha256("sha")
                        .inputBytes(10)
                        .requestCount(4)
                        .shardCount(3)
                        .model("m")
                        .endpoint("/v1/chat/completions")
                        .createdAt(T0)
                        .submittedAt(T0)
                        .estimatedCostUsd("0.1")
                        .budgetUsd("5")
                        .build());
    }

    private Shard submitted(String jobId, int index) {
        memory.createShard(
                Shard.staged(jobId, index, "test", "staging/" + jobId + "/" + index, 10, 100)
                        .submitted(
                                Submission.batch(
                                        "batch_" + jobId + "_" + index,
                                        "file_" + index,
                                        BatchState.RUNNING,
                                        "in_progress"),
                                T0.minusSeconds(600),
                                T0.minusSeconds(60)));
        return memory.shard(jobId, index).orElseThrow();
    }

    @Test
    void aBatchThatJustEndedAnswers400_theOtherShardsAreCancelledAllTheSame() {
        job("j");
        submitted("j", 1);
        submitted("j", 2);
        submitted("j", 3);
        provider.onCancel =
                b ->
                        b.equals("batch_j_1")
                                ? new ProviderException(
                                        "Cannot cancel a batch with status 'completed'.",
                                        400,
                                        "invalid_request_error",
                                        false,
                                        null)
                                : null;

        CancelService.Cancellation r = cancel.cancel("j");

        assertThat(r.outcome()).isEqualTo(CancelService.Outcome.CANCELLING);
        assertThat(provider.cancels).containsExactly("batch_j_1", "batch_j_2", "batch_j_3");
        assertThat(r.batchesCancelled()).isEqualTo(2);
        assertThat(memory.job("j").orElseThrow().cancelRequested()).isTrue();
    }

    @Test
    void cancelArrivingWhileAShardIsSubmitting_theSubmitterCancelsItsBatchRightAfterCreatingIt() {
        job("j");
        memory.createShard(Shard.staged("j", 1, "test", "staging/j/1", 10, 100));
        Shard staged = memory.shard("j", 1).orElseThrow();
        ShardSubmitter submitter =
                new ShardSubmitter(
                        memory,
                        PollServiceTest.NO_OBJECTS,
                        providers,
                        LANE,
                        clock,
                        LaneMetrics.NONE);
        // The owner's cancel runs while the batch is being created: it sees the shard SUBMITTING,
        // no batch yet.
        provider.duringSubmit =
                () -> {
                    assertThat(memory.shard("j", 1).orElseThrow().status())
                            .isEqualTo(ShardStatus.SUBMITTING);
                    assertThat(cancel.cancel("j").batchesCancelled()).isZero();
                };

        ShardSubmitter.SubmitOutcome r = submitter.submit(memory.job("j").orElseThrow(), staged);

        assertThat(r).isEqualTo(ShardSubmitter.SubmitOutcome.SUBMITTED);
        Shard after = memory.shard("j", 1).orElseThrow();
        assertThat(after.status()).isEqualTo(ShardStatus.SUBMITTED);
        assertThat(provider.cancels).containsExactly(after.batch().batchId());
    }

    @Test
    void pollCancelsARunningBatchOfACancelledJob_butNotOneAlreadyCancelling() {
        job("j");
        submitted("j", 1);
        submitted("j", 2);
        // The cancel was asked for, but its call for shard 1 never reached the provider; shard 2 is
        // cancelling.
        assertThat(memory.requestCancel("j", T0)).isTrue();
        provider.onRetrieve =
                b ->
                        b.equals("batch_j_2")
                                ? new BatchView(
                                        b,
                                        BatchState.CANCELLING,
                                        "cancelling",
                                        new BatchCounts(10, 1, 0),
                                        null,
                                        null,
                                        null)
                                : TestProvider.running(b);

        PollService poll =
                new PollService(
                        memory,
                        PollServiceTest.NO_OBJECTS,
                        providers,
                        LANE,
                        PollSettings.defaults(),
                        clock,
                        LaneMetrics.NONE);
        PollService.Summary s = poll.pollDue();

        assertThat(s.progressed()).isEqualTo(2);
        assertThat(provider.cancels).containsExactly("batch_j_1");
    }

    @Test
    void pollLeavesRunningBatchesOfAJobNotCancelled() {
        job("j");
        submitted("j", 1);

        new PollService(
                        memory,
                        PollServiceTest.NO_OBJECTS,
                        providers,
                        LANE,
                        PollSettings.defaults(),
                        clock,
                        LaneMetrics.NONE)
                .pollDue();

        assertThat(provider.cancels).isEmpty();
    }
}
