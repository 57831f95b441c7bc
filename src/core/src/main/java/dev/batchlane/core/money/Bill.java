package dev.batchlane.core.money;

import dev.batchlane.core.provider.Usage;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What some usage cost, priced model by model: a file that mixes models pays each model's tokens
 * at that model's price. {@code batchUsd}/{@code syncUsd} are null when any model used has no
 * price (a partial sum would look like a whole bill); those models are listed.
 */
public record Bill(BigDecimal batchUsd, BigDecimal syncUsd, List<String> unpricedModels) {

    public static Bill of(String provider, Map<String, Usage> usageByModel, PriceTable prices) {
        BigDecimal batch = BigDecimal.ZERO;
        BigDecimal sync = BigDecimal.ZERO;
        List<String> unpriced = new ArrayList<>();
        for (var e : usageByModel.entrySet()) {
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
        return unpriced.isEmpty() ? new Bill(batch, sync, List.of()) : new Bill(null, null, List.copyOf(unpriced));
    }

    public boolean complete() {
        return unpricedModels.isEmpty();
    }
}
