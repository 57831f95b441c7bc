package dev.batchlane.core.money;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Token estimates shared by every provider. Input tokens are counted by the provider's contract
 * (a real tokenizer where one is known); what is common is the output cap and the fallback
 * approximation.
 */
public final class Estimates {
    private Estimates() {
    }

    /** Field names providers use for the output cap, most specific first. */
    private static final String[] OUTPUT_CAPS = {"max_completion_tokens", "max_output_tokens", "max_tokens"};

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
     * An approximation for providers without a public tokenizer: one token per four characters of
     * every string in the request, the rule of thumb those providers publish for English text.
     * It is used for a budget guard, so it errs on the side of counting too much (keys and
     * structure count too).
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
            node.fields().forEachRemaining(e -> {
                chars[0] += e.getKey().length();
                walk(e.getValue(), chars);
            });
            if (node.isArray()) {
                node.forEach(n -> walk(n, chars));
            }
        }
    }
}
