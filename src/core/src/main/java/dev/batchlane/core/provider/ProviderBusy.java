package dev.batchlane.core.provider;

/**
 * The provider said "not now" because of its own queue, not because of the shard: its enqueued
 * token limit was reached, the input file just uploaded is not ready yet, or batch creation is rate
 * limited. Nothing of the shard is wrong; it waits and is submitted again. {@code statedLimit} is
 * the limit the provider named in its answer (enqueued tokens), when it named one; the admission
 * budget learns it. {@code code} is the provider's own error code, for people.
 */
public record ProviderBusy(Reason reason, Long statedLimit, String code) {

    public enum Reason {
        /** The provider's enqueued-token limit for the model is reached. */
        ENQUEUED_TOKENS,
        /** The input file was uploaded but the provider is not ready to read it yet. */
        FILE_NOT_READY,
        /** Batch creation is rate limited (HTTP 429). */
        RATE_LIMITED
    }

    /**
     * The number a provider's message names right after the word "limit" (optionally "limit:",
     * "limit of", "limit is"; digits with ',' or '_' separators), e.g. {@code "Limit: 2,000,000
     * enqueued tokens"} gives 2000000; null without one. Only a number is read from the text:
     * whether the answer is a queue limit is decided by its code.
     */
    public static Long limitIn(String message) {
        if (message == null) {
            return null;
        }
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile(
                                "(?i)\\blimit(?:\\s*(?::|of|is|=))?\\s*(\\d[\\d,_]*)")
                        .matcher(message);
        if (!m.find()) {
            return null;
        }
        try {
            long n = Long.parseLong(m.group(1).replace(",", "").replace("_", ""));
            return n > 0 ? n : null;
        } catch (NumberFormatException tooLong) {
            return null;
        }
    }
}
