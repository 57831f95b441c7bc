package dev.batchlane.core.money;

import dev.batchlane.core.provider.Usage;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What some usage cost, priced model by model: a file that mixes models pays each model's tokens
 * at that model's price. Work that ran synchronously (a shard too small for a provider's batch
 * minimum, run on demand) is billed at the synchronous price in {@code batchUsd} too, saves
 * nothing, and is shown apart in {@code onDemandUsd}. {@code batchUsd}/{@code syncUsd}/
 * {@code onDemandUsd} are null when any model used has no price (a partial sum would look like a
 * whole bill); those models are listed.
 */
public record Bill(BigDecimal batchUsd, BigDecimal syncUsd, BigDecimal onDemandUsd, List<String> unpricedModels) {

    public static Bill of(String provider, Map<String, Usage> usageByModel, PriceTable prices) {
        return of(provider, usageByModel, Map.of(), prices);
    }

    public static Bill of(String provider, Map<String, Usage> batchUsageByModel, Map<String, Usage> onDemandByModel,
            PriceTable prices) {
        BigDecimal batch = BigDecimal.ZERO;
        BigDecimal sync = BigDecimal.ZERO;
        BigDecimal onDemand = BigDecimal.ZERO;
        List<String> unpriced = new ArrayList<>();
        for (var e : batchUsageByModel.entrySet()) {
            if (e.getValue().totalTokens() == 0) {
                continue;
            }
            var price = prices.find(provider, e.getKey());
            if (price.isEmpty()) {
                unpriced.add(e.getKey());
                continue;
            }
            batch = batch.add(price.get().batch().cost(e.getValue()));
            sync = sync.add(price.get().sync().cost(e.getValue()));
        }
        for (var e : onDemandByModel.entrySet()) {
            if (e.getValue().totalTokens() == 0) {
                continue;
            }
            var price = prices.find(provider, e.getKey());
            if (price.isEmpty()) {
                if (!unpriced.contains(e.getKey())) {
                    unpriced.add(e.getKey());
                }
                continue;
            }
            BigDecimal cost = price.get().sync().cost(e.getValue());
            onDemand = onDemand.add(cost);
            batch = batch.add(cost);
            sync = sync.add(cost);
        }
        return unpriced.isEmpty() ? new Bill(batch, sync, onDemand, List.of())
                : new Bill(null, null, null, List.copyOf(unpriced));
    }

    public boolean complete() {
        return unpricedModels.isEmpty();
    }
}
