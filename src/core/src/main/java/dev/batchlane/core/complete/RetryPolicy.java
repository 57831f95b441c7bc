package dev.batchlane.core.complete;

import dev.batchlane.core.provider.LineResult;
import java.util.Locale;

/**
 * Which failed requests are worth sending again. A rate limit, a server error, a timeout, an
 * expired window or a lost line may go through next time; the model refusing the request itself
 * (invalid request, context too long) will not, and goes to the failed list for the user to fix.
 */
public final class RetryPolicy {
    private RetryPolicy() {
    }

    public static boolean retryable(LineResult line) {
        return switch (line.outcome()) {
            case SUCCEEDED -> false;
            case EXPIRED, CANCELLED, MISSING -> true;
            case FAILED -> retryableStatus(line.statusCode()) || retryableCode(line.errorJson());
        };
    }

    static boolean retryableStatus(Integer status) {
        return status != null && (status == 408 || status == 409 || status == 429 || status >= 500);
    }

    static boolean retryableCode(String errorJson) {
        if (errorJson == null) {
            return false;
        }
        String e = errorJson.toLowerCase(Locale.ROOT);
        return e.contains("rate_limit") || e.contains("server_error") || e.contains("timeout")
                || e.contains("overloaded") || e.contains("\"api_error\"") || e.contains("batch_expired")
                || e.contains("batch_cancelled");
    }
}
