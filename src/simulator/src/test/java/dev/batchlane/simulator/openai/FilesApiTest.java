package dev.batchlane.simulator.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.simulator.MutableClock;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FilesApiTest {
    private static final Instant START = Instant.parse("2026-09-01T10:00:00Z");

    private OpenAiSimulator sim;
    private SimClient client;

    @BeforeEach
    void start() {
        sim =
                OpenAiSimulator.builder()
                        .clock(new MutableClock(START))
                        .stepDuration(Duration.ZERO)
                        .start();
        client = new SimClient(sim.baseUrl());
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    @ParameterizedTest(name = "chunked={0}")
    @ValueSource(booleans = {false, true})
    void createFile_withContentLengthOrChunked_returnsProcessedBatchFile(boolean chunked) {
        byte[] content = Jsonl.chat(3).getBytes(StandardCharsets.UTF_8);

        SimClient.Response response = client.upload("requests.jsonl", "batch", content, chunked);

        assertThat(response.status()).as(response.text()).isEqualTo(200);
        JsonNode file = response.json();
        assertThat(file.get("id").asText()).startsWith("file-");
        assertThat(file.get("object").asText()).isEqualTo("file");
        assertThat(file.get("bytes").asLong()).isEqualTo(content.length);
        assertThat(file.get("created_at").asLong()).isEqualTo(START.getEpochSecond());
        assertThat(file.get("expires_at").asLong())
                .isEqualTo(START.plus(Duration.ofDays(30)).getEpochSecond());
        assertThat(file.get("filename").asText()).isEqualTo("requests.jsonl");
        assertThat(file.get("purpose").asText()).isEqualTo("batch");
        assertThat(file.get("status").asText()).isEqualTo("processed");
        assertThat(sim.uploadCount()).isEqualTo(1);
        assertThat(sim.liveFileIds()).containsExactly(file.get("id").asText());
    }

    @ParameterizedTest(name = "chunked={0}")
    @ValueSource(booleans = {false, true})
    void createFile_largeContentWithDelimiterLookalikes_roundTripsByteForByte(boolean chunked) {
        // Random bytes plus fragments of the multipart delimiter, so the streaming parser has to
        // back out of partial matches, including across its buffer boundaries.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Random random = new Random(7);
        byte[] lookalike =
                ("\r\n--" + SimClient.BOUNDARY.substring(0, 20)).getBytes(StandardCharsets.UTF_8);
        while (out.size() < 3 * 1024 * 1024) {
            byte[] chunk = new byte[random.nextInt(5000)];
            random.nextBytes(chunk);
            out.writeBytes(chunk);
            out.writeBytes(lookalike);
            out.write('\r');
        }
        byte[] content = out.toByteArray();

        SimClient.Response created = client.upload("big.jsonl", "batch", content, chunked);
        assertThat(created.status()).as(created.text()).isEqualTo(200);
        String id = created.json().get("id").asText();
        SimClient.Response downloaded = client.get("/files/" + id + "/content");

        assertThat(created.json().get("bytes").asLong()).isEqualTo(content.length);
        assertThat(downloaded.status()).isEqualTo(200);
        assertThat(downloaded.headers().firstValue("Content-Type"))
                .hasValue("application/octet-stream");
        assertThat(downloaded.body()).isEqualTo(content);
    }

    @Test
    void createFile_fileBeforePurposeAndExtraFields_isAccepted() {
        String body =
                "preamble to ignore\r\n"
                        + "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jsonl\"\r\n\r\n"
                        + Jsonl.chatLine("x", "hi", null)
                        + "\r\n"
                        + "--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n"
                        + "--B\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
                        + "--B--\r\nepilogue";

        SimClient.Response response =
                client.uploadMultipart(
                        body.getBytes(StandardCharsets.UTF_8),
                        "multipart/form-data; boundary=\"B\"",
                        false);

        assertThat(response.status()).as(response.text()).isEqualTo(200);
        assertThat(response.json().get("bytes").asLong())
                .isEqualTo(Jsonl.chatLine("x", "hi", null).getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void createFile_expiresAfter_setsExpiryFromCreation() {
        String body =
                "--B\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
                        + "--B\r\nContent-Disposition: form-data; name=\"expires_after[anchor]\"\r\n\r\ncreated_at\r\n"
                        + "--B\r\nContent-Disposition: form-data; name=\"expires_after[seconds]\"\r\n\r\n7200\r\n"
                        + "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jsonl\"\r\n\r\n{}\r\n--B--\r\n";

        SimClient.Response response =
                client.uploadMultipart(
                        body.getBytes(StandardCharsets.UTF_8),
                        "multipart/form-data; boundary=B",
                        false);

        assertThat(response.json().get("expires_at").asLong())
                .isEqualTo(START.getEpochSecond() + 7200);
    }

    @Test
    void createFile_nonJsonlFilename_isRejectedWith400Envelope() {
        SimClient.Response response =
                client.upload("requests.csv", "batch", "a,b".getBytes(), false);

        assertError(response, 400, "invalid_request_error");
        assertThat(response.json().at("/error/message").asText()).contains("Must be .jsonl");
        assertThat(sim.liveFileIds()).isEmpty();
        assertThat(sim.uploadCount()).isZero();
    }

    @Test
    void createFile_purposeOtherThanBatch_isRejectedNamingThePurpose() {
        SimClient.Response response = client.upload("a.jsonl", "fine-tune", "{}".getBytes(), false);

        assertError(response, 400, "invalid_request_error");
        assertThat(response.json().at("/error/param").asText()).isEqualTo("purpose");
        assertThat(response.json().at("/error/message").asText()).contains("fine-tune");
    }

    @Test
    void createFile_withoutPurposeOrFile_isRejectedAsMissingParameter() {
        SimClient.Response noPurpose = client.upload("a.jsonl", null, "{}".getBytes(), false);
        SimClient.Response noFile = client.upload("a.jsonl", "batch", null, false);

        assertError(noPurpose, 400, "invalid_request_error");
        assertThat(noPurpose.json().at("/error/code").asText())
                .isEqualTo("missing_required_parameter");
        assertThat(noPurpose.json().at("/error/param").asText()).isEqualTo("purpose");
        assertThat(noFile.json().at("/error/param").asText()).isEqualTo("file");
    }

    @Test
    void createFile_notMultipartOrUnterminated_isRejected() {
        SimClient.Response json = client.post("/files", "{\"purpose\":\"batch\"}");
        byte[] cut = SimClient.multipart("a.jsonl", "batch", "{}".getBytes());
        byte[] truncated = java.util.Arrays.copyOf(cut, cut.length - 10);
        SimClient.Response unterminated =
                client.uploadMultipart(
                        truncated, "multipart/form-data; boundary=" + SimClient.BOUNDARY, true);

        assertError(json, 400, "invalid_request_error");
        assertError(unterminated, 400, "invalid_request_error");
        assertThat(unterminated.json().at("/error/message").asText()).contains("multipart");
        assertThat(sim.liveFileIds()).isEmpty();
    }

    @Test
    void retrieveFile_returnsTheSameObjectAsCreate() {
        JsonNode created = client.upload("a.jsonl", "batch", "{}".getBytes(), false).json();

        SimClient.Response retrieved = client.get("/files/" + created.get("id").asText());

        assertThat(retrieved.status()).isEqualTo(200);
        assertThat(retrieved.json()).isEqualTo(created);
    }

    @Test
    void listFiles_newestFirst_withPurposeFilterAndCursor() {
        String first = client.uploadJsonl("{}");
        String second = client.uploadJsonl("{}");
        String third = client.uploadJsonl("{}");

        JsonNode all = client.get("/files").json();
        JsonNode page = client.get("/files?limit=1&after=" + third).json();
        JsonNode asc = client.get("/files?order=asc&purpose=batch").json();
        JsonNode none = client.get("/files?purpose=batch_output").json();

        assertThat(all.get("object").asText()).isEqualTo("list");
        assertThat(all.get("data"))
                .extracting(f -> f.get("id").asText())
                .containsExactly(third, second, first);
        assertThat(all.get("has_more").asBoolean()).isFalse();
        assertThat(page.get("data")).extracting(f -> f.get("id").asText()).containsExactly(second);
        assertThat(page.get("first_id").asText()).isEqualTo(second);
        assertThat(page.get("has_more").asBoolean()).isTrue();
        assertThat(asc.get("data"))
                .extracting(f -> f.get("id").asText())
                .containsExactly(first, second, third);
        assertThat(none.get("data")).isEmpty();
    }

    @Test
    void deleteFile_removesMetadataAndContent() {
        String id = client.uploadJsonl("{}");

        SimClient.Response deleted = client.delete("/files/" + id);

        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.json().get("id").asText()).isEqualTo(id);
        assertThat(deleted.json().get("object").asText()).isEqualTo("file");
        assertThat(deleted.json().get("deleted").asBoolean()).isTrue();
        assertThat(sim.liveFileIds()).isEmpty();
        assertError(client.get("/files/" + id), 404, "invalid_request_error");
        assertError(client.get("/files/" + id + "/content"), 404, "invalid_request_error");
        assertError(client.delete("/files/" + id), 404, "invalid_request_error");
    }

    @Test
    void unknownFileId_answers404EnvelopeNamingTheId() {
        SimClient.Response response = client.get("/files/file-doesnotexist");

        assertError(response, 404, "invalid_request_error");
        assertThat(response.json().at("/error/message").asText()).contains("file-doesnotexist");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "sk-test"})
    void everyOperation_withoutBearerToken_isRejectedWith401(String authorization) {
        SimClient anonymous =
                new SimClient(sim.baseUrl(), authorization.isEmpty() ? null : authorization);

        SimClient.Response upload = anonymous.upload("a.jsonl", "batch", "{}".getBytes(), false);
        SimClient.Response list = anonymous.get("/batches");
        SimClient.Response retrieve = anonymous.get("/files/file-x");

        for (SimClient.Response response : new SimClient.Response[] {upload, list, retrieve}) {
            assertError(response, 401, "invalid_request_error");
            assertThat(response.json().at("/error/code").asText()).isEqualTo("invalid_api_key");
        }
        assertThat(sim.uploadCount()).isZero();
    }

    @Test
    void unknownPathOrMethod_answers404InvalidUrl() {
        SimClient.Response path = client.get("/models");
        SimClient.Response method =
                client.send(
                        client.request("/batches/batch_1")
                                .method("PATCH", HttpRequest.BodyPublishers.noBody()));

        assertError(path, 404, "invalid_request_error");
        assertThat(path.json().at("/error/message").asText())
                .isEqualTo("Invalid URL (GET /v1/models)");
        assertError(method, 404, "invalid_request_error");
    }

    static void assertError(SimClient.Response response, int status, String type) {
        assertThat(response.status()).as(response.text()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode error = response.json().get("error");
        assertThat(error).as(response.text()).isNotNull();
        assertThat(error.get("message").asText()).isNotBlank();
        assertThat(error.get("type").asText()).isEqualTo(type);
        assertThat(error.has("param")).isTrue();
        assertThat(error.has("code")).isTrue();
    }
}
