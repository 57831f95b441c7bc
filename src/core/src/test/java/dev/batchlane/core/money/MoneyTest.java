package dev.batchlane.core.money;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchlane.core.provider.Usage;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MoneyTest {
    private final PriceTable shipped = PriceTable.shipped();

    @TempDir Path tmp;

    @Test
    void cost_chargesCachedTokensAtTheirOwnRate_exactly() {
        Price p =
                new Price(new BigDecimal("2.50"), new BigDecimal("1.25"), new BigDecimal("10.00"));
        // 1,000,000 input of which 400,000 cached, 100,000 output:
        // 600,000 × 2.50 + 400,000 × 1.25 + 100,000 × 10 = 1.5 + 0.5 + 1.0 = $3.00
        assertThat(p.cost(new Usage(1_000_000, 400_000, 100_000))).isEqualByComparingTo("3.000000");
        assertThat(p.cost(new Usage(1, 0, 0))).isEqualByComparingTo("0.0000025");
        assertThat(p.cost(Usage.ZERO)).isEqualByComparingTo("0");
    }

    @Test
    void shippedTable_batchIsHalfOfSync_forEveryModel() {
        for (String model :
                new String[] {"gpt-4o-mini", "gpt-4.1", "gpt-5-nano", "text-embedding-3-small"}) {
            ModelPrice p = shipped.find("openai", model).orElseThrow();
            Usage u = new Usage(123_456, 23_456, 7_890);
            assertThat(p.batch().cost(u).multiply(BigDecimal.valueOf(2)))
                    .isEqualByComparingTo(p.sync().cost(u));
        }
        assertThat(shipped.find("anthropic", "claude-sonnet-4-5-20250929"))
                .get()
                .extracting(ModelPrice::model)
                .isEqualTo("claude-sonnet-4");
    }

    @Test
    void find_matchesTheLongestPrefix_soSnapshotsPriceAsTheirFamily() {
        assertThat(shipped.find("openai", "gpt-4o-mini-2024-07-18"))
                .get()
                .extracting(ModelPrice::model)
                .isEqualTo("gpt-4o-mini");
        assertThat(shipped.find("openai", "gpt-4o-2024-08-06"))
                .get()
                .extracting(ModelPrice::model)
                .isEqualTo("gpt-4o");
        assertThat(shipped.find("openai", "davinci-002")).isEmpty();
        assertThat(shipped.find("anthropic", "gpt-4o")).isEmpty();
    }

    @Test
    void overrides_replaceAndAddRows() throws IOException {
        Path f = tmp.resolve("prices.json");
        Files.writeString(
                f,
                """
                {"version": "acme-2026-12", "models": [
                  {"provider": "openai", "model": "gpt-4o-mini", "sync": {"input": 1, "output": 2}, "batch": {"input": 0.5, "output": 1}},
                  {"provider": "openai", "model": "ft:gpt-4o-mini:acme", "sync": {"input": 3, "output": 6}, "batch": {"input": 1.5, "output": 3}}
                ]}""");
        PriceTable t = shipped.withOverrides(f);
        assertThat(t.find("openai", "gpt-4o-mini").orElseThrow().batch().input())
                .isEqualByComparingTo("0.5");
        // cachedInput defaults to the input price when a row leaves it out
        assertThat(t.find("openai", "gpt-4o-mini").orElseThrow().batch().cachedInput())
                .isEqualByComparingTo("0.5");
        assertThat(t.find("openai", "ft:gpt-4o-mini:acme:xyz")).isPresent();
        assertThat(t.find("openai", "gpt-4.1")).isPresent();
        assertThat(t.version()).isEqualTo("2026-12-01+acme-2026-12");
    }

    @Test
    void brokenOverrides_sayWhatIsWrong() throws IOException {
        Path f = tmp.resolve("bad.json");
        Files.writeString(
                f,
                "{\"models\": [{\"provider\": \"openai\", \"model\": \"x\", \"sync\": {\"input\": \"cheap\"}}]}");
        assertThatThrownBy(() -> shipped.withOverrides(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("row 1")
                .hasMessageContaining("numeric");
    }

    @Test
    void projection_isTheUpperBound_andListsUnpricedModels() {
        Map<String, TokenEstimate> est =
                Map.of(
                        "gpt-4o-mini",
                        new TokenEstimate(1000, 2_000_000, 1_000_000),
                        "mystery-model",
                        new TokenEstimate(5, 10, 10));
        Projection p = Projection.of("openai", est, shipped);
        // 2M × $0.075 + 1M × $0.30 at batch prices
        assertThat(p.batchUsd()).isEqualByComparingTo("0.45");
        assertThat(p.syncUsd()).isEqualByComparingTo("0.90");
        assertThat(p.unpricedModels()).containsExactly("mystery-model");
        assertThat(p.complete()).isFalse();
        assertThat(p.inputTokens()).isEqualTo(2_000_010);
    }

    @Test
    void outputCap_comesFromTheRequest_orTheDefault() throws IOException {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertThat(Estimates.maxOutputTokens(json.readTree("{\"max_tokens\": 60}"), 4096))
                .isEqualTo(60);
        assertThat(
                        Estimates.maxOutputTokens(
                                json.readTree(
                                        "{\"max_completion_tokens\": 70, \"max_tokens\": 60}"),
                                4096))
                .isEqualTo(70);
        assertThat(Estimates.maxOutputTokens(json.readTree("{\"max_output_tokens\": 80}"), 4096))
                .isEqualTo(80);
        assertThat(Estimates.maxOutputTokens(json.readTree("{}"), 4096)).isEqualTo(4096);
        assertThat(Estimates.approximateTokens(json.readTree("{\"a\": \"12345678\"}")))
                .isEqualTo(3);
    }

    @Test
    void defaultBudget_longestPrefixWins() {
        Money m =
                new Money(
                        shipped,
                        Map.of(
                                "inbox/",
                                new BigDecimal("100"),
                                "inbox/openai/nightly/",
                                new BigDecimal("5")),
                        4096);
        assertThat(m.defaultBudget("inbox/openai/nightly/a.jsonl")).contains(new BigDecimal("5"));
        assertThat(m.defaultBudget("inbox/openai/a.jsonl")).contains(new BigDecimal("100"));
        assertThat(m.defaultBudget("other/a.jsonl")).isEmpty();
    }
}
