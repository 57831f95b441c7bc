package dev.batchlane.provider.bedrock;

/**
 * Bedrock's batch inference quotas for the lane's models. Bedrock sets them per model and Region in
 * Service Quotas and they can be raised; the defaults are the commonly seen values, and every
 * deployment can set its own ({@code batchlane.bedrock.quotas.*}). One staged shard is one input
 * file and one job, so the per-file and per-job bounds both cap a shard.
 */
public record BedrockQuotas(
        int minRecordsPerJob,
        int maxRecordsPerJob,
        int maxRecordsPerFile,
        long maxFileBytes,
        long maxJobBytes,
        int maxConcurrentJobs) {

    /**
     * Minimum 100 records, 50,000 per job and file, 1 GB per file, 5 GB per job, 10 jobs submitted
     * or in progress.
     */
    public static final BedrockQuotas DEFAULTS =
            new BedrockQuotas(
                    100, 50_000, 50_000, 1024L * 1024 * 1024, 5L * 1024 * 1024 * 1024, 10);

    public BedrockQuotas {
        if (minRecordsPerJob < 1 || maxRecordsPerJob < minRecordsPerJob || maxRecordsPerFile < 1) {
            throw new IllegalArgumentException(
                    "Bedrock quotas: need 1 <= minRecordsPerJob ("
                            + minRecordsPerJob
                            + ") <= maxRecordsPerJob ("
                            + maxRecordsPerJob
                            + ") and maxRecordsPerFile >= 1 ("
                            + maxRecordsPerFile
                            + ")");
        }
        if (maxFileBytes < 1 || maxJobBytes < 1 || maxConcurrentJobs < 1) {
            throw new IllegalArgumentException(
                    "Bedrock quotas: file and job sizes and concurrent jobs must be positive");
        }
    }

    /** The most records one shard may hold. */
    public int maxRecordsPerShard() {
        return Math.min(maxRecordsPerJob, maxRecordsPerFile);
    }

    public long maxBytesPerShard() {
        return Math.min(maxFileBytes, maxJobBytes);
    }
}
