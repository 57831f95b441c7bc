package dev.batchlane.core.money;

import dev.batchlane.core.provider.Usage;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/** USD per million tokens. Cached input tokens are a part of input tokens billed at their own rate. */
public record Price(BigDecimal input, BigDecimal cachedInput, BigDecimal output) {
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

    public Price {
        if (input.signum() < 0 || cachedInput.signum() < 0 || output.signum() < 0) {
            throw new IllegalArgumentException("prices cannot be negative: " + input + "/" + cachedInput + "/" + output);
        }
    }

    /** The cost of some usage, to a millionth of a dollar. */
    public BigDecimal cost(Usage usage) {
        long uncached = Math.max(0, usage.inputTokens() - usage.cachedInputTokens());
        BigDecimal micro = input.multiply(BigDecimal.valueOf(uncached))
                .add(cachedInput.multiply(BigDecimal.valueOf(usage.cachedInputTokens())))
                .add(output.multiply(BigDecimal.valueOf(usage.outputTokens())));
        return micro.divide(MILLION, MathContext.DECIMAL64).setScale(6, RoundingMode.HALF_UP);
    }
}
