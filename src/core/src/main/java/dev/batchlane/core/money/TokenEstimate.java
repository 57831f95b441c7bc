package dev.batchlane.core.money;

/**
 * What a set of requests is expected to use: input tokens counted, output tokens at their caps (an
 * upper bound).
 */
public record TokenEstimate(long requests, long inputTokens, long maxOutputTokens) {
    public TokenEstimate plus(TokenEstimate other) {
        return new TokenEstimate(
                requests + other.requests,
                inputTokens + other.inputTokens,
                maxOutputTokens + other.maxOutputTokens);
    }
}
