package dev.batchlane.simulator.gemini;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The simulator as a client sees it over HTTP, held to Google's discovery document ({@code
 * gemini-batches.json}): every route is a method (or media protocol path) of the document, every
 * request body the simulator takes and every answer it gives conforms to the document's schemas,
 * and what the document's checker refuses the simulator refuses too.
 */
class GeminiSimulatorTest {
    private static final String SPEC_FILE = "gemini-batches.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static DiscoveryDocument doc;
    private final HttpClient http = HttpClient.newHttpClient();
    private GeminiSimulator sim;

    @BeforeAll
    static void loadSpec() throws Exception {
        var file = DiscoveryDocument.find(SPEC_FILE);
        assumeTrue(
                file.isPresent(),
                "skipped: "
                        + SPEC_FILE
                        + " not found in ../shared/specs/ next to the "
                        + "repository root (the directory holding .mvn); the provider's document is read from there, never copied in");
        doc = DiscoveryDocument.load(file.get());
    }

    @BeforeEach
    void start() {
        sim = GeminiSimulator.builder().stepDuration(Duration.ZERO).seed(7).discovery(doc).start();
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private HttpResponse<String> call(String method, String url, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(
                                URI.create(url.startsWith("http") ? url : sim.baseUrl() + url))
                        .header("x-goog-api-key", "test-key");
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        b.method(
                method,
                body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String lines(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("{\"key\":\"k-")
                    .append(i)
                    .append(
                            "\",\"request\":{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi ")
                    .append(i)
                    .append("\"}]}],\"generationConfig\":{\"maxOutputTokens\":8}}}\n");
        }
        return sb.toString();
    }

    /** Uploads {@code content} in one finalizing chunk; returns the file name. */
    private String upload(String content) throws Exception {
        HttpResponse<String> start =
                call(
                        "POST",
                        "/upload/v1beta/files",
                        "{\"file\":{\"displayName\":\"in.jsonl\"}}",
                        "X-Goog-Upload-Protocol",
                        "resumable",
                        "X-Goog-Upload-Command",
                        "start",
                        "X-Goog-Upload-Header-Content-Length",
                        Integer.toString(content.getBytes(StandardCharsets.UTF_8).length),
                        "X-Goog-Upload-Header-Content-Type",
                        "application/jsonl",
                        "Content-Type",
                        "application/json");
        assertThat(start.statusCode()).isEqualTo(200);
        String session = start.headers().firstValue("x-goog-upload-url").orElseThrow();
        HttpResponse<String> done =
                call(
                        "POST",
                        session,
                        content,
                        "X-Goog-Upload-Command",
                        "upload, finalize",
                        "X-Goog-Upload-Offset",
                        "0");
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        assertThat(done.headers().firstValue("x-goog-upload-status")).hasValue("final");
        JsonNode file = JSON.readTree(done.body());
        assertThat(doc.checkResponse("CreateFileResponse", file)).isEmpty();
        return file.at("/file/name").asText();
    }

    private JsonNode create(String fileName, String displayName) throws Exception {
        HttpResponse<String> r =
                call(
                        "POST",
                        "/v1beta/models/gemini-2.5-flash:batchGenerateContent",
                        "{\"batch\":{\"displayName\":\""
                                + displayName
                                + "\",\"model\":\"models/gemini-2.5-flash\","
                                + "\"inputConfig\":{\"fileName\":\""
                                + fileName
                                + "\"}}}",
                        "Content-Type",
                        "application/json");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    @Test
    void checker_refusesWhatGoogleRefuses_soTheseChecksCanFail() {
        ObjectNode op = JSON.createObjectNode().put("name", "batches/x").put("done", "yes");
        assertThat(doc.checkResponse("Operation", op)).anyMatch(p -> p.contains("boolean"));
        ObjectNode batch = JSON.createObjectNode().put("state", "BATCH_STATE_PAUSED");
        batch.putObject("batchStats").put("requestCount", 3);
        assertThat(doc.checkResponse("GenerateContentBatch", batch)).hasSize(2);
        assertThat(
                        doc.checkRequest(
                                "BatchGenerateContentRequest",
                                JSON.createObjectNode().put("batchh", 1)))
                .singleElement()
                .asString()
                .contains("unknown name \"batchh\"");
        assertThat(
                        doc.checkRequest(
                                "GenerateContentRequest",
                                JSON.createObjectNode()
                                        .set(
                                                "generation_config",
                                                JSON.createObjectNode()
                                                        .put("max_output_tokens", 5))))
                .isEmpty();
    }

    @Test
    void everyRoute_isAMethodOfTheDocument() {
        assertThat(doc.method("media.upload").at("/mediaUpload/protocols/simple/path").asText())
                .isEqualTo("/upload/v1beta/files");
        assertThat(doc.method("media.upload").at("/mediaUpload/maxSize").asLong())
                .isEqualTo(GeminiSimulator.MAX_FILE_BYTES);
        assertThat(doc.method("models.batchGenerateContent").path("flatPath").asText())
                .isEqualTo("v1beta/models/{modelsId}:batchGenerateContent");
        assertThat(doc.method("models.batchGenerateContent").at("/request/$ref").asText())
                .isEqualTo("BatchGenerateContentRequest");
        assertThat(doc.method("batches.get").path("flatPath").asText())
                .isEqualTo("v1beta/batches/{batchesId}");
        assertThat(doc.method("batches.get").at("/response/$ref").asText()).isEqualTo("Operation");
        assertThat(doc.method("batches.list").at("/response/$ref").asText())
                .isEqualTo("ListOperationsResponse");
        assertThat(doc.method("batches.cancel").path("flatPath").asText())
                .isEqualTo("v1beta/batches/{batchesId}:cancel");
        assertThat(doc.method("batches.delete").path("httpMethod").asText()).isEqualTo("DELETE");
        assertThat(doc.method("files.delete").path("flatPath").asText())
                .isEqualTo("v1beta/files/{filesId}");
    }

    @Test
    void batch_movesPendingRunningSucceeded_andItsResponsesFileListsEveryKeyOnce_allConforming()
            throws Exception {
        sim.failLines(k -> k.equals("k-3"), 8, "RESOURCE_EXHAUSTED", "quota");
        String file = upload(lines(12));
        JsonNode op = create(file, "batchlane-job-00001");
        assertThat(op.at("/metadata/state").asText()).isEqualTo("BATCH_STATE_PENDING");
        assertThat(op.get("done").asBoolean()).isFalse();
        String name = op.get("name").asText();

        JsonNode running = JSON.readTree(call("GET", "/v1beta/" + name, null).body());
        assertThat(running.at("/metadata/state").asText()).isEqualTo("BATCH_STATE_RUNNING");
        JsonNode done = JSON.readTree(call("GET", "/v1beta/" + name, null).body());
        assertThat(done.at("/metadata/state").asText()).isEqualTo("BATCH_STATE_SUCCEEDED");
        assertThat(done.get("done").asBoolean()).isTrue();
        assertThat(done.at("/metadata/batchStats/successfulRequestCount").asText()).isEqualTo("11");
        assertThat(done.at("/metadata/batchStats/failedRequestCount").asText()).isEqualTo("1");
        String responses = done.at("/metadata/output/responsesFile").asText();
        assertThat(done.at("/response/responsesFile").asText()).isEqualTo(responses);
        for (JsonNode answer : List.of(op, running, done)) {
            assertThat(doc.checkResponse("Operation", answer)).isEmpty();
            assertThat(doc.checkResponse("GenerateContentBatch", answer.get("metadata"))).isEmpty();
        }

        HttpResponse<String> download =
                call("GET", "/download/v1beta/" + responses + ":download?alt=media", null);
        assertThat(download.statusCode()).isEqualTo(200);
        Set<String> keys = new HashSet<>();
        List<String> order = new java.util.ArrayList<>();
        for (String line : download.body().split("\n")) {
            JsonNode l = JSON.readTree(line);
            assertThat(keys.add(l.get("key").asText())).isTrue();
            order.add(l.get("key").asText());
            if (l.has("response")) {
                assertThat(doc.checkResponse("GenerateContentResponse", l.get("response")))
                        .isEmpty();
                assertThat(l.at("/response/usageMetadata/promptTokenCount").asInt()).isPositive();
            } else {
                assertThat(l.get("key").asText()).isEqualTo("k-3");
                assertThat(doc.checkResponse("Status", l.get("error"))).isEmpty();
                assertThat(l.at("/error/code").asInt()).isEqualTo(8);
            }
        }
        assertThat(keys).hasSize(12);
        assertThat(order)
                .as("shuffled: a client must join by key")
                .isNotEqualTo(order.stream().sorted().toList());

        JsonNode list = JSON.readTree(call("GET", "/v1beta/batches?pageSize=5", null).body());
        assertThat(doc.checkResponse("ListOperationsResponse", list)).isEmpty();
        assertThat(list.at("/operations/0/metadata/displayName").asText())
                .isEqualTo("batchlane-job-00001");

        assertThat(call("DELETE", "/v1beta/" + name, null).statusCode()).isEqualTo(200);
        assertThat(call("DELETE", "/v1beta/" + file, null).statusCode()).isEqualTo(200);
        assertThat(call("DELETE", "/v1beta/" + responses, null).statusCode()).isEqualTo(200);
        assertThat(call("GET", "/v1beta/" + name, null).statusCode()).isEqualTo(404);
        assertThat(sim.liveBatchNames()).isEmpty();
        assertThat(sim.liveFileNames()).isEmpty();
        assertThat(sim.conformanceProblems()).isEmpty();
    }

    @Test
    void resumableUpload_takesChunksOnlyAtTheReceivedOffset_inGranularSizes_andAnswersQueries()
            throws Exception {
        int size = GeminiSimulator.CHUNK_GRANULARITY + 10;
        String content = "x".repeat(size);
        HttpResponse<String> start =
                call(
                        "POST",
                        "/upload/v1beta/files",
                        "{}",
                        "X-Goog-Upload-Protocol",
                        "resumable",
                        "X-Goog-Upload-Command",
                        "start",
                        "X-Goog-Upload-Header-Content-Length",
                        Integer.toString(size));
        String session = start.headers().firstValue("x-goog-upload-url").orElseThrow();
        String granule = content.substring(0, GeminiSimulator.CHUNK_GRANULARITY);

        assertThat(
                        call(
                                        "POST",
                                        session,
                                        "abc",
                                        "X-Goog-Upload-Command",
                                        "upload",
                                        "X-Goog-Upload-Offset",
                                        "0")
                                .statusCode())
                .as("a non-final chunk of 3 bytes")
                .isEqualTo(400);
        assertThat(
                        call(
                                        "POST",
                                        session,
                                        granule,
                                        "X-Goog-Upload-Command",
                                        "upload",
                                        "X-Goog-Upload-Offset",
                                        "0")
                                .headers()
                                .firstValue("x-goog-upload-status"))
                .hasValue("active");
        assertThat(
                        call(
                                        "POST",
                                        session,
                                        "0123456789",
                                        "X-Goog-Upload-Command",
                                        "upload, finalize",
                                        "X-Goog-Upload-Offset",
                                        "5")
                                .statusCode())
                .as("wrong offset")
                .isEqualTo(400);
        HttpResponse<String> query = call("POST", session, null, "X-Goog-Upload-Command", "query");
        assertThat(query.headers().firstValue("x-goog-upload-size-received"))
                .hasValue(Integer.toString(GeminiSimulator.CHUNK_GRANULARITY));
        assertThat(
                        call(
                                        "POST",
                                        session,
                                        "0123",
                                        "X-Goog-Upload-Command",
                                        "upload, finalize",
                                        "X-Goog-Upload-Offset",
                                        Integer.toString(GeminiSimulator.CHUNK_GRANULARITY))
                                .statusCode())
                .as("short of the declared length")
                .isEqualTo(400);
        HttpResponse<String> done =
                call(
                        "POST",
                        session,
                        "0123456789",
                        "X-Goog-Upload-Command",
                        "upload, finalize",
                        "X-Goog-Upload-Offset",
                        Integer.toString(GeminiSimulator.CHUNK_GRANULARITY));
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        assertThat(JSON.readTree(done.body()).at("/file/sizeBytes").asText())
                .isEqualTo(Integer.toString(size));
        assertThat(
                        call(
                                        "GET",
                                        "/download/v1beta/"
                                                + JSON.readTree(done.body())
                                                        .at("/file/name")
                                                        .asText()
                                                + ":download?alt=media",
                                        null)
                                .statusCode())
                .as("uploaded files cannot be downloaded")
                .isEqualTo(400);
    }

    @Test
    void strictness_unknownFieldsMissingKeyAndUnknownInputAreRefused() throws Exception {
        assertThat(
                        call(
                                        "POST",
                                        "/v1beta/models/gemini-2.5-flash:batchGenerateContent",
                                        "{\"batch\":{\"displayName\":\"d\",\"inputConfig\":{\"fileName\":\"files/none\"},\"webhook\":1}}")
                                .statusCode())
                .isEqualTo(400);
        HttpResponse<String> noKey =
                http.send(
                        HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/v1beta/batches"))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(noKey.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(noKey.body()).at("/error/status").asText())
                .isEqualTo("PERMISSION_DENIED");
        HttpResponse<String> missing =
                call(
                        "POST",
                        "/v1beta/models/gemini-2.5-flash:batchGenerateContent",
                        "{\"batch\":{\"displayName\":\"d\",\"inputConfig\":{\"fileName\":\"files/none\"}}}");
        assertThat(missing.statusCode()).isEqualTo(400);
        String file =
                upload(
                        "{\"key\":\"a\",\"request\":{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"stream\":true}}\n");
        String name = create(file, "d").get("name").asText();
        call("GET", "/v1beta/" + name, null);
        JsonNode done = JSON.readTree(call("GET", "/v1beta/" + name, null).body());
        String line =
                call(
                                "GET",
                                "/download/v1beta/"
                                        + done.at("/metadata/output/responsesFile").asText()
                                        + ":download?alt=media",
                                null)
                        .body();
        assertThat(JSON.readTree(line).at("/error/code").asInt())
                .as("a request field the schema lacks: INVALID_ARGUMENT")
                .isEqualTo(3);
        assertThat(JSON.readTree(line).at("/error/message").asText()).contains("stream");
    }

    @Test
    void faults_expiryEndsWithNoResults_andALostCreateAnswerStillMadeTheBatch() throws Exception {
        String file = upload(lines(3));
        sim.expireNextBatches(1);
        String name = create(file, "expiring").get("name").asText();
        call("GET", "/v1beta/" + name, null);
        JsonNode expired = JSON.readTree(call("GET", "/v1beta/" + name, null).body());
        assertThat(expired.at("/metadata/state").asText()).isEqualTo("BATCH_STATE_EXPIRED");
        assertThat(expired.get("done").asBoolean()).isTrue();
        assertThat(expired.has("response")).isFalse();
        assertThat(expired.at("/metadata/output").isMissingNode()).isTrue();

        sim.loseNextAnswers("create", 503, 1);
        HttpResponse<String> lost =
                call(
                        "POST",
                        "/v1beta/models/gemini-2.5-flash:batchGenerateContent",
                        "{\"batch\":{\"displayName\":\"lost\",\"inputConfig\":{\"fileName\":\""
                                + file
                                + "\"}}}");
        assertThat(lost.statusCode()).isEqualTo(503);
        assertThat(sim.createdDisplayNames()).containsExactly("expiring", "lost");
        assertThat(sim.conformanceProblems()).isEmpty();
    }
}
