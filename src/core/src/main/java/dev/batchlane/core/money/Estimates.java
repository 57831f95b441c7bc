package dev.batchlane.core.money;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Token estimates shared by every provider. Input tokens are counted by the provider's contract (a
 * real tokenizer where one is known); what is common is the output cap and the fallback
 * approximation.
 */
public final class Estimates {
    private Estimates() {}

    /** Field names providers use for the output cap, most specific first. */
    private static final String[] OUTPUT_CAPS = {
        "max_completion_tokens", "max_output_tokens", "max_tokens"
    };

    /** The request's own output cap, or {@code fallback} when it sets none. */
    public static long maxOutputTokens(JsonNode requestBody, long fallback) {
        for (String field : OUTPUT_CAPS) {
            JsonNode cap = requestBody.path(field);
            if (cap.canConvertToLong() && cap.asLong() > 0) {
                return cap.asLong();
            }
        }
        return fallback;
    }

    /**
     * The most output one request can be billed for: its output cap for every choice it asks for.
     * {@code n} (Chat Completions, Completions) returns that many choices, each up to the cap, and
     * Completions' {@code best_of} generates that many server-side and bills them all, so the
     * larger of the two multiplies the cap.
     */
    public static long outputUpperBound(JsonNode requestBody, long fallback) {
        long cap = maxOutputTokens(requestBody, fallback);
        long choices = choices(requestBody);
        // Saturates rather than overflowing: an absurd n still makes the projection too large,
        // never negative.
        return cap > Long.MAX_VALUE / choices ? Long.MAX_VALUE : cap * choices;
    }

    /**
     * How many completions a request generates: the larger of {@code n} and {@code best_of}, at
     * least one.
     */
    public static long choices(JsonNode requestBody) {
        long choices = 1;
        for (String field : new String[] {"n", "best_of"}) {
            JsonNode v = requestBody.path(field);
            if (v.isIntegralNumber() && v.canConvertToLong() && v.asLong() > choices) {
                choices = v.asLong();
            }
        }
        return choices;
    }

    /**
     * An approximation for providers without a public tokenizer: one token per four characters of
     * every string in the request, the rule of thumb those providers publish for English text. It
     * is used for a budget guard, so it errs on the side of counting too much (keys and structure
     * count too).
     */
    public static long approximateTokens(JsonNode node) {
        long[] chars = {0};
        walk(node, chars);
        return (chars[0] + 3) / 4;
    }

    private static void walk(JsonNode node, long[] chars) {
        if (node.isTextual()) {
            chars[0] += node.asText().length();
        } else if (node.isContainerNode()) {
            node.fields()
                    .forEachRemaining(
                            e -> {
                                chars[0] += e.getKey().length();
                                walk(e.getValue(), chars);
                            });
            if (node.isArray()) {
                node.forEach(n -> walk(n, chars));
            }
        }
    }
}
