package dev.batchlane.simulator.openai;

/**
 * An HTTP error answered with OpenAI's error envelope {@code {"error":{message,type,param,code}}}.
 * Thrown by the handlers and rendered in one place, so every error path has the same shape.
 */
final class ApiError extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;

    ApiError(int status, String type, String message, String param, String code) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** An error with the {@code type} OpenAI uses for that status. */
    static ApiError of(int status, String message, String param, String code) {
        return new ApiError(status, typeFor(status), message, param, code);
    }

    static ApiError badRequest(String message, String param, String code) {
        return of(400, message, param, code);
    }

    static ApiError missing(String param) {
        return badRequest(
                "Missing required parameter: '" + param + "'.",
                param,
                "missing_required_parameter");
    }

    static ApiError invalidValue(String param, String message) {
        return badRequest(message, param, "invalid_value");
    }

    static ApiError notFound(String message, String param) {
        return of(404, message, param, null);
    }

    /**
     * OpenAI answers rate limits with {@code type "requests"}, server faults with {@code
     * "server_error"} and every other client error with {@code "invalid_request_error"}.
     */
    static String typeFor(int status) {
        if (status == 429) {
            return "requests";
        }
        if (status >= 500) {
            return "server_error";
        }
        return "invalid_request_error";
    }

    /** The message OpenAI sends for a status when the caller did not choose one. */
    static String defaultMessage(int status) {
        if (status == 429) {
            return "Rate limit reached for requests. Please try again later.";
        }
        if (status == 503) {
            return "The server is overloaded or not ready yet.";
        }
        if (status >= 500) {
            return "The server had an error while processing your request. Sorry about that!";
        }
        return "The request could not be processed (simulated " + status + ").";
    }

    /** The code OpenAI sends for a status when the caller did not choose one. */
    static String defaultCode(int status) {
        return status == 429 ? "rate_limit_exceeded" : null;
    }
}
