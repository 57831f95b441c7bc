package dev.batchlane.core.lane;

import dev.batchlane.core.provider.BatchProvider;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The provider adapters a lane runs, by name. A host may hand them over built, or as builders run
 * on a provider's first use ({@link #lazy}): building an adapter reads its key, so a function that
 * only handles one provider's work never reads another's, and one provider's missing key fails only
 * that provider's work. Names the deployment left out are kept apart ({@link #notEnabled}), so a
 * drop for one is refused for what it is rather than as an unknown name.
 */
public final class Providers {
    private final Map<String, Entry> byName = new LinkedHashMap<>();
    private final Set<String> notEnabled;

    public Providers(List<BatchProvider> providers) {
        for (BatchProvider p : providers) {
            byName.put(p.name(), new Entry(() -> Optional.of(p)));
        }
        this.notEnabled = Set.of();
    }

    private Providers(
            Map<String, Supplier<Optional<BatchProvider>>> builders,
            Collection<String> notEnabled) {
        builders.forEach((name, builder) -> byName.put(name, new Entry(builder)));
        this.notEnabled = Collections.unmodifiableSet(new LinkedHashSet<>(notEnabled));
        for (String name : this.notEnabled) {
            if (byName.containsKey(name)) {
                throw new IllegalArgumentException(
                        "provider '" + name + "' is both enabled and not enabled");
            }
        }
    }

    /**
     * Providers built on first use, each at most once: an empty builder result means the provider
     * is not configured here (as {@code ProviderRegistration.create} says), and a builder that
     * throws (an empty key secret) is tried again on the next use, so a key put afterwards is
     * picked up without a restart.
     *
     * @param enabled a builder per enabled provider, by name
     * @param notEnabled providers the lane knows but the deployment did not enable
     */
    public static Providers lazy(
            Map<String, Supplier<Optional<BatchProvider>>> enabled, Collection<String> notEnabled) {
        return new Providers(enabled, notEnabled);
    }

    /** The adapter for {@code name}, built now if this is its first use. */
    public Optional<BatchProvider> find(String name) {
        Entry entry = byName.get(name);
        return entry == null ? Optional.empty() : entry.get();
    }

    public BatchProvider get(String name) {
        return find(name)
                .orElseThrow(
                        () ->
                                new IllegalStateException(
                                        notEnabled.contains(name)
                                                ? "provider '"
                                                        + name
                                                        + "' is not enabled in this deployment;"
                                                        + " enabled: "
                                                        + byName.keySet()
                                                : "no adapter for provider '"
                                                        + name
                                                        + "'; configured: "
                                                        + byName.keySet()));
    }

    /** The providers this lane runs (enabled; a lazy one is not built by asking). */
    public Set<String> names() {
        return Collections.unmodifiableSet(byName.keySet());
    }

    /** Whether {@code name} is a provider the lane knows but the deployment did not enable. */
    public boolean isNotEnabled(String name) {
        return notEnabled.contains(name);
    }

    /** One provider's adapter, built once on first use. */
    private static final class Entry {
        private final Supplier<Optional<BatchProvider>> builder;
        private Optional<BatchProvider> built;

        Entry(Supplier<Optional<BatchProvider>> builder) {
            this.builder = builder;
        }

        // Synchronized: poll and ingest use providers from several threads, and two threads
        // building the same adapter would read its key twice.
        synchronized Optional<BatchProvider> get() {
            if (built == null) {
                built = builder.get();
            }
            return built;
        }
    }
}
