package dev.batchlane.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The layer against a loopback server that answers as told. */
class ProviderHttpTest {
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private HttpServer server;
    private ProviderHttp http;

    record Answer(int status, Map<String, String> headers, byte[] body) {}

    record Seen(Map<String, String> headers, byte[] body) {}

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
        http =
                new ProviderHttp(
                        "acme",
                        HttpClient.newHttpClient(),
                        URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/base/"),
                        Duration.ofSeconds(10),
                        Map.of("x-key", "k-123"),
                        Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void handle(HttpExchange ex) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        Map<String, String> headers = new java.util.HashMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), v.get(0)));
        seen.put(ex.getRequestURI().getRawPath(), new Seen(headers, body));
        Answer a =
                answers.getOrDefault(
                        ex.getRequestURI().getRawPath(), new Answer(404, Map.of(), new byte[0]));
        a.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        ex.sendResponseHeaders(a.status(), a.body().length == 0 ? -1 : a.body().length);
        ex.getResponseBody().write(a.body());
        ex.close();
    }

    @Test
    void sendJson_callsUnderTheBaseWithTheProvidersHeaders() {
        answers.put("/base/things/a%2Fb", new Answer(200, Map.of(), bytes("{\"id\":\"t1\"}")));

        JsonNode node =
                http.sendJson(
                        "getThing", http.request("things/" + Escape.segment("a/b")).GET().build());

        assertThat(node.path("id").asText()).isEqualTo("t1");
        assertThat(seen.get("/base/things/a%2Fb").headers()).containsEntry("x-key", "k-123");
    }

    @Test
    void refusal_carriesTheEnvelopeAndTheWaitFromAnHttpDate() {
        answers.put(
                "/base/x",
                new Answer(
                        503,
                        Map.of("Retry-After", "Tue, 01 Dec 2026 12:00:45 GMT"),
                        bytes("{\"error\":{\"type\":\"overloaded_error\",\"message\":\"busy\"}}")));

        assertThatThrownBy(() -> http.sendJson("getX", http.request("x").GET().build()))
                .isInstanceOfSatisfying(
                        ProviderException.class,
                        e -> {
                            assertThat(e.getMessage())
                                    .isEqualTo("acme getX failed: 503 overloaded_error: busy");
                            assertThat(e.retryable()).isTrue();
                            assertThat(e.retryAfter()).contains(Duration.ofSeconds(45));
                        });
    }

    @Test
    void aSuccessThatIsNotAJsonObject_isARetryableMalformedResponse() {
        answers.put("/base/x", new Answer(200, Map.of(), bytes("{\"id\":\"trunc")));
        answers.put("/base/y", new Answer(200, Map.of(), bytes("[1,2]")));

        for (String path : List.of("x", "y")) {
            assertThatThrownBy(() -> http.sendJson("op", http.request(path).GET().build()))
                    .isInstanceOfSatisfying(
                            ProviderException.class,
                            e -> {
                                assertThat(e.code()).isEqualTo("malformed_response");
                                assertThat(e.retryable()).isTrue();
                                assertThat(e.mayHaveTakenEffect()).isTrue();
                            });
        }
    }

    @Test
    void anAnswerAboveTheCap_isRefusedNotHeld() {
        byte[] big = new byte[ProviderHttp.MAX_JSON_RESPONSE + 10];
        java.util.Arrays.fill(big, (byte) ' ');
        answers.put("/base/big", new Answer(200, Map.of(), big));

        assertThatThrownBy(() -> http.sendJson("op", http.request("big").GET().build()))
                .isInstanceOfSatisfying(
                        ProviderException.class,
                        e -> {
                            assertThat(e.code()).isEqualTo("response_too_large");
                            assertThat(e.retryable()).isFalse();
                        });
    }

    @Test
    void noAnswerAtAll_isARetryableTransportFailureWithStatusZero() {
        server.stop(0);

        assertThatThrownBy(() -> http.sendJson("op", http.request("x").GET().build()))
                .isInstanceOfSatisfying(
                        ProviderException.class,
                        e -> {
                            assertThat(e.statusCode()).isZero();
                            assertThat(e.code()).isEqualTo("io_error");
                            assertThat(e.retryable()).isTrue();
                        });
    }

    @Test
    void streamLines_skipsWhatItCannotRead_andHandsOnTheRest() {
        answers.put(
                "/base/results",
                new Answer(200, Map.of(), bytes("ok a\n\nGARBLED SECRET\nok b\n")));
        List<LineResult> out = new ArrayList<>();

        long skipped =
                http.streamLines(
                        "results",
                        http.request("results").GET().build(),
                        "batch b1",
                        line ->
                                line.startsWith("ok ")
                                        ? new LineResult(
                                                line.substring(3),
                                                Outcome.SUCCEEDED,
                                                200,
                                                "{}",
                                                null,
                                                null,
                                                null,
                                                null)
                                        : null,
                        out::add);

        assertThat(out).extracting(LineResult::customId).containsExactly("a", "b");
        assertThat(skipped).isEqualTo(1);
    }

    @Test
    void multipart_sendsFieldsThenTheFileWithAnExactLength() {
        answers.put("/base/files", new Answer(200, Map.of(), bytes("{\"id\":\"file-1\"}")));
        byte[] content = bytes("{\"custom_id\":\"a\"}\n");
        try (MultipartUpload form = new MultipartUpload().field("purpose", "batch")) {
            http.sendJson(
                    "createFile",
                    http.request("files")
                            .header("Content-Type", form.contentType())
                            .POST(
                                    form.body(
                                            "file",
                                            payload("s\"1.jsonl", content.length, content),
                                            "application/jsonl"))
                            .build());
            String sent = new String(seen.get("/base/files").body(), StandardCharsets.UTF_8);
            String boundary = form.contentType().substring(form.contentType().indexOf('=') + 1);

            assertThat(sent)
                    .isEqualTo(
                            "--"
                                    + boundary
                                    + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n"
                                    + "batch\r\n--"
                                    + boundary
                                    + "\r\nContent-Disposition: form-data; name=\"file\"; "
                                    + "filename=\"s%221.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n{\"custom_id\":\"a\"}\n\r\n--"
                                    + boundary
                                    + "--\r\n");
            assertThat(seen.get("/base/files").headers())
                    .containsEntry("content-length", Integer.toString(sent.length()));
        }
    }

    @Test
    void multipart_aPayloadShorterThanDeclared_failsInsideThePart_soNoFileIsMade() {
        answers.put("/base/files", new Answer(200, Map.of(), bytes("{\"id\":\"file-1\"}")));
        byte[] content = bytes("short");
        try (MultipartUpload form = new MultipartUpload().field("purpose", "batch")) {
            assertThatThrownBy(
                            () ->
                                    http.sendJson(
                                            "createFile",
                                            http.request("files")
                                                    .header("Content-Type", form.contentType())
                                                    .POST(
                                                            form.body(
                                                                    "file",
                                                                    payload("s.jsonl", 50, content),
                                                                    "application/jsonl"))
                                                    .build()))
                    .isInstanceOf(ProviderException.class);

            assertThat(form.sizeMismatch()).contains("holds 5 bytes, fewer than its declared 50");
            Seen s = seen.get("/base/files");
            assertThat(s == null ? "" : new String(s.body(), StandardCharsets.UTF_8))
                    .doesNotContain("--\r\n");
        }
    }

    private static Payload payload(String name, long size, byte[] content) {
        return new Payload(name, size, () -> new ByteArrayInputStream(content));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
