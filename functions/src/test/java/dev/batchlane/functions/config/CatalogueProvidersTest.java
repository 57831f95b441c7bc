package dev.batchlane.functions.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.catalogue.ProviderCatalogue;
import dev.batchlane.core.catalogue.ProviderContext;
import dev.batchlane.core.catalogue.ProviderDescriptor;
import dev.batchlane.core.catalogue.ProviderRegistration;
import dev.batchlane.core.provider.BatchProvider;
import java.net.http.HttpClient;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The functions' side of the catalogue: every provider packaged with the functions is registered,
 * each builds from its settings alone, and every variable the deployment sets for a provider (its
 * descriptor's {@code deploymentEnvironment}) is one its registration reads.
 */
class CatalogueProvidersTest {

    private static final ProviderCatalogue CATALOGUE = ProviderCatalogue.load();

    @Test
    void theFunctionsCarryEveryAdapterModulesRegistrations() {
        assertThat(CATALOGUE.names())
                .containsExactly(
                        "anthropic",
                        "azure",
                        "bedrock",
                        "gemini",
                        "groq",
                        "mistral",
                        "openai",
                        "together");
    }

    @Test
    void everyVariableTheDeploymentSetsForAProvider_isReadByItsRegistration() {
        try (S3Client s3 =
                S3Client.builder()
                        .region(Region.US_EAST_1)
                        .credentialsProvider(AnonymousCredentialsProvider.create())
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .build()) {
            for (ProviderRegistration r : CATALOGUE.registrations()) {
                ProviderDescriptor d = r.descriptor();
                Set<String> read = new TreeSet<>();
                // Base URL given, so a provider that runs only where its address is configured
                // runs here too.
                Recording context =
                        new Recording(
                                d,
                                read,
                                Map.of(
                                        "base-url",
                                        "https://example.invalid/v1",
                                        "role-arn",
                                        "arn:aws:iam::123456789012:role/x"),
                                Map.of(
                                        HttpClient.class,
                                        HttpClient.newHttpClient(),
                                        S3Client.class,
                                        s3));
                Optional<BatchProvider> built = r.create(context);
                assertThat(built).as("%s builds from its settings", d.name()).isPresent();
                assertThat(built.get().name()).isEqualTo(d.name());
                for (String variable : d.deploymentEnvironment()) {
                    assertThat(read.stream().map(d::settingEnv))
                            .as(
                                    "%s, set by the deployment for %s, is read by its registration",
                                    variable, d.name())
                            .contains(variable);
                }
            }
        }
    }

    @Test
    void aProviderWhoseAddressIsTheCustomersOwn_isNotBuiltWithoutOne() {
        ProviderRegistration azure = CATALOGUE.find("azure").orElseThrow();
        Recording context =
                new Recording(
                        azure.descriptor(),
                        new TreeSet<>(),
                        Map.of(),
                        Map.of(HttpClient.class, HttpClient.newHttpClient()));
        assertThat(azure.create(context)).isEmpty();
    }

    @Test
    void aSettingFallsBackToTheVariableTheProvidersOwnSdkReads_andTheLanesOwnSettingWins() {
        ProviderDescriptor d =
                ProviderDescriptor.builder("sample", "Sample", "Sample")
                        .settingAliases(Map.of("base-url", "SAMPLE_BASE_URL"))
                        .build();
        java.util.List<String> seen = new java.util.ArrayList<>();
        ProviderRegistration probe =
                new ProviderRegistration() {
                    public ProviderDescriptor descriptor() {
                        return d;
                    }

                    public Optional<BatchProvider> create(ProviderContext c) {
                        seen.add(c.setting("base-url").orElse("none") + " " + c.apiKey());
                        return Optional.empty();
                    }
                };
        Map<String, String> aliasOnly = Map.of("SAMPLE_BASE_URL", "http://sdk");
        Map<String, String> both =
                Map.of(
                        "SAMPLE_BASE_URL", "http://sdk",
                        "batchlane.sample.base-url", "http://lane",
                        "batchlane.sample.api-key", "k");
        for (Map<String, String> config : java.util.List.of(aliasOnly, both)) {
            CatalogueProviders.lazy(
                            ProviderCatalogue.of(java.util.List.of(probe)),
                            java.util.List.of(),
                            k -> Optional.ofNullable(config.get(k)),
                            new CatalogueProviders.Lane("us-east-1", "bucket", Optional.empty()),
                            Map.of(),
                            p -> p)
                    .find("sample");
        }
        assertThat(seen).containsExactly("http://sdk unset", "http://lane k");
    }

    /** A context that records which settings a registration reads. */
    private record Recording(
            ProviderDescriptor descriptor,
            Set<String> read,
            Map<String, String> values,
            Map<Class<?>, Object> resources)
            implements ProviderContext {
        @Override
        public Optional<String> setting(String key) {
            read.add(key);
            return Optional.ofNullable(values.get(key));
        }

        @Override
        public String apiKey() {
            read.add(API_KEY_SECRET);
            return "test-key";
        }

        @Override
        public String region() {
            return "us-east-1";
        }

        @Override
        public String bucket() {
            return "bucket";
        }

        @Override
        public <T> T resource(Class<T> type) {
            return type.cast(resources.get(type));
        }
    }
}
