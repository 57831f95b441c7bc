package dev.batchlane.core.lane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.testkit.Lane;
import dev.batchlane.core.testkit.ScriptedProvider.Create;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shard keeps its upload while it waits for the provider, so the next create reuses it; but a
 * provider deletes uploaded files after a while (Gemini after 48 hours), and a shard can wait
 * longer. A file near the end of its lifetime is uploaded again instead of named in a create that
 * fails on every re-drive.
 */
class UploadLifetimeSpecTest {
    @TempDir Path tmp;

    private static final Duration LIFETIME = Duration.ofHours(48);

    /** A lane whose first create is refused for now (429), so the shard waits with its upload. */
    private Lane laneWithAWaitingUpload() {
        Lane lane = new Lane(tmp);
        lane.provider.filesLive(LIFETIME, lane.clock).creates(Create.RATE_LIMITED);
        return lane;
    }

    private static Shard only(Lane lane, String jobId) {
        List<Shard> shards = lane.store.shards(jobId);
        assertThat(shards).hasSize(1);
        return shards.get(0);
    }

    @Test
    void aShardThatWaitedPastItsUploadsLifetime_uploadsAgain_andIsCreatedFromTheNewFile() {
        Lane lane = laneWithAWaitingUpload();
        IngestService.Ingestion r =
                lane.ingest.ingest(lane.drop("wait.jsonl", Lane.requests("r", 3), Map.of()));
        Shard waiting = only(lane, r.jobId());
        assertThat(waiting.status()).isEqualTo(ShardStatus.STAGED);
        assertThat(waiting.batch().inputFileId()).isEqualTo("file-1");
        assertThat(waiting.timeline().uploadedAt()).isEqualTo(Lane.T0);

        // 44 hours on: past 90% of the file's 48, though the provider still has it.
        lane.clock.advance(Duration.ofHours(44));
        lane.poll.pollDue();

        assertThat(lane.provider.createdFrom).containsExactly("file-1", "file-2");
        Shard submitted = only(lane, r.jobId());
        assertThat(submitted.status()).isEqualTo(ShardStatus.SUBMITTED);
        assertThat(submitted.batch().inputFileId()).isEqualTo("file-2");
        assertThat(submitted.timeline().uploadedAt()).isEqualTo(lane.clock.instant());
        assertThat(lane.runToCompletion(r.jobId(), 10).status()).isEqualTo(JobStatus.COMPLETED);
    }

    @Test
    void aShardThatWaitedLessThanItsUploadsLifetime_reusesItsUpload() {
        Lane lane = laneWithAWaitingUpload();
        IngestService.Ingestion r =
                lane.ingest.ingest(lane.drop("wait.jsonl", Lane.requests("r", 3), Map.of()));

        lane.clock.advance(Duration.ofHours(40));
        lane.poll.pollDue();

        assertThat(lane.provider.createdFrom).containsExactly("file-1", "file-1");
        assertThat(lane.provider.count("upload")).isEqualTo(1);
        assertThat(only(lane, r.jobId()).status()).isEqualTo(ShardStatus.SUBMITTED);
    }

    @Test
    void theRule_spendsAFileATenthOfItsLifetimeEarly_andNeverOneOfUnknownAgeOrWithoutExpiry() {
        Instant up = Instant.parse("2026-12-01T00:00:00Z");
        Optional<Duration> life = Optional.of(Duration.ofHours(10));

        assertThat(UploadLifetime.spent(up, life, up.plus(Duration.ofMinutes(539)))).isFalse();
        assertThat(UploadLifetime.spent(up, life, up.plus(Duration.ofHours(9)))).isTrue();
        assertThat(UploadLifetime.spent(null, life, up.plus(Duration.ofDays(30)))).isFalse();
        assertThat(UploadLifetime.spent(up, Optional.empty(), up.plus(Duration.ofDays(300))))
                .isFalse();
    }
}
