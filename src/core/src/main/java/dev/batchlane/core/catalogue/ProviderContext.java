package dev.batchlane.core.catalogue;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * What a host hands a registration to build its adapter: the provider's own settings (under {@code
 * batchlane.<name>.}), its key, the lane's region and bucket, and shared clients by type. The host
 * decides where settings come from (the functions: their configuration); the adapter decides what
 * they mean and their defaults.
 */
public interface ProviderContext {
    /**
     * The setting holding the ARN of the key's secret; the host resolves it into {@link #apiKey}.
     */
    String API_KEY_SECRET = "api-key-secret";

    /** The plain key setting, for local runs only. */
    String API_KEY = "api-key";

    ProviderDescriptor descriptor();

    /**
     * The setting {@code key} (relative: {@code base-url} is {@code batchlane.<name>.base-url}).
     */
    Optional<String> setting(String key);

    /** The provider's key, read from its secret or the plain setting; "unset" when neither. */
    String apiKey();

    String region();

    String bucket();

    /** A client the host shares (the JDK HTTP client, an S3 client, …); fails when it has none. */
    <T> T resource(Class<T> type);

    default String text(String key, String orElse) {
        return setting(key).orElse(orElse);
    }

    default Optional<URI> uri(String key) {
        return setting(key).map(v -> parse(key, v, URI::create));
    }

    default URI uri(String key, String orElse) {
        return uri(key).orElseGet(() -> URI.create(orElse));
    }

    /** ISO-8601 ({@code PT60S}) or a number of seconds with a unit suffix ({@code 60s}). */
    default Duration duration(String key, Duration orElse) {
        return setting(key).map(v -> parse(key, v, ProviderContext::duration)).orElse(orElse);
    }

    default int integer(String key, int orElse) {
        return setting(key)
                .map(v -> parse(key, v.replace("_", ""), Integer::parseInt))
                .orElse(orElse);
    }

    default long longValue(String key, long orElse) {
        return setting(key)
                .map(v -> parse(key, v.replace("_", ""), Long::parseLong))
                .orElse(orElse);
    }

    private <T> T parse(String key, String value, java.util.function.Function<String, T> f) {
        try {
            return f.apply(value.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    descriptor().settingsPrefix()
                            + key
                            + ": '"
                            + value
                            + "' is not a valid value ("
                            + e.getMessage()
                            + ")",
                    e);
        }
    }

    private static Duration duration(String v) {
        String upper = v.toUpperCase(java.util.Locale.ROOT);
        if (upper.startsWith("P")) {
            return Duration.parse(upper);
        }
        // The short forms MicroProfile configuration accepts: 60S, 5M, 2H, 500MS.
        if (upper.endsWith("MS")) {
            return Duration.ofMillis(Long.parseLong(upper.substring(0, upper.length() - 2)));
        }
        if (upper.matches("\\d+")) {
            return Duration.ofSeconds(Long.parseLong(upper));
        }
        return Duration.parse(upper.endsWith("D") ? "P" + upper : "PT" + upper);
    }
}
