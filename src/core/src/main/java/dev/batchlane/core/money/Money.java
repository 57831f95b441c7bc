package dev.batchlane.core.money;

import java.math.BigDecimal;
import java.util.Map;
import java.util.Optional;

/**
 * How ingest prices and guards a file: the price table, the budgets that apply when a file carries
 * none of its own (by key prefix, longest match wins), and the output tokens assumed for a request
 * without a cap.
 */
public record Money(
        PriceTable prices, Map<String, BigDecimal> budgetsByPrefix, long defaultMaxOutputTokens) {

    /**
     * The S3 user-metadata key of a per-file budget ({@code x-amz-meta-budget-usd} on the wire).
     */
    public static final String BUDGET_METADATA = "budget-usd";

    public static Money defaults() {
        return new Money(PriceTable.shipped(), Map.of(), 4096);
    }

    public Optional<BigDecimal> defaultBudget(String key) {
        String best = null;
        for (String prefix : budgetsByPrefix.keySet()) {
            if (key.startsWith(prefix) && (best == null || prefix.length() > best.length())) {
                best = prefix;
            }
        }
        return Optional.ofNullable(best).map(budgetsByPrefix::get);
    }
}
