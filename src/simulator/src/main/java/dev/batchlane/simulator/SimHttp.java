package dev.batchlane.simulator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.concurrent.Executors;

/**
 * The HTTP plumbing the simulators share: a loopback server on daemon threads, a JSON answer
 * written with its exact length, and the removal of a simulator's temporary directory. What each
 * answer holds (its envelope, its headers) stays with the simulator of that provider.
 */
public final class SimHttp {
    private SimHttp() {}

    /**
     * The JDK server writes response headers and body separately; without TCP_NODELAY, Nagle's
     * algorithm and the client's delayed ACK add about 40 ms to every call. The JDK reads this
     * property once, when the first HttpServer of the JVM starts, so every loopback server here
     * calls this before it is created (a value the user chose is kept). It only affects
     * com.sun.net.httpserver servers.
     */
    public static void preferNoDelay() {
        if (System.getProperty(NODELAY_PROPERTY) == null) {
            System.setProperty(NODELAY_PROPERTY, "true");
        }
    }

    private static final String NODELAY_PROPERTY = "sun.net.httpserver.nodelay";

    /**
     * A started server on the loopback address ({@code port} 0 picks a free one), four daemon
     * threads.
     */
    public static HttpServer startLoopback(
            int port, String context, String threadName, HttpHandler handler) throws IOException {
        preferNoDelay();
        HttpServer server =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext(context, handler);
        server.setExecutor(
                Executors.newFixedThreadPool(
                        4,
                        r -> {
                            Thread t = new Thread(r, threadName);
                            t.setDaemon(true);
                            return t;
                        }));
        server.start();
        return server;
    }

    /**
     * Writes {@code body} with {@code status} and a Content-Length. An empty body is sent as such
     * (HttpServer reads a length of 0 as "chunked", -1 as empty). Returns the status, for the log.
     */
    public static int send(HttpExchange ex, int status, String contentType, byte[] body)
            throws IOException {
        ex.getResponseHeaders().add("Content-Type", contentType);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
        return status;
    }

    /**
     * Deletes a directory and all below it; one left behind is harmless, so failures are ignored.
     */
    public static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory left behind is harmless
        }
    }
}
