package dev.batchlane.emulators;

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.net.URI;

/** AWS's own DynamoDB Local, in memory, in this JVM, on a free loopback port. */
public final class DynamoDbLocalServer implements AutoCloseable {
    private final DynamoDBProxyServer server;
    private final URI endpoint;

    private DynamoDbLocalServer(DynamoDBProxyServer server, int port) {
        this.server = server;
        this.endpoint = URI.create("http://127.0.0.1:" + port);
    }

    public static DynamoDbLocalServer start() {
        return start(Ports.free());
    }

    public static DynamoDbLocalServer start(int port) {
        try {
            DynamoDBProxyServer server =
                    ServerRunner.createServerFromCommandLineArgs(
                            new String[] {
                                "-inMemory", "-port", Integer.toString(port), "-disableTelemetry"
                            });
            server.start();
            return new DynamoDbLocalServer(server, port);
        } catch (Exception e) {
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
