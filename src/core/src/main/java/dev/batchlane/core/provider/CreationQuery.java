package dev.batchlane.core.provider;

import dev.batchlane.core.job.CreationAttempt;
import java.time.Instant;
import java.util.Map;

/**
 * What identifies the things an unanswered creating call for one shard may have made: the shard's
 * payload (its name carries the job and shard ids), its request count, the batch metadata the lane
 * sends, which step was attempted and when it started. {@code inputFileId} is the upload already
 * recorded for the shard, if any; {@code knownBatchIds} are batches other shards of the job have
 * recorded, which are therefore not this shard's.
 */
public record CreationQuery(
        String jobId,
        String shardName,
        Payload payload,
        long requestCount,
        Map<String, String> metadata,
        CreationAttempt.Step step,
        Instant attemptedAt,
        String inputFileId,
        java.util.Set<String> knownBatchIds) {

    public CreationQuery {
        knownBatchIds =
                knownBatchIds == null ? java.util.Set.of() : java.util.Set.copyOf(knownBatchIds);
    }
}
