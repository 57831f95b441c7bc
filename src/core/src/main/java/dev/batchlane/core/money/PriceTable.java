package dev.batchlane.core.money;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Prices per provider and model, from the versioned data file shipped with the core ({@code
 * prices.json}) and, optionally, an override file of the same shape whose rows replace or add to
 * the shipped ones. A model name matches the longest listed prefix, so dated snapshots ({@code
 * gpt-4o-mini-2024-07-18}) price as their family.
 */
public final class PriceTable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SHIPPED = "/dev/batchlane/core/money/prices.json";

    private final String version;
    private final Map<String, ModelPrice> byKey;

    private PriceTable(String version, Map<String, ModelPrice> byKey) {
        this.version = version;
        this.byKey = byKey;
    }

    public static PriceTable shipped() {
        try (InputStream in = PriceTable.class.getResourceAsStream(SHIPPED)) {
            if (in == null) {
                throw new IllegalStateException(
                        "the price table " + SHIPPED + " is missing from the core jar");
            }
            return parse(JSON.readTree(in), new LinkedHashMap<>(), "shipped");
        } catch (IOException e) {
            throw new UncheckedIOException("the shipped price table is unreadable", e);
        }
    }

    /** The shipped table with the rows of {@code overrides} replacing or adding to it. */
    public PriceTable withOverrides(Path overrides) {
        try {
            JsonNode root = JSON.readTree(Files.readAllBytes(overrides));
            PriceTable merged = parse(root, new LinkedHashMap<>(byKey), overrides.toString());
            return new PriceTable(version + "+" + merged.version, merged.byKey);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "price overrides " + overrides + " are unreadable: " + e.getMessage(), e);
        }
    }

    private static PriceTable parse(JsonNode root, Map<String, ModelPrice> into, String source) {
        JsonNode models = root.path("models");
        if (!models.isArray()) {
            throw new IllegalArgumentException("price table " + source + " has no 'models' array");
        }
        int i = 0;
        for (JsonNode m : models) {
            i++;
            String provider = text(m, "provider", source, i);
            String model = text(m, "model", source, i);
            into.put(
                    provider + "/" + model,
                    new ModelPrice(
                            provider,
                            model,
                            price(m.path("sync"), source, i),
                            price(m.path("batch"), source, i)));
        }
        return new PriceTable(root.path("version").asText("unversioned"), into);
    }

    private static String text(JsonNode m, String field, String source, int row) {
        String v = m.path(field).asText("");
        if (v.isEmpty()) {
            throw new IllegalArgumentException(
                    "price table " + source + ", row " + row + ": '" + field + "' is missing");
        }
        return v;
    }

    private static Price price(JsonNode p, String source, int row) {
        if (!p.isObject() || !p.path("input").isNumber() || !p.path("output").isNumber()) {
            throw new IllegalArgumentException(
                    "price table "
                            + source
                            + ", row "
                            + row
                            + ": sync and batch need numeric 'input' and 'output' (USD per million tokens)");
        }
        BigDecimal input = p.get("input").decimalValue();
        BigDecimal cached =
                p.path("cachedInput").isNumber() ? p.get("cachedInput").decimalValue() : input;
        return new Price(input, cached, p.get("output").decimalValue());
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
