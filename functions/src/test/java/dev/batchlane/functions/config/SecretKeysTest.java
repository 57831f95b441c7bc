package dev.batchlane.functions.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real Secrets Manager client against a loopback endpoint that answers GetSecretValue. */
class SecretKeysTest {
    private HttpServer server;
    private final AtomicReference<String> request = new AtomicReference<>();
    private volatile String secretString = "sk-live-0123";

    @BeforeEach
    void start() throws Exception {
        System.setProperty("aws.accessKeyId", "local");
        System.setProperty("aws.secretAccessKey", "local");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(
                "/",
                ex -> {
                    request.set(
                            ex.getRequestHeaders().getFirst("X-Amz-Target")
                                    + " "
                                    + new String(
                                            ex.getRequestBody().readAllBytes(),
                                            StandardCharsets.UTF_8));
                    byte[] out =
                            ("{\"ARN\":\"arn:aws:secretsmanager:us-east-1:1:secret:openai\",\"Name\":\"openai\","
                                            + "\"SecretString\":"
                                            + (secretString == null
                                                    ? "null"
                                                    : "\"" + secretString + "\"")
                                            + "}")
                                    .getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
                    ex.sendResponseHeaders(200, out.length);
                    try (OutputStream o = ex.getResponseBody()) {
                        o.write(out);
                    }
                });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private Optional<URI> endpoint() {
        return Optional.of(URI.create("http://127.0.0.1:" + server.getAddress().getPort()));
    }

    @Test
    void read_asksForTheNamedSecret_andReturnsItsValue() {
        String key =
                SecretKeys.read(
                        "openai",
                        "arn:aws:secretsmanager:us-east-1:1:secret:openai",
                        "us-east-1",
                        endpoint());
        assertThat(key).isEqualTo("sk-live-0123");
        assertThat(request.get())
                .startsWith("secretsmanager.GetSecretValue")
                .contains("\"SecretId\":\"arn:aws:secretsmanager:us-east-1:1:secret:openai\"");
    }

    @Test
    void anEmptySecret_failsSayingHowToFillIt_withoutEchoingAnything() {
        secretString = " ";
        assertThatThrownBy(() -> SecretKeys.read("openai", "openai-key", "us-east-1", endpoint()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("put-secret-value")
                .hasMessageContaining("openai-key");
    }
}
