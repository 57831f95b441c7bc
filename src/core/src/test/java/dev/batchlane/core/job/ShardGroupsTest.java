package dev.batchlane.core.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.RunMode;
import org.junit.jupiter.api.Test;

/**
 * The shard's value groups fill in what an item or a caller leaves out, as the shard's own fields
 * did before they were grouped: a batch without counts has none, one without a run mode runs as a
 * batch, and a shard built without a group has that group's empty value, never null.
 */
class ShardGroupsTest {

    @Test
    void aBatchWithoutCountsOrRunMode_hasNoCountsAndRunsAsABatch() {
        ProviderBatch batch =
                new ProviderBatch(
                        "batch-1",
                        "file-1",
                        null,
                        null,
                        "in_progress",
                        null,
                        null,
                        BatchState.RUNNING,
                        null,
                        0);

        assertThat(batch.providerCounts()).isEqualTo(BatchCounts.NONE);
        assertThat(batch.runMode()).isEqualTo(RunMode.BATCH);
    }

    @Test
    void aShardBuiltWithoutItsGroups_hasTheirEmptyValues() {
        Shard shard =
                Shard.builder("job-1", 0)
                        .input(null)
                        .batch(null)
                        .timeline(null)
                        .queueWait(null)
                        .build();

        assertThat(shard.input()).isEqualTo(ShardInput.NONE);
        assertThat(shard.batch()).isEqualTo(ProviderBatch.NONE);
        assertThat(shard.batch().runMode()).isEqualTo(RunMode.BATCH);
        assertThat(shard.timeline()).isEqualTo(ShardTimeline.NONE);
        assertThat(shard.queueWait()).isEqualTo(QueueWait.NONE);
    }
}
