package dev.batchlane.core.ingest;

/**
 * Limits applied while reading and cutting a file. Defaults follow the OpenAI Batch API: 50,000
 * requests and 200 MB per batch input file.
 */
public record IngestLimits(int maxRequestsPerShard, long maxBytesPerShard, int maxLineBytes, int maxReportedErrors) {

    public static final IngestLimits OPENAI = new IngestLimits(50_000, 200L * 1024 * 1024, 10 * 1024 * 1024, 20);

    /** No cap of its own: {@link #cappedBy} with this leaves a provider's limits as they are. */
    public static final IngestLimits NO_CAP = new IngestLimits(Integer.MAX_VALUE, Long.MAX_VALUE,
            Integer.MAX_VALUE - 1, 20);

    /** These limits, lowered where {@code caps} is lower (configuration can only tighten a provider's limits). */
    public IngestLimits cappedBy(IngestLimits caps) {
        return new IngestLimits(Math.min(maxRequestsPerShard, caps.maxRequestsPerShard),
                Math.min(maxBytesPerShard, caps.maxBytesPerShard), Math.min(maxLineBytes, caps.maxLineBytes),
                caps.maxReportedErrors);
    }

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
