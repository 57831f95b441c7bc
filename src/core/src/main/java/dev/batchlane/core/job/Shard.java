package dev.batchlane.core.job;

import java.time.Instant;
import java.util.Objects;

/**
 * One provider batch of a job. {@code version} is the optimistic-lock counter every conditional
 * write checks; {@code dueAt} is non-null only while poll should look at the shard, which keeps the
 * due-index sparse.
 */
public record Shard(
        String jobId,
        int index,
        ShardStatus status,
        String provider,
        String stagingKey,
        long requestCount,
        long bytes,
        String batchId,
        String inputFileId,
        String outputFileId,
        String errorFileId,
        String providerStatus,
        BatchCounts providerCounts,
        String batchError,
        int pollCount,
        Instant dueAt,
        Instant submittedAt,
        Instant endedAt,
        Instant completedAt,
        ShardResult result,
        long version) {

    public Shard {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(status, "status");
        if (providerCounts == null) {
            providerCounts = BatchCounts.NONE;
        }
    }

    public static Shard staged(String jobId, int index, String provider, String stagingKey,
            long requestCount, long bytes) {
        return new Shard(jobId, index, ShardStatus.STAGED, provider, stagingKey, requestCount, bytes,
                null, null, null, null, null, BatchCounts.NONE, null, 0, null, null, null, null, null, 0);
    }

    public String id() {
        return jobId + "/" + partName(index);
    }

    public static String partName(int index) {
        return String.format("%05d", index);
    }

    public Shard withStatus(ShardStatus next) {
        return new Shard(jobId, index, next, provider, stagingKey, requestCount, bytes, batchId, inputFileId,
                outputFileId, errorFileId, providerStatus, providerCounts, batchError, pollCount, dueAt,
                submittedAt, endedAt, completedAt, result, version);
    }

    public Shard submitted(String batchId, String inputFileId, String providerStatus, Instant now, Instant dueAt) {
        return new Shard(jobId, index, ShardStatus.SUBMITTED, provider, stagingKey, requestCount, bytes, batchId,
                inputFileId, outputFileId, errorFileId, providerStatus, providerCounts, batchError, 0, dueAt,
                now, endedAt, completedAt, result, version);
    }

    public Shard polled(String providerStatus, BatchCounts counts, Instant dueAt) {
        return new Shard(jobId, index, status, provider, stagingKey, requestCount, bytes, batchId, inputFileId,
                outputFileId, errorFileId, providerStatus, counts, batchError, pollCount + 1, dueAt,
                submittedAt, endedAt, completedAt, result, version);
    }

    public Shard ended(String providerStatus, BatchCounts counts, String outputFileId, String errorFileId,
            String batchError, Instant now) {
        return new Shard(jobId, index, ShardStatus.ENDED, provider, stagingKey, requestCount, bytes, batchId,
                inputFileId, outputFileId, errorFileId, providerStatus, counts, batchError, pollCount + 1, null,
                submittedAt, now, completedAt, result, version);
    }

    public Shard completed(ShardResult result, Instant now) {
        return new Shard(jobId, index, ShardStatus.COMPLETED, provider, stagingKey, requestCount, bytes, batchId,
                inputFileId, outputFileId, errorFileId, providerStatus, providerCounts, batchError, pollCount, null,
                submittedAt, endedAt, now, result, version);
    }

    public Shard withDue(Instant due) {
        return new Shard(jobId, index, status, provider, stagingKey, requestCount, bytes, batchId, inputFileId,
                outputFileId, errorFileId, providerStatus, providerCounts, batchError, pollCount, due,
                submittedAt, endedAt, completedAt, result, version);
    }

    public Shard withVersion(long nextVersion) {
        return new Shard(jobId, index, status, provider, stagingKey, requestCount, bytes, batchId, inputFileId,
                outputFileId, errorFileId, providerStatus, providerCounts, batchError, pollCount, dueAt,
                submittedAt, endedAt, completedAt, result, nextVersion);
    }
}
