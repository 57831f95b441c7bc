package dev.batchlane.core.provider;

import dev.batchlane.core.job.CreationAttempt;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What identifies the things an unanswered creating call for one shard may have made: the shard's
 * payload (its name carries the job and shard ids), its request count, the batch metadata the lane
 * sends, which step was attempted and when it started. {@code inputFileId} is the upload already
 * recorded for the shard, if any; {@code knownBatchIds} are batches other shards of the job have
 * recorded, which are therefore not this shard's.
 *
 * <p>{@code settledBy} is the latest moment the attempted call (with the lane's own retries of it)
 * can have taken effect, by the lane's clock: the caller that made it held the shard's claim no
 * longer than that. A provider searched by time looks no later than this (plus its clock skew).
 * {@code recordedElsewhere} says whether a batch id is recorded by any other shard of the lane, of
 * any job (the lane's batch registry): such a batch is never this shard's.
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
        Set<String> knownBatchIds,
        Instant settledBy,
        Predicate<String> recordedElsewhere) {

    /**
     * How long a creating call, with the lane's retries of it, can last when nothing else is said:
     * the claim's grace (twice Lambda's longest run), which no caller outlives.
     */
    public static final Duration DEFAULT_CALL_LIFE = Duration.ofMinutes(30);

    public CreationQuery {
        knownBatchIds = knownBatchIds == null ? Set.of() : Set.copyOf(knownBatchIds);
        if (settledBy == null && attemptedAt != null) {
            settledBy = attemptedAt.plus(DEFAULT_CALL_LIFE);
        }
        if (recordedElsewhere == null) {
            recordedElsewhere = id -> false;
        }
    }

    /** Without the lane's registry: only the job's own other batches are known. */
    public CreationQuery(
            String jobId,
            String shardName,
            Payload payload,
            long requestCount,
            Map<String, String> metadata,
            CreationAttempt.Step step,
            Instant attemptedAt,
            String inputFileId,
            Set<String> knownBatchIds) {
        this(
                jobId,
                shardName,
                payload,
                requestCount,
                metadata,
                step,
                attemptedAt,
                inputFileId,
                knownBatchIds,
                null,
                null);
    }

    /**
     * Whether {@code batchId} belongs to another shard, of this job or of any job of the lane, and
     * so must never be taken for this shard's.
     */
    public boolean taken(String batchId) {
        return knownBatchIds.contains(batchId) || recordedElsewhere.test(batchId);
    }
}
