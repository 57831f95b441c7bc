package dev.batchlane.provider.gemini;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How to reach the Gemini API.
 *
 * @param baseUrl the API root without the version, e.g. {@code
 *     https://generativelanguage.googleapis.com}
 * @param apiKey sent as {@code x-goog-api-key} on every call; never logged and hidden from {@link
 *     #toString()}
 * @param requestTimeout the most one HTTP call may take (an upload chunk included)
 * @param uploadChunkBytes bytes sent per upload request: the only part of a shard held in memory
 */
public record GeminiConfig(
        URI baseUrl, String apiKey, Duration requestTimeout, int uploadChunkBytes) {
    public static final URI DEFAULT_BASE_URL =
            URI.create("https://generativelanguage.googleapis.com");

    /**
     * What Google's own SDK sends per chunk; a multiple of the 256 KiB granularity resumable
     * uploads use.
     */
    public static final int DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

    static final int CHUNK_GRANULARITY = 256 * 1024;

    public GeminiConfig {
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(apiKey, "apiKey");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        String scheme =
                baseUrl.getScheme() == null ? "" : baseUrl.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("https") || scheme.equals("http")) || baseUrl.getHost() == null) {
            throw new IllegalArgumentException(
                    "baseUrl must be an absolute http(s) URL such as "
                            + DEFAULT_BASE_URL
                            + ", was "
                            + baseUrl);
        }
        if (apiKey.isBlank()) {
            throw new IllegalArgumentException("the Gemini API key is empty");
        }
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new IllegalArgumentException(
                    "requestTimeout must be positive, was " + requestTimeout);
        }
        if (uploadChunkBytes < CHUNK_GRANULARITY || uploadChunkBytes % CHUNK_GRANULARITY != 0) {
            throw new IllegalArgumentException(
                    "uploadChunkBytes must be a positive multiple of 256 KiB, was "
                            + uploadChunkBytes);
        }
    }

    public GeminiConfig(URI baseUrl, String apiKey, Duration requestTimeout) {
        this(baseUrl, apiKey, requestTimeout, DEFAULT_CHUNK_BYTES);
    }

    @Override
    public String toString() {
        return "GeminiConfig[baseUrl="
                + baseUrl
                + ", apiKey=***, requestTimeout="
                + requestTimeout
                + ", uploadChunkBytes="
                + uploadChunkBytes
                + "]";
    }
}
