package dev.batchlane.core.complete;

import dev.batchlane.core.provider.FailureKind;
import dev.batchlane.core.provider.LineResult;

/**
 * Which failed requests are worth resubmitting in a child shard, decided on the lane's own types
 * only: a line's {@link dev.batchlane.core.provider.Outcome} and, for a failed line, the {@link
 * FailureKind} its adapter read from the provider's status and codes. No provider's code is named
 * here, and never the words of a message, which providers reword at will (and which may quote the
 * request).
 *
 * <p>A rate limit, a server error, a timeout or an overload may go through next time (the adapter
 * says PASSING), and so may a request its batch never ran (expired or cancelled). The model
 * refusing the request itself (invalid request, context too long) will not (FINAL), and goes to the
 * failed list for the user to fix. A request the provider returned no line for is {@link
 * dev.batchlane.core.provider.Outcome#MISSING} and is not resubmitted by this rule: the provider
 * may have run it and billed it, so whether it is sent again is decided from the batch's own counts
 * when the shard is joined (see {@link Joiner.Unanswered}).
 *
 * <p>"Resubmit" is one of the lane's two kinds of second try, and the only one decided here: a
 * request that came back failed goes into a new batch, hours later. Retrying a provider
 * <em>call</em> that failed (an upload or a status check answered 429 or 5xx) happens within one
 * invocation and is decided by {@link dev.batchlane.core.provider.ProviderException#retryable()}.
 */
public final class ResubmitPolicy {

    private ResubmitPolicy() {}

    public static boolean worthResubmitting(LineResult line) {
        return switch (line.outcome()) {
            case SUCCEEDED, MISSING -> false;
            case EXPIRED, CANCELLED -> true;
            case FAILED -> line.failureKind() == FailureKind.PASSING;
        };
    }
}
