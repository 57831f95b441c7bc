package dev.batchlane.core.money;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BudgetTest {
    private final Money money =
            new Money(
                    PriceTable.shipped(),
                    Map.of("inbox/openai/team-a/", new BigDecimal("3")),
                    4096);

    private static Projection projected(String usd) {
        return new Projection(
                new BigDecimal(usd),
                new BigDecimal(usd).multiply(BigDecimal.valueOf(2)),
                1000,
                500,
                List.of(),
                "test-table");
    }

    @Test
    void theFilesOwnBudget_winsOverItsPrefixDefault() {
        assertThat(Budget.forFile("inbox/openai/team-a/x.jsonl", " 12.50 ", money))
                .contains(new BigDecimal("12.50"));
        assertThat(Budget.forFile("inbox/openai/team-a/x.jsonl", null, money))
                .contains(new BigDecimal("3"));
        assertThat(Budget.forFile("inbox/openai/other.jsonl", null, money)).isEmpty();
    }

    @Test
    void aBudgetThatIsNotAnAmount_isRefusedWithTheValueAndTheRule() {
        assertThatThrownBy(() -> Budget.forFile("inbox/openai/x.jsonl", "-1", money))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("x-amz-meta-budget-usd is '-1'")
                .hasMessageContaining("non-negative");
        assertThatThrownBy(() -> Budget.forFile("inbox/openai/x.jsonl", "ten dollars", money))
                .hasMessageContaining("'ten dollars'");
    }

    @Test
    void aProjectionAtTheBudget_fits_andOneCentOver_isRefusedNamingBothFigures() {
        assertThat(Budget.check(projected("5.00"), new BigDecimal("5"))).isEmpty();
        Budget.Refusal over = Budget.check(projected("5.01"), new BigDecimal("5")).orElseThrow();
        assertThat(over.code()).isEqualTo("over_budget");
        assertThat(over.message())
                .contains("$5.01")
                .contains("budget of $5")
                .contains("1000 input tokens");
    }

    @Test
    void unpricedModels_cannotBeShownToFit_soTheFileIsRefused() {
        Projection p =
                new Projection(
                        BigDecimal.ZERO,
                        BigDecimal.ZERO,
                        10,
                        10,
                        List.of("mystery-1"),
                        "test-table");
        Budget.Refusal r = Budget.check(p, new BigDecimal("100")).orElseThrow();
        assertThat(r.code()).isEqualTo("price_unknown");
        assertThat(r.message()).contains("mystery-1").contains("test-table");
    }

    @Test
    void amountsNoPersonMeans_tooLargeOrTooFine_areRefusedNamingTheLimits() {
        for (String absurd : new String[] {"1e999999999", "1e-999999999", "2000000000000"}) {
            assertThatThrownBy(() -> Budget.forFile("inbox/openai/x.jsonl", absurd, money))
                    .as(absurd)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + absurd + "'")
                    .hasMessageContaining("at most 1000000000000");
        }
        assertThat(Budget.forFile("inbox/openai/x.jsonl", "1e3", money))
                .contains(new BigDecimal("1e3"));
    }

    @Test
    void countsThatWouldWrapPastTheLargestLong_stopThere() {
        TokenEstimate big = new TokenEstimate(1, Long.MAX_VALUE - 1, Long.MAX_VALUE - 1);
        TokenEstimate sum = big.plus(big);
        assertThat(sum.inputTokens()).isEqualTo(Long.MAX_VALUE);
        assertThat(sum.maxOutputTokens()).isEqualTo(Long.MAX_VALUE);
        assertThat(sum.requests()).isEqualTo(2);
    }
}
