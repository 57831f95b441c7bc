package dev.batchlane.core.lane;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.Payload;
import java.util.Map;

/**
 * One submission's fixed parts: the job, the shard as the caller found it, its provider and the
 * staged payload.
 */
record Sending(Job job, Shard staged, BatchProvider provider, Payload payload, StagedRead read) {
    Map<String, String> metadata() {
        return Map.of(
                "batchlane_job_id", job.jobId(), "batchlane_shard", Shard.partName(staged.index()));
    }

    String shardName() {
        return Shard.partName(staged.index());
    }
}
