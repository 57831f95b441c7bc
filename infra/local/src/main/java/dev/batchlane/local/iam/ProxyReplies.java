package dev.batchlane.local.iam;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Locale;

/**
 * Writes an answer back to the caller: one the proxy made (a denial, a served call) or the
 * emulator's, relayed. The rules for which headers and bodies a reply may carry live here once, so
 * a HEAD or a 204 is answered alike whoever made it.
 */
final class ProxyReplies {
    private ProxyReplies() {}

    static void reply(HttpExchange ex, ServiceRules.Answer a) throws IOException {
        a.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        boolean noBody = a.body().length == 0 || "HEAD".equals(ex.getRequestMethod());
        ex.sendResponseHeaders(a.status(), noBody ? -1 : a.body().length);
        if (!noBody) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(a.body());
            }
        }
    }

    static void copyHeaders(HttpResponse<?> response, HttpExchange ex) {
        response.headers()
                .map()
                .forEach(
                        (k, vs) -> {
                            String lower = k.toLowerCase(Locale.ROOT);
                            if (!lower.equals("transfer-encoding")
                                    && !lower.equals("connection")
                                    && !lower.equals("date")
                                    && !lower.equals("content-length")
                                    && !lower.startsWith(":")) {
                                ex.getResponseHeaders().put(k, new ArrayList<>(vs));
                            }
                        });
        response.headers()
                .firstValue("content-length")
                .ifPresent(
                        v -> {
                            if ("HEAD".equals(ex.getRequestMethod())) {
                                ex.getResponseHeaders().set("Content-Length", v);
                            }
                        });
    }

    static void sendBody(HttpExchange ex, int status, long length, InputStream in)
            throws IOException {
        boolean noBody =
                "HEAD".equals(ex.getRequestMethod())
                        || status == 204
                        || status == 304
                        || length == 0;
        ex.sendResponseHeaders(status, noBody ? -1 : length < 0 ? 0 : length);
        if (!noBody) {
            try (OutputStream out = ex.getResponseBody()) {
                in.transferTo(out);
            }
        }
    }
}
