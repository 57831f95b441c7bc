package dev.batchlane.core.money;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TokenCacheTest {
    @Test
    void longRepeatedText_isCountedOnce_shortTextEveryTime() {
        TokenCache cache = new TokenCache(10, 1_000);
        AtomicInteger calls = new AtomicInteger();
        String prompt = "a long shared system prompt";
        for (int i = 0; i < 100; i++) {
            assertThat(
                            cache.count(
                                    prompt,
                                    s -> {
                                        calls.incrementAndGet();
                                        return s.length();
                                    }))
                    .isEqualTo(prompt.length());
            cache.count(
                    "short",
                    s -> {
                        calls.incrementAndGet();
                        return 1;
                    });
        }
        assertThat(calls.get()).isEqualTo(1 + 100);
        assertThat(cache.hits()).isEqualTo(99);
    }

    @Test
    void memoryIsBoundedByCharactersHeld() {
        TokenCache cache = new TokenCache(10, 1_000);
        for (int i = 0; i < 10_000; i++) {
            cache.count("distinct text number " + i, String::length);
        }
        // Each entry holds about 25 characters: never more than 1,000 characters' worth at once.
        assertThat(cache.size()).isLessThanOrEqualTo(1_000 / 22 + 1);
    }
}
