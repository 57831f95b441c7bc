package dev.batchlane.core.money;

import dev.batchlane.core.provider.Usage;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The most a file can cost: every input token at the batch input price (no cache discount assumed)
 * and every request using its full output cap at the batch output price. Models with no price are
 * listed rather than guessed.
 */
public record Projection(
        BigDecimal batchUsd,
        BigDecimal syncUsd,
        long inputTokens,
        long maxOutputTokens,
        List<String> unpricedModels,
        String priceTableVersion) {

    public static Projection of(
            String provider, Map<String, TokenEstimate> byModel, PriceTable prices) {
        BigDecimal batch = BigDecimal.ZERO;
        BigDecimal sync = BigDecimal.ZERO;
        long input = 0;
        long output = 0;
        List<String> unpriced = new ArrayList<>();
        for (var e : byModel.entrySet()) {
            TokenEstimate t = e.getValue();
            input = TokenEstimate.saturatedSum(input, t.inputTokens());
            output = TokenEstimate.saturatedSum(output, t.maxOutputTokens());
            var price = prices.find(provider, e.getKey());
            if (price.isEmpty()) {
                unpriced.add(e.getKey());
                continue;
            }
            Usage upper = new Usage(t.inputTokens(), 0, t.maxOutputTokens());
            batch = batch.add(price.get().batch().cost(upper));
            sync = sync.add(price.get().sync().cost(upper));
        }
        return new Projection(batch, sync, input, output, List.copyOf(unpriced), prices.version());
    }

    public boolean complete() {
        return unpricedModels.isEmpty();
    }
}
