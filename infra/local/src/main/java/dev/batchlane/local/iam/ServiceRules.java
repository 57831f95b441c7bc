package dev.batchlane.local.iam;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How one AWS service (by its SigV4 signing name) turns an HTTP call into the authorizations IAM
 * makes, and how it answers a denial. Supporting another service is one more implementation
 * registered with {@link EnforcingProxy.Builder#service} (as {@link BedrockRules} is for the REST
 * paths of signing name {@code bedrock}); a call of a service or operation nothing maps is denied,
 * so a new call cannot slip through unchecked.
 */
public interface ServiceRules {

    /**
     * The service name in the SigV4 credential scope: s3, dynamodb, secretsmanager, events,
     * bedrock.
     */
    String signingName();

    /**
     * The authorizations the call needs, all of which must be allowed. Empty: the call is not
     * known.
     */
    List<AccessRequest> authorizations(Call call);

    /**
     * The answer AWS gives this service's caller when it is denied (status, headers, body in its
     * error format).
     */
    Answer denied(Call call, String message);

    /**
     * Whether the proxy must read the body before deciding (JSON protocols); S3 bodies stream
     * through.
     */
    default boolean needsBody(Call call) {
        return true;
    }

    /**
     * Answers the call here, for a service the local stack plays itself (no emulator behind it).
     */
    default Optional<Answer> serve(Call call) {
        return Optional.empty();
    }

    /**
     * Sees the emulator's answer to an allowed call; may replace it (S3 answers 403 for a missing
     * key without s3:ListBucket).
     */
    default Optional<Answer> afterResponse(
            Call call, int status, byte[] body, Authorizer authorizer) {
        return Optional.empty();
    }

    /** Whether {@link #afterResponse} needs the response body. */
    default boolean needsResponseBody(Call call) {
        return false;
    }

    /**
     * Evaluates a further authorization for the calling principal (used by {@link #afterResponse}).
     */
    interface Authorizer {
        Decision decide(AccessRequest request);
    }

    /** One HTTP call as the proxy received it. Header names are lower case. */
    record Call(
            String method,
            String rawPath,
            String rawQuery,
            Map<String, List<String>> headers,
            byte[] body) {

        public String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        /** Decoded query parameters; a parameter without a value maps to "". */
        public Map<String, String> query() {
            Map<String, String> q = new LinkedHashMap<>();
            if (rawQuery == null || rawQuery.isEmpty()) {
                return q;
            }
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String k = eq < 0 ? pair : pair.substring(0, eq);
                String v = eq < 0 ? "" : pair.substring(eq + 1);
                q.put(
                        URLDecoder.decode(k, StandardCharsets.UTF_8),
                        URLDecoder.decode(v, StandardCharsets.UTF_8));
            }
            return q;
        }

        /** The operation of a JSON-protocol call: the part of X-Amz-Target after the dot. */
        public String targetOperation() {
            String t = header("x-amz-target");
            return t == null ? null : t.substring(t.indexOf('.') + 1);
        }

        public String targetPrefix() {
            String t = header("x-amz-target");
            return t == null || t.indexOf('.') < 0 ? null : t.substring(0, t.indexOf('.'));
        }
    }

    /** An answer made here rather than by the emulator. */
    record Answer(int status, Map<String, String> headers, byte[] body) {
        public static Answer json(int status, String contentType, String errorType, String body) {
            Map<String, String> h = new LinkedHashMap<>();
            h.put("Content-Type", contentType);
            if (errorType != null) {
                h.put("x-amzn-ErrorType", errorType);
            }
            h.put("x-amzn-RequestId", java.util.UUID.randomUUID().toString());
            return new Answer(status, h, body.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A JSON string literal. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default ->
                        sb.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return sb.append('"').toString();
    }
}
