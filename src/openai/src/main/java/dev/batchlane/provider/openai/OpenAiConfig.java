package dev.batchlane.provider.openai;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How to reach an OpenAI-style Files + Batch API.
 *
 * @param baseUrl the API root including the version segment, e.g. {@code https://api.openai.com/v1}
 * @param apiKey sent as a bearer token on every call; never logged and hidden from {@link
 *     #toString()}
 * @param requestTimeout the most one HTTP call may take until its response headers arrive. It
 *     covers sending the request body too, so it must leave room to upload a whole shard (up to 200
 *     MB).
 */
public record OpenAiConfig(URI baseUrl, String apiKey, Duration requestTimeout) {

    public OpenAiConfig {
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(apiKey, "apiKey");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        String scheme =
                baseUrl.getScheme() == null ? "" : baseUrl.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("https") || scheme.equals("http")) || baseUrl.getHost() == null) {
            throw new IllegalArgumentException(
                    "baseUrl must be an absolute http(s) URL such as "
                            + "https://api.openai.com/v1, was "
                            + baseUrl);
        }
        if (baseUrl.getRawQuery() != null || baseUrl.getRawFragment() != null) {
            throw new IllegalArgumentException(
                    "baseUrl must not carry a query or fragment, was " + baseUrl);
        }
        if (apiKey.isBlank()) {
            throw new IllegalArgumentException("apiKey must not be blank");
        }
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new IllegalArgumentException(
                    "requestTimeout must be positive, was " + requestTimeout);
        }
    }

    /** Leaves the key out, because configurations end up in logs and exception messages. */
    @Override
    public String toString() {
        return "OpenAiConfig[baseUrl="
                + baseUrl
                + ", apiKey=***, requestTimeout="
                + requestTimeout
                + "]";
    }
}
