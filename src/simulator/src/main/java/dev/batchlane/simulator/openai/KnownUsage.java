package dev.batchlane.simulator.openai;

/**
 * Token usage the simulator has reported in the output lines it wrote, summed over all batches.
 * Cached tokens are part of {@code inputTokens}, as in OpenAI's usage objects.
 */
public record KnownUsage(long inputTokens, long cachedTokens, long outputTokens) {
    public static final KnownUsage ZERO = new KnownUsage(0, 0, 0);

    public KnownUsage plus(KnownUsage other) {
        return new KnownUsage(
                inputTokens + other.inputTokens,
                cachedTokens + other.cachedTokens,
                outputTokens + other.outputTokens);
    }

    public long totalTokens() {
        return inputTokens + outputTokens;
    }
}
