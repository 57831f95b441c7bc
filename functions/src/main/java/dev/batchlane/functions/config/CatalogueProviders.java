package dev.batchlane.functions.config;

import dev.batchlane.core.catalogue.ProviderCatalogue;
import dev.batchlane.core.catalogue.ProviderContext;
import dev.batchlane.core.catalogue.ProviderDescriptor;
import dev.batchlane.core.catalogue.ProviderRegistration;
import dev.batchlane.core.lane.LaneNames;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.provider.BatchProvider;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Builds the enabled providers of the catalogue from configuration: each reads its own settings
 * under {@code batchlane.<name>.} (and the conventional variables its descriptor names), its key
 * from the secret in {@code batchlane.<name>.api-key-secret} when one is set. Nothing here names a
 * provider.
 */
final class CatalogueProviders {
    private CatalogueProviders() {}

    /**
     * The providers {@code enabled} names, each built on its first use (so its key secret is read
     * only then, and an empty secret fails only its own work) and wrapped by {@code wrap}; the
     * catalogue's other providers are known as not enabled.
     *
     * @param enabled catalogue names; empty means every provider of the catalogue
     * @param lookup a setting by its full name (the functions' configuration)
     * @param resources the clients the lane shares with its adapters, by type
     * @throws IllegalArgumentException when a name is not in the catalogue
     */
    static Providers lazy(
            ProviderCatalogue catalogue,
            List<String> enabled,
            Function<String, Optional<String>> lookup,
            Lane lane,
            Map<Class<?>, Object> resources,
            UnaryOperator<BatchProvider> wrap) {
        List<String> names = enabled(catalogue, enabled);
        Map<String, Supplier<Optional<BatchProvider>>> builders = new LinkedHashMap<>();
        for (String name : names) {
            ProviderRegistration r = catalogue.find(name).orElseThrow();
            builders.put(
                    name,
                    () -> r.create(new Context(r.descriptor(), lookup, lane, resources)).map(wrap));
        }
        List<String> off = catalogue.names().stream().filter(n -> !names.contains(n)).toList();
        return Providers.lazy(builders, off);
    }

    /** The enabled names, checked against the catalogue; none given means all of it. */
    static List<String> enabled(ProviderCatalogue catalogue, List<String> given) {
        List<String> names =
                given.stream().map(String::trim).filter(n -> !n.isEmpty()).distinct().toList();
        if (names.isEmpty()) {
            return catalogue.names();
        }
        for (String name : names) {
            if (catalogue.find(name).isEmpty()) {
                throw new IllegalArgumentException(
                        "batchlane.providers ("
                                + LaneNames.ENV_PROVIDERS
                                + ") names '"
                                + name
                                + "', which is not a provider of the catalogue "
                                + catalogue.names());
            }
        }
        return names;
    }

    /**
     * What the providers are told about the lane: its region and bucket, and where Secrets Manager
     * is (the SDK's own endpoint unless a local stand-in is named).
     */
    record Lane(String region, String bucket, Optional<URI> secretsmanagerEndpoint) {
        static Lane of(BatchlaneConfig config) {
            return new Lane(
                    config.aws().region(), config.bucket(), config.aws().secretsmanagerEndpoint());
        }
    }

    private record Context(
            ProviderDescriptor descriptor,
            Function<String, Optional<String>> lookup,
            Lane lane,
            Map<Class<?>, Object> resources)
            implements ProviderContext {

        @Override
        public Optional<String> setting(String key) {
            Optional<String> own =
                    lookup.apply(descriptor.settingsPrefix() + key).filter(v -> !v.isBlank());
            if (own.isPresent()) {
                return own;
            }
            String alias = descriptor.settingAliases().get(key);
            return alias == null ? Optional.empty() : lookup.apply(alias).filter(v -> !v.isBlank());
        }

        @Override
        public String apiKey() {
            Optional<String> secret = setting(API_KEY_SECRET);
            if (secret.isPresent()) {
                return SecretKeys.read(
                        descriptor.name(),
                        secret.get(),
                        lane.region(),
                        lane.secretsmanagerEndpoint());
            }
            // A missing key fails at the provider with a clear 401, which is where a user looks
            // for it.
            return setting(API_KEY).orElse("unset");
        }

        @Override
        public String region() {
            return lane.region();
        }

        @Override
        public String bucket() {
            return lane.bucket();
        }

        @Override
        public <T> T resource(Class<T> type) {
            Object r = resources.get(type);
            if (r == null) {
                throw new IllegalStateException(
                        "provider "
                                + descriptor.name()
                                + " needs a "
                                + type.getName()
                                + ", which the functions do not provide; they provide "
                                + resources.keySet());
            }
            return type.cast(r);
        }
    }
}
