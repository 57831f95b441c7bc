package dev.batchlane.core.money;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchlane.core.catalogue.ProviderCatalogue;
import dev.batchlane.core.catalogue.ProviderContext;
import dev.batchlane.core.catalogue.ProviderDescriptor;
import dev.batchlane.core.catalogue.ProviderRegistration;
import dev.batchlane.core.provider.BatchProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The price table is the union of the rows each registered provider ships with its adapter. */
class CataloguePricesTest {

    private static PriceRows rows(String version, String provider, String... models)
            throws IOException {
        StringBuilder json = new StringBuilder("{\"version\": \"" + version + "\", \"models\": [");
        for (int i = 0; i < models.length; i++) {
            json.append(i == 0 ? "" : ",")
                    .append("{\"provider\": \"")
                    .append(provider)
                    .append("\", \"model\": \"")
                    .append(models[i])
                    .append(
                            "\", \"sync\": {\"input\": 2, \"output\": 4}, \"batch\": {\"input\": 1,"
                                    + " \"output\": 2}}");
        }
        return PriceRows.read(
                new ByteArrayInputStream(
                        json.append("]}").toString().getBytes(StandardCharsets.UTF_8)),
                provider + ".json");
    }

    private static ProviderRegistration registered(String name, PriceRows prices) {
        ProviderDescriptor d =
                ProviderDescriptor.builder(name, name, "P" + name).prices(prices).build();
        return new ProviderRegistration() {
            @Override
            public ProviderDescriptor descriptor() {
                return d;
            }

            @Override
            public Optional<BatchProvider> create(ProviderContext context) {
                return Optional.empty();
            }
        };
    }

    @Test
    void theTable_holdsEveryRegisteredProvidersRows_andNoOthers() throws IOException {
        ProviderCatalogue catalogue =
                ProviderCatalogue.of(
                        List.of(
                                registered("acme", rows("2026-12-01", "acme", "acme-large")),
                                registered("zeta", rows("2026-12-01", "zeta", "z-1")),
                                registered("bare", PriceRows.NONE)));
        PriceTable t = PriceTable.from(catalogue);
        assertThat(t.find("acme", "acme-large-2026").orElseThrow().model()).isEqualTo("acme-large");
        assertThat(t.find("zeta", "z-1")).isPresent();
        assertThat(t.find("zeta", "acme-large")).as("rows stay their provider's").isEmpty();
        assertThat(t.find("bare", "anything")).isEmpty();
        assertThat(t.version())
                .as("one date when every provider's prices are as of it; none adds nothing")
                .isEqualTo("2026-12-01");
    }

    @Test
    void providersPricedAsOfDifferentDays_makeAVersionThatNamesEach_inOneOrder()
            throws IOException {
        PriceRows a = rows("2026-12-01", "acme", "a");
        PriceRows z = rows("2026-11-15", "zeta", "z");
        assertThat(PriceTable.of(List.of(a, z)).version()).isEqualTo("2026-11-15+2026-12-01");
        assertThat(PriceTable.of(List.of(z, a)).version()).isEqualTo("2026-11-15+2026-12-01");
        assertThat(PriceTable.of(List.of()).version()).isEqualTo("unversioned");
    }

    @Test
    void aProviderShippingAnotherProvidersRow_isRefusedNamingBothAndTheModel() throws IOException {
        PriceRows foreign = rows("2026-12-01", "zeta", "z-1");
        assertThatThrownBy(() -> registered("acme", foreign))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("provider 'acme'")
                .hasMessageContaining("provider 'zeta'")
                .hasMessageContaining("'z-1'");
    }

    @Test
    void aMissingPriceResource_failsNamingTheFileAndItsRegistration() {
        assertThatThrownBy(() -> PriceRows.resource(CataloguePricesTest.class, "prices/acme.json"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("dev/batchlane/core/money/prices/acme.json")
                .hasMessageContaining(CataloguePricesTest.class.getName());
    }

    @Test
    void aBrokenRow_isRefusedWithItsFileAndRow() {
        assertThatThrownBy(
                        () ->
                                PriceRows.read(
                                        new ByteArrayInputStream(
                                                "{\"models\": [{\"provider\": \"acme\"}]}"
                                                        .getBytes(StandardCharsets.UTF_8)),
                                        "acme.json"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("price table acme.json, row 1: 'model' is missing");
    }
}
