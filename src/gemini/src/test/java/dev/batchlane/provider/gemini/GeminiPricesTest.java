package dev.batchlane.provider.gemini;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.money.ModelPrice;
import dev.batchlane.core.money.PriceTable;
import dev.batchlane.core.provider.Usage;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shipped price table's Gemini rows, as the budget and the bill read them. */
class GeminiPricesTest {
    private final PriceTable prices = PriceTable.shipped();

    @Test
    void
            everyGeminiModel_isPricedForBatchAtHalfTheStandardRate_cachedTokensAtTheStandardCachingRate() {
        List<String> models =
                List.of(
                        "gemini-3-pro",
                        "gemini-3-flash",
                        "gemini-2.5-pro",
                        "gemini-2.5-flash",
                        "gemini-2.5-flash-lite",
                        "gemini-2.0-flash",
                        "gemini-2.0-flash-lite");
        for (String model : models) {
            ModelPrice p =
                    prices.find("gemini", model)
                            .orElseThrow(() -> new AssertionError("no price for " + model));
            assertThat(p.model()).isEqualTo(model);
            assertThat(p.batch().input().multiply(BigDecimal.valueOf(2)))
                    .isEqualByComparingTo(p.sync().input());
            assertThat(p.batch().output().multiply(BigDecimal.valueOf(2)))
                    .isEqualByComparingTo(p.sync().output());
            if (p.sync().cachedInput().compareTo(p.sync().input())
                    != 0) { // 2.0 Flash-Lite has no caching
                assertThat(p.batch().cachedInput()).isEqualByComparingTo(p.sync().cachedInput());
            }
        }
    }

    @Test
    void previewsAndVersions_priceAsTheirFamily_andTheBillCountsCachedAndThinkingTokens() {
        assertThat(prices.find("gemini", "gemini-2.5-flash-lite-preview-09-2025"))
                .get()
                .extracting(ModelPrice::model)
                .isEqualTo("gemini-2.5-flash-lite");
        assertThat(prices.find("gemini", "gemini-2.5-flash-001"))
                .get()
                .extracting(ModelPrice::model)
                .isEqualTo("gemini-2.5-flash");
        assertThat(prices.find("gemini", "gemini-3-pro-preview"))
                .get()
                .extracting(ModelPrice::model)
                .isEqualTo("gemini-3-pro");
        assertThat(prices.find("openai", "gemini-2.5-flash")).isEmpty();
        // 1M prompt tokens of which 400k cached, 100k answer + thoughts: 0.6 × 0.15 + 0.4 × 0.03 +
        // 0.1 × 1.25
        Usage usage =
                GeminiResultLines.usage(
                        new com.fasterxml.jackson.databind.ObjectMapper()
                                .createObjectNode()
                                .put("promptTokenCount", 1_000_000)
                                .put("cachedContentTokenCount", 400_000)
                                .put("candidatesTokenCount", 60_000)
                                .put("thoughtsTokenCount", 40_000));
        assertThat(prices.find("gemini", "gemini-2.5-flash").orElseThrow().batch().cost(usage))
                .isEqualByComparingTo("0.227");
    }
}
