package dev.batchlane.http;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * How long a provider asked the caller to wait, from whichever header it sent: {@code
 * retry-after-ms} (OpenAI's, milliseconds), or {@code Retry-After} as seconds (RFC 9110 §10.2.3
 * says a whole number; OpenAI sends fractions) or as an HTTP date, read against {@code now}. A
 * value that cannot be read, or a negative one, is no request at all: the caller's own backoff
 * applies. A date already past asks for no wait.
 */
public final class RetryAfter {
    private RetryAfter() {}

    public static Optional<Duration> of(HttpHeaders headers, Instant now) {
        Optional<String> ms = headers.firstValue("retry-after-ms");
        if (ms.isPresent()) {
            Optional<Duration> wait = number(ms.get(), 1);
            if (wait.isPresent()) {
                return wait;
            }
        }
        return headers.firstValue("retry-after").flatMap(value -> parse(value, now));
    }

    /** One {@code Retry-After} value: seconds or an HTTP date. */
    public static Optional<Duration> parse(String value, Instant now) {
        Optional<Duration> seconds = number(value, 1000);
        if (seconds.isPresent() || !value.trim().matches(".*[A-Za-z].*")) {
            return seconds;
        }
        try {
            Instant at =
                    ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME)
                            .toInstant();
            return Optional.of(at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO);
        } catch (DateTimeParseException notADate) {
            return Optional.empty();
        }
    }

    private static Optional<Duration> number(String value, long millisPerUnit) {
        try {
            double n = Double.parseDouble(value.trim());
            if (n < 0 || Double.isNaN(n) || Double.isInfinite(n)) {
                return Optional.empty();
            }
            return Optional.of(Duration.ofMillis((long) (n * millisPerUnit)));
        } catch (NumberFormatException notANumber) {
            return Optional.empty();
        }
    }
}
