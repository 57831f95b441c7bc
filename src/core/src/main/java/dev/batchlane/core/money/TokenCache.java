package dev.batchlane.core.money;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToIntFunction;

/**
 * Token counts of long strings, keyed by their content. A batch file usually repeats one long
 * system prompt on every line; counting it once per file instead of once per line is most of the
 * tokenizer's cost. Counts stay exact: the count is a pure function of the text and the encoding,
 * and a lookup compares the whole string. Short strings are counted directly (hashing them costs
 * about as much as counting). Memory is bounded by the characters held: when full, the cache is
 * emptied and refills with what repeats.
 */
public final class TokenCache {
    private final int minChars;
    private final long maxChars;
    private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();
    private final AtomicLong heldChars = new AtomicLong();
    private final AtomicLong hits = new AtomicLong();

    public TokenCache(int minChars, long maxChars) {
        this.minChars = minChars;
        this.maxChars = maxChars;
    }

    /**
     * The default: strings of 256 characters or more, up to 4 million characters held (about 8 MB).
     */
    public static TokenCache standard() {
        return new TokenCache(256, 4_000_000);
    }

    public int count(String text, ToIntFunction<String> tokenizer) {
        if (text.length() < minChars) {
            return tokenizer.applyAsInt(text);
        }
        Integer known = counts.get(text);
        if (known != null) {
            hits.incrementAndGet();
            return known;
        }
        int n = tokenizer.applyAsInt(text);
        if (heldChars.addAndGet(text.length()) > maxChars) {
            counts.clear();
            heldChars.set(text.length());
        }
        counts.put(text, n);
        return n;
    }

    /** Lookups answered from the cache, for the benchmark. */
    public long hits() {
        return hits.get();
    }

    int size() {
        return counts.size();
    }
}
