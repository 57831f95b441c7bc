package dev.batchlane.core.provider;

/** Tokens billed for some work. Cached input tokens are part of {@code inputTokens}. */
public record Usage(long inputTokens, long cachedInputTokens, long outputTokens) {
    public static final Usage ZERO = new Usage(0, 0, 0);

    public Usage plus(Usage other) {
        return new Usage(
                inputTokens + other.inputTokens,
                cachedInputTokens + other.cachedInputTokens,
                outputTokens + other.outputTokens);
    }

    public long totalTokens() {
        return inputTokens + outputTokens;
    }
}
