package dev.batchlane.core.money;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.provider.Usage;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BillTest {
    private final PriceTable prices = PriceTable.shipped();

    @Test
    void eachModel_isPricedAtItsOwnRate_andTheSumIsExact() {
        Usage opus = new Usage(1_000_000, 0, 100_000);
        Usage haiku = new Usage(2_000_000, 500_000, 300_000);

        Bill bill =
                Bill.of(
                        "anthropic",
                        Map.of("claude-opus-4-1", opus, "claude-haiku-4-5-20251001", haiku),
                        prices);

        var opusPrice = prices.find("anthropic", "claude-opus-4-1").orElseThrow();
        var haikuPrice = prices.find("anthropic", "claude-haiku-4-5").orElseThrow();
        assertThat(bill.batchUsd())
                .isEqualByComparingTo(
                        opusPrice.batch().cost(opus).add(haikuPrice.batch().cost(haiku)));
        assertThat(bill.syncUsd())
                .isEqualByComparingTo(
                        opusPrice.sync().cost(opus).add(haikuPrice.sync().cost(haiku)));
        assertThat(bill.batchUsd())
                .as("not all at the first model's price")
                .isNotEqualByComparingTo(opusPrice.batch().cost(opus.plus(haiku)));
    }

    @Test
    void aModelWithoutAPrice_makesTheBillIncomplete_andIsNamed() {
        Bill bill =
                Bill.of(
                        "anthropic",
                        Map.of(
                                "claude-haiku-4-5",
                                new Usage(10, 0, 10),
                                "mystery-1",
                                new Usage(5, 0, 5)),
                        prices);
        assertThat(bill.complete()).isFalse();
        assertThat(bill.batchUsd()).isNull();
        assertThat(bill.unpricedModels()).containsExactly("mystery-1");
        assertThat(Bill.of("anthropic", Map.of("mystery-1", Usage.ZERO), prices).complete())
                .as("no tokens, nothing to price")
                .isTrue();
    }
}
