package dev.batchlane.core.lane;

import dev.batchlane.core.provider.BatchProvider;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The configured provider adapters, by name. */
public final class Providers {
    private final Map<String, BatchProvider> byName = new LinkedHashMap<>();

    public Providers(List<BatchProvider> providers) {
        for (BatchProvider p : providers) {
            byName.put(p.name(), p);
        }
    }

    public Optional<BatchProvider> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public BatchProvider get(String name) {
        return find(name)
                .orElseThrow(
                        () ->
                                new IllegalStateException(
                                        "no adapter for provider '"
                                                + name
                                                + "'; configured: "
                                                + byName.keySet()));
    }

    public java.util.Set<String> names() {
        return byName.keySet();
    }
}
