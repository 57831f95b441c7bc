package dev.batchlane.core.poll;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.testkit.Lane;
import dev.batchlane.core.testkit.ScriptedProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job that lives longer than the bucket keeps staged shards, on the in-memory lane with the
 * bucket's lifecycle played by the test: each round deletes every staged object written a lifetime
 * ago or more, as the {@code expire-staging} rule would.
 */
class StagingLifetimeSpecTest {
    private static final Duration LIFETIME = Duration.ofDays(14);

    @TempDir Path tmp;

    private Lane lane(Duration lifetime) {
        return new Lane(
                new ScriptedProvider("openai"),
                new LaneSettings(
                                ScriptedProvider.LIMITS,
                                Duration.ofMinutes(1),
                                Duration.ofMinutes(30),
                                200,
                                tmp)
                        .withStagingLifetime(lifetime));
    }

    /** The lifecycle rule: staged objects a lifetime old are gone. */
    private static void expireStaging(Lane lane) {
        Instant now = lane.clock.instant();
        for (String key : lane.objects.list("staging/")) {
            Instant written = lane.objects.head(key).orElseThrow().lastModified();
            if (!now.isBefore(written.plus(LIFETIME))) {
                lane.objects.delete(key);
            }
        }
    }

    /** Polls and completes every 30 minutes of lane time, expiring staged objects as it goes. */
    private static Job runUnderLifecycle(Lane lane, String jobId) {
        for (int round = 0; round < 2_000; round++) {
            expireStaging(lane);
            lane.completeEnded(jobId);
            Job j = lane.store.job(jobId).orElseThrow();
            if (j.status() == JobStatus.COMPLETED) {
                return j;
            }
            lane.clock.advance(Duration.ofMinutes(30));
            lane.poll.pollDue();
        }
        throw new AssertionError("job " + jobId + " did not complete in 2,000 rounds");
    }

    @Test
    void aBatchRunningLongerThanTheStagingLifetime_stillJoinsEveryLine_itsShardRefreshedByPoll() {
        Lane lane = lane(LIFETIME);
        // About 15 days of 30-minute polls before the batch ends: longer than the lifetime.
        lane.provider.runningPolls = 720;
        IngestService.Ingestion r =
                lane.ingest.ingest(lane.drop("slow.jsonl", Lane.requests("r", 3), Map.of()));
        String key = lane.store.shards(r.jobId()).get(0).input().stagingKey();
        Instant staged = lane.objects.head(key).orElseThrow().lastModified();

        runUnderLifecycle(lane, r.jobId());

        Shard done = lane.store.shards(r.jobId()).get(0);
        assertThat(done.result().succeeded())
                .as("every line joined to its staged request (shard %s)", done)
                .isEqualTo(3);
        assertThat(lane.clock.instant()).isAfter(staged.plus(LIFETIME));
    }

    @Test
    void aJobYoungerThanHalfTheLifetime_itsStagedShardIsNeverRewritten() {
        Lane lane = lane(LIFETIME);
        lane.provider.runningPolls = 100;
        IngestService.Ingestion r =
                lane.ingest.ingest(lane.drop("quick.jsonl", Lane.requests("r", 3), Map.of()));
        String key = lane.store.shards(r.jobId()).get(0).input().stagingKey();
        String version = lane.objects.head(key).orElseThrow().versionId();

        runUnderLifecycle(lane, r.jobId());

        assertThat(lane.objects.head(key).orElseThrow().versionId()).isEqualTo(version);
    }
}
