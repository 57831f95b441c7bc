package dev.batchlane.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every form a provider asks for a wait in, read against a fixed now. */
class RetryAfterTest {
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    @Test
    void milliseconds_asOpenAiSendsThem_areTakenAsTheyAre() {
        assertThat(RetryAfter.of(headers(Map.of("retry-after-ms", "1500")), NOW))
                .contains(Duration.ofMillis(1500));
    }

    @Test
    void milliseconds_winOverSecondsWhenBothAreSent() {
        assertThat(RetryAfter.of(headers(Map.of("retry-after-ms", "250", "retry-after", "9")), NOW))
                .contains(Duration.ofMillis(250));
    }

    @Test
    void unreadableMilliseconds_fallBackToTheSeconds() {
        assertThat(
                        RetryAfter.of(
                                headers(Map.of("retry-after-ms", "soon", "retry-after", "2")), NOW))
                .contains(Duration.ofSeconds(2));
    }

    @Test
    void seconds_wholeOrFractional() {
        assertThat(RetryAfter.of(headers(Map.of("Retry-After", "120")), NOW))
                .contains(Duration.ofSeconds(120));
        assertThat(RetryAfter.parse(" 0.5 ", NOW)).contains(Duration.ofMillis(500));
    }

    @Test
    void httpDate_isTheWaitUntilThatInstant() {
        assertThat(
                        RetryAfter.of(
                                headers(Map.of("retry-after", "Tue, 01 Dec 2026 12:01:30 GMT")),
                                NOW))
                .contains(Duration.ofSeconds(90));
    }

    @Test
    void httpDateAlreadyPast_asksForNoWait() {
        assertThat(RetryAfter.parse("Tue, 01 Dec 2026 11:00:00 GMT", NOW)).contains(Duration.ZERO);
    }

    @Test
    void negativeOrUnreadable_isNoRequestAtAll() {
        assertThat(RetryAfter.parse("-3", NOW)).isEmpty();
        assertThat(RetryAfter.parse("next tuesday", NOW)).isEmpty();
        assertThat(RetryAfter.parse("", NOW)).isEmpty();
        assertThat(RetryAfter.parse("NaN", NOW)).isEmpty();
        assertThat(RetryAfter.of(headers(Map.of()), NOW)).isEmpty();
    }

    static HttpHeaders headers(Map<String, String> values) {
        Map<String, List<String>> map = new java.util.HashMap<>();
        values.forEach((k, v) -> map.put(k, List.of(v)));
        return HttpHeaders.of(map, (k, v) -> true);
    }
}
