package dev.batchlane.core.money;

import dev.batchlane.core.provider.Usage;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The most a file can cost: every input token at the batch input price (no cache discount assumed)
 * and every request using its full output cap at the batch output price. Requests of shards the
 * provider runs on demand (too few for one of its batches) are priced at the synchronous price
 * instead, in {@code batchUsd} too, and shown apart as {@code onDemandUsd}: the budget must hold
 * what the lane will really be billed. {@code syncUsd} is the whole file at the synchronous price,
 * the reference for the saving. Models with no price are listed rather than guessed.
 */
public record Projection(
        BigDecimal batchUsd,
        BigDecimal syncUsd,
        long inputTokens,
        long maxOutputTokens,
        List<String> unpricedModels,
        String priceTableVersion,
        BigDecimal onDemandUsd) {

    public Projection(
            BigDecimal batchUsd,
            BigDecimal syncUsd,
            long inputTokens,
            long maxOutputTokens,
            List<String> unpricedModels,
            String priceTableVersion) {
        this(
                batchUsd,
                syncUsd,
                inputTokens,
                maxOutputTokens,
                unpricedModels,
                priceTableVersion,
                BigDecimal.ZERO);
    }

    public static Projection of(
            String provider, Map<String, TokenEstimate> byModel, PriceTable prices) {
        return of(provider, byModel, Map.of(), prices);
    }

    /**
     * {@code onDemand}: the part of {@code byModel} (by model) that runs on demand, billed at the
     * synchronous price.
     */
    public static Projection of(
            String provider,
            Map<String, TokenEstimate> byModel,
            Map<String, TokenEstimate> onDemand,
            PriceTable prices) {
        BigDecimal batch = BigDecimal.ZERO;
        BigDecimal sync = BigDecimal.ZERO;
        BigDecimal onDemandSync = BigDecimal.ZERO;
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
            TokenEstimate slow = onDemand.get(e.getKey());
            long slowInput = slow == null ? 0 : Math.min(slow.inputTokens(), t.inputTokens());
            long slowOutput =
                    slow == null ? 0 : Math.min(slow.maxOutputTokens(), t.maxOutputTokens());
            Usage batched =
                    new Usage(t.inputTokens() - slowInput, 0, t.maxOutputTokens() - slowOutput);
            Usage onDemandUpper = new Usage(slowInput, 0, slowOutput);
            BigDecimal slowCost = price.get().sync().cost(onDemandUpper);
            batch = batch.add(price.get().batch().cost(batched)).add(slowCost);
            onDemandSync = onDemandSync.add(slowCost);
            sync =
                    sync.add(
                            price.get()
                                    .sync()
                                    .cost(new Usage(t.inputTokens(), 0, t.maxOutputTokens())));
        }
        return new Projection(
                batch, sync, input, output, List.copyOf(unpriced), prices.version(), onDemandSync);
    }

    public boolean complete() {
        return unpricedModels.isEmpty();
    }
}
