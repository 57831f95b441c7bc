package dev.batchlane.simulator.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A plain {@link HttpClient} talking to the simulator the way an OpenAI client would. */
final class SimClient {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String BOUNDARY = "----batchlane-test-boundary-7MA4YWxkTrZu0gW";

    private final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final String baseUrl;
    private final String authorization;

    SimClient(String baseUrl) {
        this(baseUrl, "Bearer sk-test");
    }

    SimClient(String baseUrl, String authorization) {
        this.baseUrl = baseUrl;
        this.authorization = authorization;
    }

    record Response(int status, HttpHeaders headers, byte[] body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + text(), e);
            }
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The lines of a downloaded JSONL file. */
        List<JsonNode> jsonl() {
            List<JsonNode> lines = new ArrayList<>();
            for (String line : text().split("\n")) {
                if (!line.isEmpty()) {
                    try {
                        lines.add(JSON.readTree(line));
                    } catch (IOException e) {
                        throw new UncheckedIOException("not a JSON line: " + line, e);
                    }
                }
            }
            return lines;
        }
    }

    Response upload(String filename, String purpose, byte[] content, boolean chunked) {
        return uploadMultipart(
                multipart(filename, purpose, content),
                "multipart/form-data; boundary=" + BOUNDARY,
                chunked);
    }

    Response uploadMultipart(byte[] body, String contentType, boolean chunked) {
        HttpRequest.BodyPublisher publisher =
                chunked
                        ? HttpRequest.BodyPublishers.ofInputStream(
                                () -> new ByteArrayInputStream(body))
                        : HttpRequest.BodyPublishers.ofByteArray(body);
        return send(request("/files").header("Content-Type", contentType).POST(publisher));
    }

    /** Uploads a JSONL file with purpose batch and returns its id. */
    String uploadJsonl(String content) {
        Response response =
                upload("input.jsonl", "batch", content.getBytes(StandardCharsets.UTF_8), false);
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        return response.json().get("id").asText();
    }

    Response createBatch(String inputFileId, String endpoint, Map<String, String> metadata) {
        ObjectNode body = JSON.createObjectNode();
        body.put("input_file_id", inputFileId);
        body.put("endpoint", endpoint);
        body.put("completion_window", "24h");
        if (metadata != null) {
            body.set("metadata", JSON.valueToTree(metadata));
        }
        return post("/batches", body.toString());
    }

    /** Uploads {@code jsonl}, creates a batch for it and returns the batch id. */
    String submit(String jsonl, String endpoint) {
        Response created = createBatch(uploadJsonl(jsonl), endpoint, null);
        assertThat(created.status()).as(created.text()).isEqualTo(200);
        return created.json().get("id").asText();
    }

    Response getBatch(String id) {
        return get("/batches/" + id);
    }

    /**
     * Retrieves the batch until it is terminal (each retrieve is one step with a zero step
     * duration).
     */
    JsonNode pollToTerminal(String id) {
        for (int i = 0; i < 20; i++) {
            Response response = getBatch(id);
            assertThat(response.status()).as(response.text()).isEqualTo(200);
            String status = response.json().get("status").asText();
            if (List.of("completed", "failed", "expired", "cancelled").contains(status)) {
                return response.json();
            }
        }
        throw new AssertionError("batch " + id + " did not finish in 20 polls");
    }

    List<JsonNode> download(String fileId) {
        if (fileId == null) {
            return List.of();
        }
        Response response = get("/files/" + fileId + "/content");
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        return response.jsonl();
    }

    Response get(String path) {
        return send(request(path).GET());
    }

    Response delete(String path) {
        return send(request(path).DELETE());
    }

    Response post(String path, String json) {
        return send(
                request(path)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<byte[]> response =
                    http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Response(response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + path));
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return builder;
    }

    /** A multipart/form-data body with the purpose field first, then the file. */
    static byte[] multipart(String filename, String purpose, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (purpose != null) {
            out.writeBytes(
                    ("--"
                                    + BOUNDARY
                                    + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n"
                                    + purpose
                                    + "\r\n")
                            .getBytes(StandardCharsets.UTF_8));
        }
        if (content != null) {
            out.writeBytes(
                    ("--"
                                    + BOUNDARY
                                    + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                                    + filename
                                    + "\"\r\nContent-Type: application/jsonl\r\n\r\n")
                            .getBytes(StandardCharsets.UTF_8));
            out.writeBytes(content);
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }
}
