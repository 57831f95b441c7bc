package dev.batchlane.provider.anthropic;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/** Where Anthropic is and how to talk to it. {@code baseUrl} has no /v1, as ANTHROPIC_BASE_URL. */
public record AnthropicConfig(URI baseUrl, String apiKey, String version, Duration requestTimeout) {
    public static final String DEFAULT_VERSION = "2023-06-01";

    public AnthropicConfig {
        Objects.requireNonNull(baseUrl, "baseUrl");
        if (apiKey == null || apiKey.isBlank()) {
            throw new IllegalArgumentException("the Anthropic API key is empty");
        }
        if (version == null || version.isBlank()) {
            version = DEFAULT_VERSION;
        }
    }

    @Override
    public String toString() {
        return "AnthropicConfig[baseUrl=" + baseUrl + ", version=" + version + ", apiKey=(hidden)]";
    }
}
