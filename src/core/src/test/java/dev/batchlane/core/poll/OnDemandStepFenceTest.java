package dev.batchlane.core.poll;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.AdmissionBudget;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.provider.RunMode;
import dev.batchlane.core.testkit.Lane;
import dev.batchlane.core.testkit.ScriptedProvider.Create;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Work an adapter runs itself (on demand, model call by model call) is billed inside retrieve. Two
 * polls that found the same shard due (an overlapping schedule, a retried invocation) both ran a
 * step, and the fault suite saw blocks of Bedrock records invoked twice. A poll now takes an
 * on-demand shard with a conditional write before its step; the one holding a stale read leaves it.
 */
class OnDemandStepFenceTest {
    @TempDir Path tmp;

    @Test
    void twoPollsWithTheSameRead_onlyOneRunsTheOnDemandStep() {
        Lane lane = new Lane(tmp);
        lane.provider.creates(Create.ON_DEMAND);
        IngestService.Ingestion r =
                lane.ingest.ingest(lane.drop("small.jsonl", Lane.requests("r", 3), Map.of()));
        Shard read = lane.store.shards(r.jobId()).get(0);
        assertThat(read.batch().runMode()).isEqualTo(RunMode.ON_DEMAND);
        long before = lane.provider.count("retrieve");

        BatchFollower first = follower(lane);
        BatchFollower second = follower(lane);
        PollStep a = first.follow(read, new PollCycle(lane.store));
        PollStep b = second.follow(read, new PollCycle(lane.store));

        assertThat(List.of(a, b)).containsOnlyOnce(PollStep.CONFLICT);
        assertThat(lane.provider.count("retrieve") - before)
                .as("steps run for one shard by two polls holding the same read")
                .isEqualTo(1);
    }

    /**
     * The other overlap: this poll's index query listed the shard before another poll took it, and
     * its read of the item came after (DynamoDB's due query lists keys, then reads the items). The
     * read is current, so a conditional write on it succeeds; only the due time, pushed past now by
     * the take, says another step runs.
     */
    @Test
    void aPollThatReadTheShardAfterAnotherTookIt_runsNoSecondStep() {
        Lane lane = new Lane(tmp);
        lane.provider.creates(Create.ON_DEMAND);
        IngestService.Ingestion r =
                lane.ingest.ingest(lane.drop("small.jsonl", Lane.requests("r", 3), Map.of()));
        BatchFollower second = follower(lane);
        Shard found = lane.store.shards(r.jobId()).get(0);
        // Another poll's take, as BatchFollower writes it: due again only after the grace.
        Shard takenByAnother =
                lane.store
                        .updateShard(
                                found,
                                found.withDue(
                                        lane.clock.instant().plus(lane.settings.completeGrace())))
                        .orElseThrow();
        long before = lane.provider.count("retrieve");

        PollStep step = second.follow(takenByAnother, new PollCycle(lane.store));

        assertThat(step).isEqualTo(PollStep.CONFLICT);
        assertThat(lane.provider.count("retrieve") - before)
                .as("steps run by a poll that read the shard after another poll took it")
                .isZero();
        assertThat(lane.store.shards(r.jobId()).get(0)).isEqualTo(takenByAnother);
    }

    @Test
    void aBatch_isFollowedWithoutTheExtraWrite() {
        Lane lane = new Lane(tmp);
        IngestService.Ingestion r =
                lane.ingest.ingest(lane.drop("batch.jsonl", Lane.requests("r", 3), Map.of()));
        Shard read = lane.store.shards(r.jobId()).get(0);
        assertThat(read.batch().runMode()).isEqualTo(RunMode.BATCH);
        long version = read.version();

        follower(lane).follow(read, new PollCycle(lane.store));

        assertThat(lane.store.shards(r.jobId()).get(0).version())
                .as("one write, the progress")
                .isEqualTo(version + 1);
    }

    /** A poll's follower, once the shards handed over are due (after the first poll delay). */
    private static BatchFollower follower(Lane lane) {
        lane.clock.advance(lane.settings.firstPollDelay().plusSeconds(1));
        return new BatchFollower(
                lane.store,
                new Providers(List.of(lane.provider)),
                new AdmissionBudget(lane.store, lane.settings.admission()),
                lane.settings,
                lane.clock,
                LaneMetrics.NONE,
                new ShardTroubles(lane.store, lane.settings, lane.clock, LaneMetrics.NONE));
    }
}
