package dev.batchlane.functions.config;

import dev.batchlane.core.catalogue.ProviderCatalogue;
import dev.batchlane.core.catalogue.ProviderContext;
import dev.batchlane.core.catalogue.ProviderDescriptor;
import dev.batchlane.core.catalogue.ProviderRegistration;
import dev.batchlane.core.provider.BatchProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Builds every provider of the catalogue from configuration: each reads its own settings under
 * {@code batchlane.<name>.} (and the conventional variables its descriptor names), its key from the
 * secret in {@code batchlane.<name>.api-key-secret} when one is set. Nothing here names a provider.
 */
final class CatalogueProviders {
    private CatalogueProviders() {}

    /**
     * @param lookup a setting by its full name (the functions' configuration)
     * @param resources the clients the lane shares with its adapters, by type
     */
    static List<BatchProvider> build(
            ProviderCatalogue catalogue,
            Function<String, Optional<String>> lookup,
            BatchlaneConfig config,
            Map<Class<?>, Object> resources) {
        List<BatchProvider> built = new ArrayList<>();
        for (ProviderRegistration r : catalogue.registrations()) {
            r.create(new Context(r.descriptor(), lookup, config, resources)).ifPresent(built::add);
        }
        return built;
    }

    private record Context(
            ProviderDescriptor descriptor,
            Function<String, Optional<String>> lookup,
            BatchlaneConfig config,
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
                        config.aws().region(),
                        config.aws().secretsmanagerEndpoint());
            }
            // A missing key fails at the provider with a clear 401, which is where a user looks
            // for it.
            return setting(API_KEY).orElse("unset");
        }

        @Override
        public String region() {
            return config.aws().region();
        }

        @Override
        public String bucket() {
            return config.bucket();
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
