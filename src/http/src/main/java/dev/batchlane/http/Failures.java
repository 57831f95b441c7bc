package dev.batchlane.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.provider.KeyRedaction;
import dev.batchlane.core.provider.ProviderException;
import java.io.IOException;
import java.net.http.HttpTimeoutException;

/**
 * Every way a provider call fails, as a {@link ProviderException} whose message reads {@code
 * "<provider> <operation> failed: <status> <code>: <detail>"}. Only the provider's own error
 * message is ever quoted, with its key-shaped words redacted ({@link KeyRedaction}) and cut to
 * {@link #MAX_MESSAGE_CHARS}: the body of something other than the API (a proxy's HTML page, say)
 * could hold request text, and is not repeated anywhere.
 */
public final class Failures {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Enough for any provider's own error message; a longer text is a page, not a message. */
    public static final int MAX_MESSAGE_CHARS = 500;

    private Failures() {}

    /** A failure with all its parts given; the message is built the one way every adapter uses. */
    public static ProviderException of(
            String provider,
            String operation,
            int status,
            String code,
            boolean retryable,
            String detail,
            Throwable cause) {
        return new ProviderException(
                provider
                        + " "
                        + operation
                        + " failed: "
                        + status
                        + (code == null ? "" : " " + code)
                        + ": "
                        + detail,
                status,
                code,
                retryable,
                cause);
    }

    /**
     * A call refused before its request left ({@link ProviderException#notSent}), with its message
     * built the one way: {@code "<provider> <operation> failed: 0 <code>: <detail>"}.
     */
    public static ProviderException notSent(
            String provider,
            String operation,
            String code,
            boolean retryable,
            String detail,
            Throwable cause) {
        return ProviderException.notSent(
                provider + " " + operation + " failed: 0 " + code + ": " + detail,
                code,
                retryable,
                cause);
    }

    /**
     * A non-2xx answer with its error body, read by {@link #envelope}; retryable by the core's one
     * rule ({@link ProviderException#retryableStatus}).
     */
    public static ProviderException status(
            String provider, String operation, int status, byte[] body) {
        Envelope e = envelope(body);
        String message =
                e.message() == null
                        ? "no error message (the answer was not an error envelope)"
                        : truncate(KeyRedaction.redactKeys(e.message()));
        return of(
                provider,
                operation,
                status,
                e.code(),
                ProviderException.retryableStatus(status),
                message,
                null);
    }

    /** The machine-readable code and the message of an error envelope; either may be null. */
    public record Envelope(String code, String message) {}

    /**
     * The error envelope of every provider Batchlane speaks to, read by one rule: {@code {"error":
     * {...}}} (OpenAI, Azure, Groq, Together, Anthropic, Google) or the flat {@code {"message",
     * "type", "code"}} (Mistral), or {@code {"error": "text"}}. The code is the first text of
     * {@code code} (OpenAI's), {@code status} (Google's, whose {@code code} is the HTTP number) and
     * {@code type} (Anthropic's, and OpenAI's when it sends no code).
     */
    public static Envelope envelope(byte[] body) {
        try {
            JsonNode root = JSON.readTree(body);
            if (root == null) {
                return new Envelope(null, null);
            }
            JsonNode error = root.path("error");
            if (error.isTextual()) {
                return new Envelope(null, error.asText());
            }
            if (!error.isObject() && root.path("message").isTextual()) {
                error = root;
            }
            String code = text(error.get("code"));
            if (code == null) {
                code = text(error.get("status"));
            }
            if (code == null) {
                code = text(error.get("type"));
            }
            return new Envelope(code, text(error.get("message")));
        } catch (IOException | RuntimeException notAnEnvelope) {
            // The status alone has to speak.
            return new Envelope(null, null);
        }
    }

    /**
     * No answer at all: the network, a timeout, or a connection cut mid-body. Worth trying again.
     * Only the exception's class is named: a reader's message could quote what it was reading.
     */
    public static ProviderException transport(String provider, String operation, IOException e) {
        String code = e instanceof HttpTimeoutException ? "timeout" : "io_error";
        return of(provider, operation, 0, code, true, e.getClass().getSimpleName(), e);
    }

    public static ProviderException interrupted(
            String provider, String operation, InterruptedException e) {
        return of(provider, operation, 0, "interrupted", true, "the call was interrupted", e);
    }

    /**
     * A 2xx answer that is not what the API promises, as a dropped connection or a misbehaving
     * proxy leaves it. Retryable, because the call itself was fine; for a creating call it may have
     * taken effect ({@link ProviderException#mayHaveTakenEffect()}).
     */
    public static ProviderException malformed(
            String provider, String operation, int status, String detail, Throwable cause) {
        return of(provider, operation, status, "malformed_response", true, detail, cause);
    }

    /**
     * {@code text} cut to {@link #MAX_MESSAGE_CHARS}, never between the two halves of a surrogate
     * pair.
     */
    public static String truncate(String text) {
        if (text.length() <= MAX_MESSAGE_CHARS) {
            return text;
        }
        int end = MAX_MESSAGE_CHARS;
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end) + "…";
    }

    static String text(JsonNode node) {
        return node != null && node.isTextual() ? node.asText() : null;
    }
}
