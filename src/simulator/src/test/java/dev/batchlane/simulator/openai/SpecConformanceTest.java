package dev.batchlane.simulator.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Checks the simulator's actual answers against OpenAI's own OpenAPI document ({@code
 * openai-files-batches.patched.yaml}), so the simulator cannot drift into a shape the real API
 * would never send.
 */
class SpecConformanceTest {
    private static final String SPEC_FILE = "openai-files-batches.patched.yaml";

    private static OpenApiSpec spec;
    private OpenAiSimulator sim;
    private SimClient client;

    @BeforeAll
    static void loadSpec() throws IOException {
        Path file =
                OpenApiSpec.specsDir()
                        .map(dir -> dir.resolve(SPEC_FILE))
                        .filter(Files::isRegularFile)
                        .orElse(null);
        assumeTrue(
                file != null,
                "skipped: "
                        + SPEC_FILE
                        + " not found in ../shared/specs/ next to the repository "
                        + "root (the directory holding .mvn); the provider's spec is read from there, never copied in");
        spec = OpenApiSpec.load(file);
    }

    @BeforeEach
    void start() {
        sim = OpenAiSimulator.builder().stepDuration(Duration.ZERO).start();
        client = new SimClient(sim.baseUrl());
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    @Test
    void validator_reportsNonConformingObjects_soTheseChecksCanFail() {
        ObjectNode batch = validBatch();
        assertThat(spec.validate("Batch", batch)).isEmpty();

        ObjectNode missingStatus = batch.deepCopy();
        missingStatus.remove("status");
        ObjectNode unknownStatus = batch.deepCopy().put("status", "paused");
        ObjectNode textTimestamp = batch.deepCopy().put("created_at", "yesterday");
        ObjectNode badCounts = batch.deepCopy();
        badCounts.putObject("request_counts").put("total", 1);
        ObjectNode notDeleted =
                SimClient.JSON.createObjectNode().put("id", "file-1").put("object", "file");

        assertThat(spec.validate("Batch", missingStatus)).isNotEmpty();
        assertThat(spec.validate("Batch", unknownStatus)).isNotEmpty();
        assertThat(spec.validate("Batch", textTimestamp)).isNotEmpty();
        assertThat(spec.validate("Batch", badCounts))
                .as("a $ref'd component must be checked too")
                .isNotEmpty();
        assertThat(spec.validate("DeleteFileResponse", notDeleted)).isNotEmpty();
    }

    @Test
    void fileAnswers_conformToOpenAIFileAndDeleteFileResponse() {
        JsonNode created =
                client.upload("a.jsonl", "batch", Jsonl.chat(1).getBytes(), false).json();
        String id = created.get("id").asText();
        JsonNode retrieved = client.get("/files/" + id).json();
        JsonNode listed = client.get("/files").json();
        JsonNode deleted = client.delete("/files/" + id).json();

        assertConforms("OpenAIFile", created);
        assertConforms("OpenAIFile", retrieved);
        assertConforms("ListFilesResponse", listed);
        assertConforms("DeleteFileResponse", deleted);
    }

    @Test
    void batchInEveryStatus_conformsToBatch() {
        Map<String, JsonNode> byStatus = new LinkedHashMap<>();
        JsonNode created =
                client.createBatch(client.uploadJsonl(Jsonl.chat(3)), Jsonl.CHAT, Map.of("k", "v"))
                        .json();
        byStatus.put(created.get("status").asText(), created);
        for (int i = 0; i < 3; i++) {
            JsonNode batch = client.getBatch(created.get("id").asText()).json();
            byStatus.put(batch.get("status").asText(), batch);
        }
        byStatus.put("failed", client.pollToTerminal(client.submit("not json\n", Jsonl.CHAT)));
        sim.expireNextBatches(1, 0.5);
        byStatus.put("expired", client.pollToTerminal(client.submit(Jsonl.chat(4), Jsonl.CHAT)));
        String cancelled = client.submit(Jsonl.chat(4), Jsonl.CHAT);
        client.getBatch(cancelled);
        byStatus.put("cancelling", client.post("/batches/" + cancelled + "/cancel", "").json());
        byStatus.put("cancelled", client.getBatch(cancelled).json());

        assertThat(byStatus.keySet())
                .containsExactlyInAnyOrder(
                        "validating",
                        "in_progress",
                        "finalizing",
                        "completed",
                        "failed",
                        "expired",
                        "cancelling",
                        "cancelled");
        byStatus.forEach((status, batch) -> assertConforms("Batch", batch));
        assertConforms("ListBatchesResponse", client.get("/batches?limit=2").json());
        assertConforms("ListBatchesResponse", client.get("/batches?after=batch_none").json());
    }

    @Test
    void createBatch_acceptsExactlyTheEndpointsTheSpecAllows() {
        List<String> specEndpoints = new ArrayList<>();
        spec.document()
                .at("/components/schemas/CreateBatchRequest/properties/endpoint/enum")
                .forEach(e -> specEndpoints.add(e.asText()));
        String input = client.uploadJsonl(Jsonl.chat(1));

        assertThat(specEndpoints).isNotEmpty();
        for (String endpoint : specEndpoints) {
            SimClient.Response response = client.createBatch(input, endpoint, null);
            assertThat(response.status()).as(endpoint + ": " + response.text()).isEqualTo(200);
            assertConforms("Batch", response.json());
        }
        assertThat(client.createBatch(input, "/v1/audio/speech", null).status()).isEqualTo(400);
    }

    @Test
    void everyPathAndMethodInTheSpec_isServed() {
        List<String> unserved = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = spec.document().get("paths").fields();
                paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            String concrete =
                    path.getKey().replace("{batch_id}", "batch_x").replace("{file_id}", "file-x");
            for (Iterator<String> methods = path.getValue().fieldNames(); methods.hasNext(); ) {
                String method = methods.next().toUpperCase();
                String relative = concrete.substring("/v1".length());
                HttpRequest.BodyPublisher body =
                        method.equals("POST")
                                ? HttpRequest.BodyPublishers.ofString("{}")
                                : HttpRequest.BodyPublishers.noBody();
                JsonNode answer = client.send(client.request(relative).method(method, body)).json();
                if (answer.at("/error/message").asText().startsWith("Invalid URL")) {
                    unserved.add(method + " " + path.getKey());
                }
            }
        }

        assertThat(unserved).isEmpty();
    }

