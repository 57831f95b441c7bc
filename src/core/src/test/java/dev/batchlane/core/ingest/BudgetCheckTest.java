package dev.batchlane.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.money.Money;
import dev.batchlane.core.money.TokenEstimate;
import dev.batchlane.core.testkit.InMemoryObjectStore;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BudgetCheckTest {
    private static final String KEY = "inbox/openai/f.jsonl";
    private static final FileValidator.Validation CLEAN =
            new FileValidator.Validation(
                    1000,
                    1000,
                    400_000,
                    "sha",
                    0,
                    Map.of(),
                    List.of(),
                    "/v1/chat/completions",
                    "gpt-4o-mini",
                    Map.of("gpt-4o-mini", new TokenEstimate(1000, 2_000_000, 1_000_000)));

    private final InMemoryObjectStore objects = new InMemoryObjectStore();

    private DroppedFile drop(Map<String, String> metadata) {
        String version = objects.putBytes(KEY, "{}\n".getBytes(StandardCharsets.UTF_8), metadata);
        IngestService.ObjectRef ref = new IngestService.ObjectRef("lane", KEY, version, "e", 3);
        return new DroppedFile("job-1", ref, Keys.parseInbox(KEY).orElseThrow());
    }

    @Test
    void withoutABudget_theFilePasses_andTheCostSectionHasNoBudget() {
        BudgetCheck.Verdict v =
                new BudgetCheck(objects, Money.defaults())
                        .check(drop(Map.of()), "openai", CLEAN, Map.of());

        assertThat(v.refusal()).isEmpty();
        assertThat(v.budget()).isEmpty();
        assertThat(v.cost().has("budgetUsd")).isFalse();
        assertThat(v.cost().get("inputTokens").asLong()).isEqualTo(2_000_000);
    }

    @Test
    void thePrefixDefault_holdsAFileThatSetsNoBudgetOfItsOwn() {
        Money money =
                new Money(
                        Money.defaults().prices(),
                        Map.of("inbox/openai/", new BigDecimal("0.000001")),
                        4096);

        BudgetCheck.Verdict v =
                new BudgetCheck(objects, money).check(drop(Map.of()), "openai", CLEAN, Map.of());

        assertThat(v.budget()).contains(new BigDecimal("0.000001"));
        assertThat(v.refusal())
                .hasValueSatisfying(r -> assertThat(r.code()).isEqualTo("over_budget"));
        assertThat(v.cost().get("budgetUsd").decimalValue()).isEqualByComparingTo("0.000001");
    }

    @Test
    void aBudgetThatIsNotAnAmount_isRefusedAsInvalid_withTheCostWithoutABudget() {
        BudgetCheck.Verdict v =
                new BudgetCheck(objects, Money.defaults())
                        .check(
                                drop(Map.of(Money.BUDGET_METADATA, "lots")),
                                "openai",
                                CLEAN,
                                Map.of());

        assertThat(v.refusal())
                .hasValueSatisfying(
                        r -> {
                            assertThat(r.code()).isEqualTo("budget_invalid");
                            assertThat(r.line()).isZero();
                        });
        assertThat(v.cost().has("budgetUsd")).isFalse();
    }
}
