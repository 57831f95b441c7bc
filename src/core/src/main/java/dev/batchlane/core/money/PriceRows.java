package dev.batchlane.core.money;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Price rows of one data file: a provider's own list, shipped by its adapter module as a resource
 * beside its registration, or an operator's override file. The shape is one for both: {@code
 * version} and {@code models}, each row naming its provider and model with {@code sync} and {@code
 * batch} prices in USD per million tokens ({@code cachedInput} defaults to {@code input}).
 *
 * @param version what the prices are as of ({@code unversioned} when the file says nothing)
 * @param rows in the order of the file
 */
public record PriceRows(String version, List<ModelPrice> rows) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A provider that ships no prices: its files can only run without a budget. */
    public static final PriceRows NONE = new PriceRows("unversioned", List.of());

    public PriceRows {
        Objects.requireNonNull(version, "version");
        rows = List.copyOf(rows);
    }

    /**
     * The resource {@code name} relative to {@code anchor}'s package, e.g. {@code prices/acme.json}
     * beside {@code AcmeRegistration}. Read once, when the registration is loaded: a provider whose
     * prices are missing or broken fails there, naming the file, rather than pricing nothing.
     */
    public static PriceRows resource(Class<?> anchor, String name) {
        String source = anchor.getPackageName().replace('.', '/') + "/" + name;
        try (InputStream in = anchor.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(
                        "the price rows " + source + " are missing from the jar of " + anchor);
            }
            return read(in, source);
        } catch (IOException e) {
            throw new UncheckedIOException("the price rows " + source + " are unreadable", e);
        }
    }

    /** The rows of the JSON document {@code in}; {@code source} names it in error messages. */
    public static PriceRows read(InputStream in, String source) throws IOException {
        return parse(JSON.readTree(in), source);
    }

    static PriceRows parse(JsonNode root, String source) {
        JsonNode models = root == null ? null : root.path("models");
        if (models == null || !models.isArray()) {
            throw new IllegalArgumentException("price table " + source + " has no 'models' array");
        }
        List<ModelPrice> rows = new ArrayList<>();
        int i = 0;
        for (JsonNode m : models) {
            i++;
            rows.add(
                    new ModelPrice(
                            text(m, "provider", source, i),
                            text(m, "model", source, i),
                            price(m.path("sync"), source, i),
                            price(m.path("batch"), source, i)));
        }
        return new PriceRows(root.path("version").asText("unversioned"), rows);
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
}
