package dev.batchlane.functions.config;

import java.net.URI;
import java.util.Optional;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * Reads a provider API key from Secrets Manager, so no key sits in an environment variable or
 * template.
 */
final class SecretKeys {
    private SecretKeys() {}

    static String read(String provider, String secretId, String region, Optional<URI> endpoint) {
        var b =
                SecretsManagerClient.builder()
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .region(Region.of(region));
        endpoint.ifPresent(b::endpointOverride);
        try (SecretsManagerClient secrets = b.build()) {
            String value = secrets.getSecretValue(r -> r.secretId(secretId)).secretString();
            if (value == null || value.isBlank()) {
                throw new IllegalStateException(
                        "the "
                                + provider
                                + " API key secret "
                                + secretId
                                + " is empty; put the key with: aws secretsmanager put-secret-value --secret-id "
                                + secretId
                                + " --secret-string <key>");
            }
            return value.trim();
        }
    }
}
