package dev.batchlane.core.ingest;

/**
 * Limits applied while reading and cutting a file. Sizes are in bytes as the provider counts them,
 * decimal: a documented "200 MB" is 200,000,000 bytes, never 200 MiB (which is 4.9% more and would
 * be refused). A shard's bytes are its lines with their newlines — exactly what an uploaded input
 * file holds; framing a provider adds around them (Anthropic's request body) is taken off that
 * provider's own limit.
 *
 * <p>{@code maxInputsPerShard} caps the inputs of a shard where a provider counts something other
 * than lines (OpenAI counts every element of an embeddings {@code input} array against 50,000 per
 * batch); {@link RequestContract.FileRules#inputs} says how many one line holds. Each adapter
 * states its own ({@code BatchProvider.limits()}); the core has no provider's limits to fall back
 * on.
 */
public record IngestLimits(
        int maxRequestsPerShard,
        long maxBytesPerShard,
        int maxLineBytes,
        int maxReportedErrors,
        long maxInputsPerShard) {

    /** Decimal units, as providers document their limits. */
    public static final long MB = 1_000_000L;

    /** No cap of its own: {@link #cappedBy} with this leaves a provider's limits as they are. */
    public static final IngestLimits NO_CAP =
            new IngestLimits(
                    Integer.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE - 1, 20, Long.MAX_VALUE);

    /** Limits that count one input per line, so only requests and bytes cut shards. */
    public IngestLimits(
            int maxRequestsPerShard,
            long maxBytesPerShard,
            int maxLineBytes,
            int maxReportedErrors) {
        this(
                maxRequestsPerShard,
                maxBytesPerShard,
                maxLineBytes,
                maxReportedErrors,
                Long.MAX_VALUE);
    }

    /**
     * These limits, lowered where {@code caps} is lower (configuration can only tighten a
     * provider's limits).
     */
    public IngestLimits cappedBy(IngestLimits caps) {
        return new IngestLimits(
                Math.min(maxRequestsPerShard, caps.maxRequestsPerShard),
                Math.min(maxBytesPerShard, caps.maxBytesPerShard),
                Math.min(maxLineBytes, caps.maxLineBytes),
                caps.maxReportedErrors,
                Math.min(maxInputsPerShard, caps.maxInputsPerShard));
    }

    public IngestLimits {
        if (maxRequestsPerShard < 1) {
            throw new IllegalArgumentException(
                    "maxRequestsPerShard must be at least 1, was " + maxRequestsPerShard);
        }
        if (maxLineBytes < 1 || maxLineBytes + 1L > maxBytesPerShard) {
            throw new IllegalArgumentException(
                    "maxLineBytes ("
                            + maxLineBytes
                            + ") must be positive and leave room for a newline within maxBytesPerShard ("
                            + maxBytesPerShard
                            + ")");
        }
        if (maxInputsPerShard < 1) {
            throw new IllegalArgumentException(
                    "maxInputsPerShard must be at least 1, was " + maxInputsPerShard);
        }
    }
}
