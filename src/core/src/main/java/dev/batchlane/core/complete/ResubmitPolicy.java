package dev.batchlane.core.complete;

import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.ProviderException;
import java.util.Set;

/**
 * Which failed requests are worth resubmitting in a child shard, decided on what the provider says
 * in machine terms — the HTTP status of the request and the error code or type its adapter read —
 * and never on the words of a message, which providers reword at will (and which may quote the
 * request).
 *
 * <p>A rate limit, a server error, a timeout or an overload may go through next time, and so may a
 * request its batch never ran (expired or cancelled). The model refusing the request itself
 * (invalid request, context too long) will not, and goes to the failed list for the user to fix. A
 * request the provider returned no line for is {@link dev.batchlane.core.provider.Outcome#MISSING}
 * and is not resubmitted by this rule: the provider may have run it and billed it, so whether it is
 * sent again is decided from the batch's own counts when the shard is joined (see {@link
 * Joiner.Unanswered}).
 *
 * <p>"Resubmit" is one of the lane's two kinds of second try, and the only one decided here: a
 * request that came back failed goes into a new batch, hours later. Retrying a provider
 * <em>call</em> that failed (an upload or a status check answered 429 or 5xx) happens within one
 * invocation and is decided by {@link dev.batchlane.core.provider.ProviderException#retryable()}.
 */
public final class ResubmitPolicy {
    /**
     * Error codes (OpenAI's {@code error.code}, falling back to its {@code error.type}) and types
     * (Anthropic's {@code error.type}) that mean "not now" rather than "never".
     */
    static final Set<String> PASSING_CODES =
            Set.of(
                    // OpenAI
                    "rate_limit_exceeded",
                    "server_error",
                    "timeout",
                    "request_timeout",
                    "batch_expired",
                    "batch_cancelled",
                    // Anthropic
                    "rate_limit_error",
                    "api_error",
                    "overloaded_error",
                    "timeout_error");

    private ResubmitPolicy() {}

    public static boolean worthResubmitting(LineResult line) {
        return switch (line.outcome()) {
            case SUCCEEDED, MISSING -> false;
            case EXPIRED, CANCELLED -> true;
            case FAILED -> passingStatus(line.statusCode()) || passingCode(line.errorCode());
        };
    }

    static boolean passingStatus(Integer status) {
        return status != null && ProviderException.retryableStatus(status);
    }

    static boolean passingCode(String code) {
        return code != null && PASSING_CODES.contains(code);
    }
}
