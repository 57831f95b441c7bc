package dev.batchlane.core.job;

import java.time.Instant;
import java.util.Objects;

/**
 * One input file turned into work. The id is derived from the S3 object's identity so that a
 * redelivered event finds the same job instead of creating a second one.
 */
public record Job(
        String jobId,
        String provider,
        JobStatus status,
        String bucket,
        String inputKey,
        String inputVersion,
        String name,
        String sha256,
        long inputBytes,
        long requestCount,
        int shardCount,
        int shardsCompleted,
        String model,
        String endpoint,
        Instant createdAt,
        Instant submittedAt,
        Instant completedAt,
        String resultKey,
        String estimatedCostUsd,
        String budgetUsd,
        boolean cancelRequested) {

    public Job {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(status, "status");
    }

    public boolean allShardsCompleted() {
        return status != JobStatus.INGESTING && shardCount > 0 && shardsCompleted >= shardCount;
    }
}
