package dev.batchlane.provider.gemini;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpServer;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every chunk of an upload carries the API key, and goes to the session URL an answer names. An
 * answer naming another origin (a misbehaving proxy, a forged answer) must not receive the key: the
 * upload stops before sending anything there. Each server records what it saw before it answers.
 */
class GeminiUploadOriginTest {
    private HttpServer api;
    private HttpServer elsewhere;
    private final List<String> elsewhereSaw = new CopyOnWriteArrayList<>();
    private volatile String sessionUrl;

    @BeforeEach
    void start() throws IOException {
        elsewhere = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        elsewhere.createContext(
                "/",
                ex -> {
                    try (ex) {
                        elsewhereSaw.add(
                                ex.getRequestURI()
                                        + " key="
                                        + ex.getRequestHeaders().getFirst("x-goog-api-key"));
                        ex.sendResponseHeaders(200, -1);
                    }
                });
        elsewhere.start();
        api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        api.createContext(
                "/",
                ex -> {
                    try (ex) {
                        ex.getRequestBody().readAllBytes();
                        ex.getResponseHeaders().add("x-goog-upload-url", sessionUrl);
                        ex.getResponseHeaders().add("x-goog-upload-status", "active");
                        ex.sendResponseHeaders(200, -1);
                    }
                });
        api.start();
    }

    @AfterEach
    void stop() {
        api.stop(0);
        elsewhere.stop(0);
    }

    private GeminiProvider provider() {
        return new GeminiProvider(
                new GeminiConfig(
                        URI.create("http://127.0.0.1:" + api.getAddress().getPort()),
                        "AIza-origin-test",
                        Duration.ofSeconds(10)),
                HttpClient.newHttpClient());
    }

    private static Payload payload() {
        byte[] bytes = "{\"key\":\"a\",\"request\":{}}\n".getBytes(StandardCharsets.UTF_8);
        return new Payload("p.jsonl", bytes.length, () -> new ByteArrayInputStream(bytes));
    }

    @Test
    void anUploadUrlOnAnotherOrigin_getsNothing_andTheUploadFailsSayingWhy() {
        sessionUrl = "http://127.0.0.1:" + elsewhere.getAddress().getPort() + "/upload?id=1";

        ProviderException e =
                catchThrowableOfType(() -> provider().upload(payload()), ProviderException.class);

        assertThat(e.code()).isEqualTo("malformed_response");
        assertThat(e.getMessage())
                .contains("not the API's own")
                .contains("the key is not sent there")
                .doesNotContain("AIza-origin-test");
        assertThat(elsewhereSaw).as("the other origin never heard from the lane").isEmpty();
    }

    @Test
    void anUploadUrlOnTheApisOwnOrigin_isUsed() {
        sessionUrl = "http://127.0.0.1:" + api.getAddress().getPort() + "/upload/session?id=1";

        // The fake API answers the chunk without a file: the upload fails later, past the check.
        ProviderException e =
                catchThrowableOfType(() -> provider().upload(payload()), ProviderException.class);

        assertThat(e.getMessage()).doesNotContain("not the API's own");
    }
}
