package dev.batchlane.core.ingest;

/**
 * Limits applied while reading and cutting a file. Defaults follow the OpenAI Batch API: 50,000
 * requests and 200 MB per batch input file.
 */
public record IngestLimits(int maxRequestsPerShard, long maxBytesPerShard, int maxLineBytes, int maxReportedErrors) {

    public static final IngestLimits OPENAI = new IngestLimits(50_000, 200L * 1024 * 1024, 10 * 1024 * 1024, 20);

    public IngestLimits {
        if (maxRequestsPerShard < 1) {
            throw new IllegalArgumentException("maxRequestsPerShard must be at least 1, was " + maxRequestsPerShard);
        }
        if (maxLineBytes < 1 || maxLineBytes + 1L > maxBytesPerShard) {
            throw new IllegalArgumentException("maxLineBytes (" + maxLineBytes
                    + ") must be positive and leave room for a newline within maxBytesPerShard (" + maxBytesPerShard + ")");
        }
    }
}
