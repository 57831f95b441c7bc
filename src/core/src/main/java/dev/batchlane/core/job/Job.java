package dev.batchlane.core.job;

import java.time.Instant;
import java.util.Objects;

/**
 * One input file turned into work. The id is derived from the S3 object's identity so that a
 * redelivered event finds the same job instead of creating a second one.
 *
 * <p>Build one with {@link #builder(String, String)} and copy one with {@link #toBuilder()}: with
 * twenty-one components, a positional call is unreadable and two swapped strings compile.
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

    /** A job being ingested, with nothing else set yet. */
    public static Builder builder(String jobId, String provider) {
        return new Builder(jobId, provider);
    }

    /** A builder holding every component of this job, to change a few of them. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Named setters for every component; unset ones are null, zero or false, the status INGESTING.
     */
    public static final class Builder {
        private String jobId;
        private String provider;
        private JobStatus status = JobStatus.INGESTING;
        private String bucket;
        private String inputKey;
        private String inputVersion;
        private String name;
        private String sha256;
        private long inputBytes;
        private long requestCount;
        private int shardCount;
        private int shardsCompleted;
        private String model;
        private String endpoint;
        private Instant createdAt;
        private Instant submittedAt;
        private Instant completedAt;
        private String resultKey;
        private String estimatedCostUsd;
        private String budgetUsd;
        private boolean cancelRequested;

        private Builder(String jobId, String provider) {
            this.jobId = jobId;
            this.provider = provider;
        }

        private Builder(Job j) {
            jobId = j.jobId;
            provider = j.provider;
            status = j.status;
            bucket = j.bucket;
            inputKey = j.inputKey;
            inputVersion = j.inputVersion;
            name = j.name;
            sha256 = j.sha256;
            inputBytes = j.inputBytes;
            requestCount = j.requestCount;
            shardCount = j.shardCount;
            shardsCompleted = j.shardsCompleted;
            model = j.model;
            endpoint = j.endpoint;
            createdAt = j.createdAt;
            submittedAt = j.submittedAt;
            completedAt = j.completedAt;
            resultKey = j.resultKey;
            estimatedCostUsd = j.estimatedCostUsd;
            budgetUsd = j.budgetUsd;
            cancelRequested = j.cancelRequested;
        }

        public Builder status(JobStatus v) {
            status = v;
            return this;
        }

        /** Where the input is: bucket, key and the version (or ETag) the job reads. */
        public Builder input(String bucketName, String key, String version) {
            bucket = bucketName;
            inputKey = key;
            inputVersion = version;
            return this;
        }

        public Builder name(String v) {
            name = v;
            return this;
        }

        public Builder sha256(String v) {
            sha256 = v;
            return this;
        }

        public Builder inputBytes(long v) {
            inputBytes = v;
            return this;
        }

        public Builder requestCount(long v) {
            requestCount = v;
            return this;
        }

        public Builder shardCount(int v) {
            shardCount = v;
            return this;
        }

        public Builder shardsCompleted(int v) {
            shardsCompleted = v;
            return this;
        }

        public Builder model(String v) {
            model = v;
            return this;
        }

        public Builder endpoint(String v) {
            endpoint = v;
            return this;
        }

        public Builder createdAt(Instant v) {
            createdAt = v;
            return this;
        }

        public Builder submittedAt(Instant v) {
            submittedAt = v;
            return this;
        }

        public Builder completedAt(Instant v) {
            completedAt = v;
            return this;
        }

        /**
         * The manifest's key once the job completed, or the rejection report's for a rejected file.
         */
        public Builder resultKey(String v) {
            resultKey = v;
            return this;
        }

        public Builder estimatedCostUsd(String v) {
            estimatedCostUsd = v;
            return this;
        }

        public Builder budgetUsd(String v) {
            budgetUsd = v;
            return this;
        }

        public Builder cancelRequested(boolean v) {
            cancelRequested = v;
            return this;
        }

        public Job build() {
            return new Job(
                    jobId,
                    provider,
                    status,
                    bucket,
                    inputKey,
                    inputVersion,
                    name,
                    sha256,
                    inputBytes,
                    requestCount,
                    shardCount,
                    shardsCompleted,
                    model,
                    endpoint,
                    createdAt,
                    submittedAt,
                    completedAt,
                    resultKey,
                    estimatedCostUsd,
                    budgetUsd,
                    cancelRequested);
        }
    }
}
