package dev.batchlane.core.money;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * The budget guard: what a file may cost, and whether its projection fits. It lives with the prices
 * and the projection it compares because the rule is a money rule — ingest only asks it and turns a
 * refusal into the file's rejection report.
 */
public final class Budget {

    /**
     * Why a file's projection does not fit its budget: the rule's code and a message naming the
     * figures.
     */
    public record Refusal(String code, String message) {}

    /** The largest budget taken: a trillion dollars, far above any file's cost. */
    static final BigDecimal LARGEST = new BigDecimal("1000000000000");

    /** The finest budget taken: a millionth of a cent is finer than any price in the table. */
    static final int MAX_DECIMALS = 8;

    private Budget() {}

    /**
     * The budget that applies to {@code key}: {@code ownValue} (the file's own {@code
     * x-amz-meta-budget-usd}, null when absent), else the default for its prefix.
     *
     * @throws IllegalArgumentException when the file's own value is not a non-negative amount
     */
    public static Optional<BigDecimal> forFile(String key, String ownValue, Money money) {
        if (ownValue == null) {
            return money.defaultBudget(key);
        }
        try {
            BigDecimal value = new BigDecimal(ownValue.trim());
            // An exponent such as 1e999999999 parses to a small object, but printing it in a
            // report or comparing it against a sum would build a number of a billion digits
            // (ingest ran out of memory): an amount must be one a person could mean.
            if (value.signum() < 0
                    || value.compareTo(LARGEST) > 0
                    || value.stripTrailingZeros().scale() > MAX_DECIMALS) {
                throw new NumberFormatException();
            }
            return Optional.of(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "x-amz-meta-"
                            + Money.BUDGET_METADATA
                            + " is '"
                            + ownValue
                            + "'; it must be a non-negative amount in USD such as 25 or 12.50,"
                            + " at most "
                            + LARGEST.toPlainString()
                            + " with at most "
                            + MAX_DECIMALS
                            + " decimal places");
        }
    }

    /**
     * Empty when the projection fits {@code budget}. A projection with unpriced models cannot be
     * shown to fit, so it is refused too rather than guessed at.
     */
    public static Optional<Refusal> check(Projection p, BigDecimal budget) {
        if (!p.complete()) {
            return Optional.of(
                    new Refusal(
                            "price_unknown",
                            "the file has a budget of $"
                                    + budget.toPlainString()
                                    + " but there is no price for model(s) "
                                    + p.unpricedModels()
                                    + " (price table "
                                    + p.priceTableVersion()
                                    + "), so the cost cannot be shown to fit; add the model to"
                                    + " batchlane.pricing.overrides"));
        }
        if (p.batchUsd().compareTo(budget) > 0) {
            return Optional.of(
                    new Refusal(
                            "over_budget",
                            "the projected cost is up to $"
                                    + p.batchUsd().toPlainString()
                                    + " at batch prices ("
                                    + p.inputTokens()
                                    + " input tokens, up to "
                                    + p.maxOutputTokens()
                                    + " output tokens), over the budget of $"
                                    + budget.toPlainString()
                                    + "; raise x-amz-meta-budget-usd or lower max_tokens"));
        }
        return Optional.empty();
    }
}
