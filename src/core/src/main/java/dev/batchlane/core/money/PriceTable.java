package dev.batchlane.core.money;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.catalogue.ProviderCatalogue;
import dev.batchlane.core.catalogue.ProviderDescriptor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Prices per provider and model: the rows each provider of the catalogue ships with its adapter
 * ({@link ProviderDescriptor#prices()}) and, optionally, an override file of the same shape whose
 * rows replace or add to them. A model name matches the longest listed prefix, so a dated snapshot
 * prices as its family.
 */
public final class PriceTable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String version;
    private final Map<String, ModelPrice> byKey;

    private PriceTable(String version, Map<String, ModelPrice> byKey) {
        this.version = version;
        this.byKey = byKey;
    }

    /** The prices of every provider registered on the class path. */
    public static PriceTable shipped() {
        return from(ProviderCatalogue.load());
    }

    /** The prices of the providers of {@code catalogue}, each from its own descriptor. */
    public static PriceTable from(ProviderCatalogue catalogue) {
        return of(catalogue.descriptors().stream().map(ProviderDescriptor::prices).toList());
    }

    /**
     * One table of several providers' rows. Its version is each distinct version of the lists that
     * have rows, sorted and joined by {@code +} (one when all providers' prices are as of the same
     * day), so the version a manifest records does not depend on the order of the class path.
     */
    public static PriceTable of(Collection<PriceRows> lists) {
        Map<String, ModelPrice> byKey = new LinkedHashMap<>();
        TreeSet<String> versions = new TreeSet<>();
        for (PriceRows list : lists) {
            if (list.rows().isEmpty()) {
                continue;
            }
            versions.add(list.version());
            put(list.rows(), byKey);
        }
        return new PriceTable(
                versions.isEmpty() ? "unversioned" : String.join("+", versions), byKey);
    }

    /** This table with the rows of {@code overrides} replacing or adding to it. */
    public PriceTable withOverrides(Path overrides) {
        try {
            PriceRows rows =
                    PriceRows.parse(
                            JSON.readTree(Files.readAllBytes(overrides)), overrides.toString());
            Map<String, ModelPrice> merged = new LinkedHashMap<>(byKey);
            put(rows.rows(), merged);
            return new PriceTable(version + "+" + rows.version(), merged);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "price overrides " + overrides + " are unreadable: " + e.getMessage(), e);
        }
    }

    private static void put(List<ModelPrice> rows, Map<String, ModelPrice> into) {
        for (ModelPrice p : rows) {
            into.put(p.provider() + "/" + p.model(), p);
        }
    }

    public String version() {
        return version;
    }

    public Optional<ModelPrice> find(String provider, String model) {
        if (model == null) {
            return Optional.empty();
        }
        ModelPrice best = null;
        for (ModelPrice p : byKey.values()) {
            if (p.provider().equals(provider)
                    && model.startsWith(p.model())
                    && (best == null || p.model().length() > best.model().length())) {
                best = p;
            }
        }
        return Optional.ofNullable(best);
    }
}