    @Test
    void downloadFile_answersWithAContentTypeTheSpecAllows_andLinesShapedLikeItsExample()
            throws IOException {
        JsonNode batch = client.pollToTerminal(client.submit(Jsonl.chat(2), Jsonl.CHAT));
        SimClient.Response content =
                client.get("/files/" + batch.get("output_file_id").asText() + "/content");

        JsonNode contentTypes =
                spec.document()
                        .at("/paths/~1v1~1files~1{file_id}~1content/get/responses/200/content");
        Set<String> allowed = new TreeSet<>();
        contentTypes.fieldNames().forEachRemaining(allowed::add);
        assertThat(allowed).contains(content.headers().firstValue("Content-Type").orElseThrow());

        JsonNode example =
                SimClient.JSON.readTree(
                        contentTypes.at("/application~1octet-stream/example").asText());
        JsonNode line = content.jsonl().get(0);
        assertThat(fieldNames(line)).isEqualTo(fieldNames(example));
        assertThat(fieldNames(line.get("response"))).isEqualTo(fieldNames(example.get("response")));
    }

    @Test
    void errorEnvelope_conformsToErrorResponse_whenTheSpecDefinesIt() {
        assumeTrue(
                spec.document().at("/components/schemas/ErrorResponse").isObject(),
                "skipped: this trimmed spec does not define ErrorResponse (the Files/Batch paths declare no error "
                        + "responses); the envelope shape is asserted in FilesApiTest.assertError instead");

        assertConforms("ErrorResponse", client.get("/files/file-missing").json());
        assertConforms("ErrorResponse", new SimClient(sim.baseUrl(), null).get("/batches").json());
    }

    private static void assertConforms(String schema, JsonNode instance) {
        Set<ValidationMessage> problems = spec.validate(schema, instance);
        assertThat(problems).as("%s does not conform to %s", instance, schema).isEmpty();
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static ObjectNode validBatch() {
        ObjectNode batch = SimClient.JSON.createObjectNode();
        batch.put("id", "batch_1");
        batch.put("object", "batch");
        batch.put("endpoint", "/v1/chat/completions");
        batch.put("input_file_id", "file-1");
        batch.put("completion_window", "24h");
        batch.put("status", "in_progress");
        batch.put("created_at", 1_700_000_000L);
        batch.putObject("request_counts").put("total", 1).put("completed", 0).put("failed", 0);
        return batch;
    }
}
