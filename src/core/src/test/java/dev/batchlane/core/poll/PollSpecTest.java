package dev.batchlane.core.poll;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.testkit.Lane;
import dev.batchlane.core.testkit.ScriptedProvider.Create;
import dev.batchlane.core.testkit.ScriptedProvider.Fate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Poll against a provider whose queue is full, specified on the in-memory lane: the shard waits
 * with its upload instead of failing, the stated limit is learned, and the job still completes.
 */
class PollSpecTest {
    @TempDir Path tmp;

    @Test
    void
            poll_tokenLimitExceededAtCreate_theShardWaitsWithItsUpload_andIsCreatedLaterFromTheSameFile() {
        Lane lane = new Lane(tmp);
        lane.provider.creates(Create.TOKEN_LIMIT_EXCEEDED);
        IngestService.Ingestion r =
                lane.ingest.ingest(lane.drop("full.jsonl", Lane.requests("r", 3), Map.of()));

        Shard waiting = lane.store.shards(r.jobId()).get(0);
        assertThat(waiting.status()).isEqualTo(ShardStatus.STAGED);
        assertThat(waiting.batch().inputFileId()).as("the upload is kept").isEqualTo("file-1");
        assertThat(waiting.queueWait().times()).isEqualTo(1);
        assertThat(lane.store.pool("openai/gpt-4o-mini").learnedLimit())
                .as("the limit the provider stated")
                .isEqualTo(2_000_000L);

        lane.clock.advance(Duration.ofHours(1));
        lane.poll.pollDue();

        Shard submitted = lane.store.shards(r.jobId()).get(0);
        assertThat(submitted.status()).isEqualTo(ShardStatus.SUBMITTED);
        assertThat(lane.provider.count("upload")).as("not uploaded twice").isEqualTo(1);
        assertThat(submitted.batch().inputFileId()).isEqualTo("file-1");
    }

    @Test
    void poll_aBatchFailedBecauseTheQueueWasFull_isRequeued_notFailed_andTheJobCompletes() {
        Lane lane = new Lane(tmp);
        lane.provider.batches(Fate.QUEUE_FULL);
        IngestService.Ingestion r =
                lane.ingest.ingest(lane.drop("queue.jsonl", Lane.requests("r", 3), Map.of()));

        lane.runToCompletion(r.jobId(), 20);

        assertThat(lane.provider.batchIds())
                .as("the failed batch, then its replacement")
                .hasSize(2);
        assertThat(lane.provider.requestsOf("batch-2")).containsExactly("r0", "r1", "r2");
        assertThat(lane.provider.count("upload")).isEqualTo(1);
        Shard done = lane.store.shards(r.jobId()).get(0);
        assertThat(done.result().succeeded()).isEqualTo(3);
        assertThat(done.queueWait().times()).isEqualTo(1);
    }

    private Lane limitedTo(long tokens) {
        return new Lane(
                new dev.batchlane.core.testkit.ScriptedProvider("openai"),
                new dev.batchlane.core.lane.LaneSettings(
                                dev.batchlane.core.testkit.ScriptedProvider.LIMITS,
                                Duration.ofMinutes(1),
                                Duration.ofMinutes(30),
                                200,
                                tmp)
                        .withAdmission(
                                new dev.batchlane.core.lane.AdmissionBudget.Settings(
                                        Map.of("openai/gpt-4o-mini", tokens),
                                        0,
                                        Duration.ofHours(26))));
    }

    /**
     * A shard over the queue limit used to be admitted alone, refused, requeued without a cap and
     * never flagged, until its staged file expired two weeks later. Alone in an empty queue it
     * fails the same way: it ends at once, saying why, and the job completes.
     */
    @Test
    void aShardOverTheQueueLimit_refusedAtCreate_endsWithExceedsQueueLimit_andTheJobCompletes() {
        // Staged before the limit was configured (ingest now cuts shards under a known limit), and
        // refused for the queue once sent.
        Lane unlimited = new Lane(tmp);
        unlimited.provider.creates(Create.TOKEN_LIMIT_EXCEEDED, Create.TOKEN_LIMIT_EXCEEDED);
        IngestService.Ingestion r =
                unlimited.ingest.ingest(
                        unlimited.drop("big.jsonl", Lane.requests("r", 3), Map.of()));
        Lane lane = unlimited.withSettings(limitedTo(5).settings);
        assertThat(lane.store.shards(r.jobId()).get(0).status()).isEqualTo(ShardStatus.STAGED);

        lane.clock.advance(lane.settings.maxPollDelay());
        lane.poll.pollDue();

        Shard ended = lane.store.shards(r.jobId()).get(0);
        assertThat(ended.status()).isEqualTo(ShardStatus.ENDED);
        assertThat(ended.batch().providerStatus()).isEqualTo("exceeds_queue_limit");
        assertThat(ended.batch().batchError())
                .contains("enqueued-token limit of 5")
                .contains("can never be queued");
        assertThat(lane.runToCompletion(r.jobId(), 5).status())
                .isEqualTo(dev.batchlane.core.job.JobStatus.COMPLETED);
        assertThat(lane.provider.batchIds()).as("nothing ran").isEmpty();
    }

    @Test
    void aShardOverTheQueueLimit_failedInValidation_endsInsteadOfBeingRequeued() {
        // Sent before the limit was configured; its batch fails validation for the queue.
        Lane unlimited = new Lane(tmp);
        unlimited.provider.batches(Fate.QUEUE_FULL, Fate.QUEUE_FULL, Fate.QUEUE_FULL);
        IngestService.Ingestion r =
                unlimited.ingest.ingest(
                        unlimited.drop("big.jsonl", Lane.requests("r", 3), Map.of()));
        Lane lane = unlimited.withSettings(limitedTo(5).settings);

        lane.runToCompletion(r.jobId(), 10);

        assertThat(lane.provider.batchIds()).as("one try, no loop").hasSize(1);
        Shard done = lane.store.shards(r.jobId()).get(0);
        assertThat(done.batch().batchError()).startsWith("exceeds_queue_limit");
    }

    /** A shard that fits but keeps meeting a full queue keeps trying, and is flagged after ten. */
    @Test
    void aShardRequeuedTenTimesForTheQueue_isFlaggedStuck_andStillCompletesWhenRoomComes() {
        Lane lane = new Lane(tmp);
        Fate[] full = new Fate[PollService.REQUEUES_BEFORE_STUCK];
        java.util.Arrays.fill(full, Fate.QUEUE_FULL);
        lane.provider.batches(full);
        IngestService.Ingestion r =
                lane.ingest.ingest(lane.drop("queue.jsonl", Lane.requests("r", 3), Map.of()));

        String flagged = null;
        for (int round = 0; round < 60 && flagged == null; round++) {
            lane.clock.advance(lane.settings.maxPollDelay());
            lane.poll.pollDue();
            Shard s = lane.store.shards(r.jobId()).get(0);
            flagged = s.trouble() == null ? null : s.trouble().stuck();
        }
        assertThat(flagged).startsWith("requeued 10 times for the provider's queue");

        lane.runToCompletion(r.jobId(), 40);
        Shard done = lane.store.shards(r.jobId()).get(0);
        assertThat(done.result().succeeded()).isEqualTo(3);
    }
}
