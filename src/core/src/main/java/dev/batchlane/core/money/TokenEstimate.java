package dev.batchlane.core.money;

/**
 * What a set of requests is expected to use: input tokens counted, output tokens at their caps (an
 * upper bound).
 */
public record TokenEstimate(long requests, long inputTokens, long maxOutputTokens) {
    public TokenEstimate plus(TokenEstimate other) {
        return new TokenEstimate(
                saturatedSum(requests, other.requests),
                saturatedSum(inputTokens, other.inputTokens),
                saturatedSum(maxOutputTokens, other.maxOutputTokens));
    }

    /**
     * Adds two counts, stopping at {@link Long#MAX_VALUE}: a line may ask for {@code max_tokens}
     * near the largest long, and two such lines must make the projection too large, never negative
     * (a wrapped sum would pass any budget).
     */
    public static long saturatedSum(long a, long b) {
        long sum = a + b;
        // Overflow only when both operands share a sign the sum does not have.
        if (((a ^ sum) & (b ^ sum)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return sum;
    }
}
