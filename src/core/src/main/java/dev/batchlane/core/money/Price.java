package dev.batchlane.core.money;

import dev.batchlane.core.provider.Usage;
import java.math.BigDecimal;

/**
 * USD per million tokens. Cached input tokens are a part of input tokens billed at their own rate.
 */
public record Price(BigDecimal input, BigDecimal cachedInput, BigDecimal output) {
    public Price {
        if (input.signum() < 0 || cachedInput.signum() < 0 || output.signum() < 0) {
            throw new IllegalArgumentException(
                    "prices cannot be negative: " + input + "/" + cachedInput + "/" + output);
        }
    }

    /**
     * The exact cost of some usage. Nothing is rounded, so the costs of shards add up to the cost
     * of their job to the last digit.
     */
    public BigDecimal cost(Usage usage) {
        long uncached = Math.max(0, usage.inputTokens() - usage.cachedInputTokens());
        BigDecimal micro =
                input.multiply(BigDecimal.valueOf(uncached))
                        .add(cachedInput.multiply(BigDecimal.valueOf(usage.cachedInputTokens())))
                        .add(output.multiply(BigDecimal.valueOf(usage.outputTokens())));
        return micro.movePointLeft(6).stripTrailingZeros();
    }
}
