package dev.batchlane.core.money;

import dev.batchlane.core.provider.Usage;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What some usage cost, priced model by model: a file that mixes models pays each model's tokens at
 * that model's price. Work that ran synchronously (a shard too small for a provider's batch
 * minimum, run on demand) is billed at the synchronous price in {@code batchUsd} too, saves
 * nothing, and is shown apart in {@code onDemandUsd}. {@code batchUsd}/{@code syncUsd}/ {@code
 * onDemandUsd} are null when any model used has no price (a partial sum would look like a whole
 * bill); those models are listed.
 */
public record Bill(
        BigDecimal batchUsd,
        BigDecimal syncUsd,
        BigDecimal onDemandUsd,
        List<String> unpricedModels) {

    public static Bill of(String provider, Map<String, Usage> usageByModel, PriceTable prices) {
        return of(provider, usageByModel, Map.of(), prices);
    }

    public static Bill of(
            String provider,
            Map<String, Usage> batchUsageByModel,
            Map<String, Usage> onDemandByModel,
            PriceTable prices) {
        var sum = new Sum();
        batchUsageByModel.forEach((model, usage) -> sum.add(prices, provider, model, usage, false));
        onDemandByModel.forEach((model, usage) -> sum.add(prices, provider, model, usage, true));
        return sum.unpriced.isEmpty()
                ? new Bill(sum.batch, sum.sync, sum.onDemand, List.of())
                : new Bill(null, null, null, List.copyOf(sum.unpriced));
    }

    /**
     * The running totals of {@link #of}: on-demand work pays the synchronous price in all three.
     */
    private static final class Sum {
        BigDecimal batch = BigDecimal.ZERO;
        BigDecimal sync = BigDecimal.ZERO;
        BigDecimal onDemand = BigDecimal.ZERO;
        final List<String> unpriced = new ArrayList<>();

        void add(
                PriceTable prices,
                String provider,
                String model,
                Usage usage,
                boolean ranOnDemand) {
            if (usage.totalTokens() == 0) {
                return;
            }
            var price = prices.find(provider, model);
            if (price.isEmpty()) {
                if (!unpriced.contains(model)) {
                    unpriced.add(model);
                }
                return;
            }
            BigDecimal syncCost = price.get().sync().cost(usage);
            sync = sync.add(syncCost);
            if (ranOnDemand) {
                onDemand = onDemand.add(syncCost);
                batch = batch.add(syncCost);
            } else {
                batch = batch.add(price.get().batch().cost(usage));
            }
        }
    }

    public boolean complete() {
        return unpricedModels.isEmpty();
    }
}
