package dev.batchlane.core.catalogue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Every provider registered on the class path, in name order (so hosts that iterate it produce the
 * same output on every run, whatever order the class path lists the modules in).
 */
public final class ProviderCatalogue {
    private final Map<String, ProviderRegistration> byName;

    private ProviderCatalogue(List<ProviderRegistration> registrations) {
        List<ProviderRegistration> sorted = new ArrayList<>(registrations);
        sorted.sort(Comparator.comparing(r -> r.descriptor().name()));
        Map<String, ProviderRegistration> map = new LinkedHashMap<>();
        for (ProviderRegistration r : sorted) {
            ProviderRegistration twin = map.put(r.descriptor().name(), r);
            if (twin != null) {
                throw new IllegalStateException(
                        "provider '"
                                + r.descriptor().name()
                                + "' is registered twice: by "
                                + twin.getClass().getName()
                                + " and "
                                + r.getClass().getName());
            }
        }
        this.byName = map;
    }

    /** The registrations the class loader of this class finds. */
    public static ProviderCatalogue load() {
        return load(ProviderCatalogue.class.getClassLoader());
    }

    public static ProviderCatalogue load(ClassLoader loader) {
        List<ProviderRegistration> found = new ArrayList<>();
        ServiceLoader.load(ProviderRegistration.class, loader).forEach(found::add);
        return new ProviderCatalogue(found);
    }

    /** A catalogue of exactly these (tests, and hosts that choose their providers). */
    public static ProviderCatalogue of(List<ProviderRegistration> registrations) {
        return new ProviderCatalogue(registrations);
    }

    public List<ProviderRegistration> registrations() {
        return List.copyOf(byName.values());
    }

    public List<ProviderDescriptor> descriptors() {
        return byName.values().stream().map(ProviderRegistration::descriptor).toList();
    }

    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    public Optional<ProviderRegistration> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The providers whose line shape {@code line} has. */
    public List<String> recognise(com.fasterxml.jackson.databind.JsonNode line) {
        return descriptors().stream()
                .filter(d -> d.lineShape().matches(line))
                .map(ProviderDescriptor::name)
                .toList();
    }
}
