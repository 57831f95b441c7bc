package dev.batchlane.local.iam;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;

/**
 * Sends an allowed call on to the emulator behind its service, as the caller sent it (body streamed
 * unless the rules already read it), under the operator's key.
 */
final class UpstreamForwarder {
    /** Headers java.net.http sets itself or refuses; the rest go through as sent. */
    private static final Set<String> HOP =
            Set.of(
                    "host",
                    "connection",
                    "content-length",
                    "expect",
                    "upgrade",
                    "transfer-encoding",
                    "keep-alive",
                    "te",
                    "trailer",
                    "proxy-connection",
                    "http2-settings");

    private final HttpClient http;
    private final Map<String, URI> upstreams;
    private final String forwardKey;

    /**
     * @param forwardKey the key every forwarded call is signed with, or null to leave each call's
     *     own
     */
    UpstreamForwarder(HttpClient http, Map<String, URI> upstreams, String forwardKey) {
        this.http = http;
        this.upstreams = Map.copyOf(upstreams);
        this.forwardKey = forwardKey;
    }

    /** The emulator's answer, its body still to be read. */
    HttpResponse<InputStream> send(HttpExchange ex, ServiceRules rules, ServiceRules.Call call)
            throws IOException, InterruptedException {
        URI upstream = upstreams.get(rules.signingName());
        if (upstream == null) {
            throw new IllegalStateException("no emulator behind " + rules.signingName());
        }
        String target =
                upstream.toString().replaceAll("/$", "")
                        + call.rawPath()
                        + (call.rawQuery() == null ? "" : "?" + call.rawQuery());
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(target));
        call.headers()
                .forEach(
                        (k, vs) -> {
                            if (!HOP.contains(k)) {
                                // The emulator sees one account: DynamoDB Local keeps a separate
                                // database per access key, so each function's key is swapped for
                                // the operator's once IAM has decided.
                                vs.forEach(
                                        v ->
                                                rb.header(
                                                        k,
                                                        k.equals("authorization")
                                                                        && forwardKey != null
                                                                ? SigV4Credential.withKey(
                                                                        v, forwardKey)
                                                                : v));
                            }
                        });
        rb.method(call.method(), body(ex, call));
        return http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    private static HttpRequest.BodyPublisher body(HttpExchange ex, ServiceRules.Call call) {
        String length = call.header("content-length");
        if (call.body() != null) {
            return HttpRequest.BodyPublishers.ofByteArray(call.body());
        } else if (length != null) {
            InputStream in = ex.getRequestBody();
            long n = Long.parseLong(length.trim());
            return n == 0
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.fromPublisher(
                            HttpRequest.BodyPublishers.ofInputStream(() -> in), n);
        } else {
            InputStream in = ex.getRequestBody();
            return "GET".equals(call.method()) || "HEAD".equals(call.method())
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofInputStream(() -> in);
        }
    }
}
