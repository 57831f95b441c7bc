package dev.batchlane.simulator.openai;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Random identifiers in the shapes OpenAI uses ({@code file-…}, {@code batch_…}, {@code req_…}).
 */
final class Ids {
    private static final char[] ALPHANUMERIC =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Ids() {}

    static String file() {
        return "file-" + random(ALPHANUMERIC, 22);
    }

    /** Mistral names files and jobs by UUID. */
    static String uuid() {
        return java.util.UUID.randomUUID().toString();
    }

    static String batch() {
        return "batch_" + random(HEX, 32);
    }

    static String batchRequest() {
        return "batch_req_" + random(HEX, 32);
    }

    static String request() {
        return "req_" + random(HEX, 32);
    }

    static String withPrefix(String prefix) {
        return prefix + random(ALPHANUMERIC, 24);
    }

    private static String random(char[] alphabet, int length) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = alphabet[random.nextInt(alphabet.length)];
        }
        return new String(out);
    }
}
