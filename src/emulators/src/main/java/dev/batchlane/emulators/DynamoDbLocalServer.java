package dev.batchlane.emulators;

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.net.BindException;
import java.net.URI;
import java.util.function.IntSupplier;

/** AWS's own DynamoDB Local, in memory, in this JVM, on a free loopback port. */
public final class DynamoDbLocalServer implements AutoCloseable {
    private final DynamoDBProxyServer server;
    private final URI endpoint;

    private DynamoDbLocalServer(DynamoDBProxyServer server, int port) {
        this.server = server;
        this.endpoint = URI.create("http://127.0.0.1:" + port);
    }

    /**
     * On a free port. DynamoDB Local cannot be asked which port it took, so a free one is chosen
     * first; another process (builds run side by side) may bind it before DynamoDB Local does, and
     * then another port is tried. A server that started holds its port, so it is never another's.
     */
    public static DynamoDbLocalServer start() {
        return start(Ports::free);
    }

    static DynamoDbLocalServer start(IntSupplier ports) {
        for (int attempt = 1; ; attempt++) {
            int port = ports.getAsInt();
            try {
                return start(port);
            } catch (IllegalStateException e) {
                if (attempt == BIND_ATTEMPTS || !portTaken(e)) {
                    throw e;
                }
            }
        }
    }

    private static final int BIND_ATTEMPTS = 5;

    private static boolean portTaken(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
        }
        return false;
    }

    public static DynamoDbLocalServer start(int port) {
        DynamoDBProxyServer server = null;
        try {
            server =
                    ServerRunner.createServerFromCommandLineArgs(
                            new String[] {
                                "-inMemory", "-port", Integer.toString(port), "-disableTelemetry"
                            });
            server.start();
            return new DynamoDbLocalServer(server, port);
        } catch (Exception e) {
            if (server != null) {
                try {
                    server.stop();
                } catch (Exception ignored) {
                    // it did not start; nothing of it is left to stop
                }
            }
            throw new IllegalStateException(
                    "DynamoDB Local did not start on port " + port + ": " + e.getMessage(), e);
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("DynamoDB Local did not stop cleanly", e);
        }
    }
}
