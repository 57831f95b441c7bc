package dev.batchlane.provider.gemini;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.ingest.FileValidator;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.ingest.Violation;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Gemini line rules, run through the core's validator as at ingest. */
class GeminiContractTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Run(FileValidator.Validation result, List<Violation> all) {}

    private static Run validate(Map<String, String> metadata, String... lines) throws Exception {
        byte[] content = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        List<Violation> all = new ArrayList<>();
        FileValidator.Validation result =
                new FileValidator(new GeminiContract().forFile(metadata), GeminiContract.LIMITS)
                        .validate(new ByteArrayInputStream(content), all::add);
        return new Run(result, all);
    }

    private static String line(String key, String request) {
        return "{\"key\":\"" + key + "\",\"request\":" + request + "}";
    }

    private static final String HI = "{\"contents\":[{\"parts\":[{\"text\":\"hi\"}]}]}";

    @Test
    void modelFromMetadata_givesTheBatchEndpoint_andLinesNeedNoModel() throws Exception {
        Run run =
                validate(Map.of("model", "models/gemini-2.5-flash"), line("a", HI), line("b", HI));
        assertThat(run.all()).isEmpty();
        assertThat(run.result().model()).isEqualTo("gemini-2.5-flash");
        assertThat(run.result().endpoint())
                .isEqualTo("models/gemini-2.5-flash:batchGenerateContent");
    }

    @Test
    void modelFromLines_mustBeTheSameOnEveryLine_andMatchTheMetadata() throws Exception {
        String flash =
                "{\"model\":\"models/gemini-2.5-flash\",\"contents\":[{\"parts\":[{\"text\":\"hi\"}]}]}";
        String pro =
                "{\"model\":\"gemini-2.5-pro\",\"contents\":[{\"parts\":[{\"text\":\"hi\"}]}]}";
        Run fromLines = validate(Map.of(), line("a", flash), line("b", flash));
        assertThat(fromLines.all()).isEmpty();
        assertThat(fromLines.result().endpoint())
                .isEqualTo("models/gemini-2.5-flash:batchGenerateContent");

        Run mixed = validate(Map.of(), line("a", flash), line("b", pro));
        assertThat(mixed.all())
                .extracting(Violation::line, Violation::customId, Violation::code)
                .containsExactly(tuple(2L, "b", "model_mismatch"));
        assertThat(mixed.all().get(0).message())
                .contains("line 2")
                .contains("gemini-2.5-flash")
                .contains("on line 1");

        Run againstMetadata = validate(Map.of("model", "gemini-2.5-pro"), line("a", flash));
        assertThat(againstMetadata.all())
                .extracting(Violation::code)
                .containsExactly("model_mismatch");
        assertThat(againstMetadata.all().get(0).message()).contains("named by the file's metadata");

        Run none = validate(Map.of(), line("a", HI));
        assertThat(none.all()).extracting(Violation::code).containsExactly("model_missing");
        assertThat(none.all().get(0).message()).contains("--metadata model=");

        Run badMetadata = validate(Map.of("model", "Gemini Flash!"), line("a", HI), line("b", HI));
        assertThat(badMetadata.all())
                .extracting(Violation::line, Violation::code)
                .containsExactly(tuple(1L, "model_invalid"), tuple(2L, "model_invalid"));
    }

    @Test
    void eachRuleNamesTheLineAndKey() throws Exception {
        Run run =
                validate(
                        Map.of("model", "gemini-2.5-flash"),
                        line("ok", HI),
                        "{\"request\":" + HI + "}",
                        "{\"key\":7,\"request\":" + HI + "}",
                        line("ok", HI),
                        line("no-request", "\"text\""),
                        line("no-contents", "{\"generationConfig\":{}}"),
                        line("empty-parts", "{\"contents\":[{\"role\":\"user\",\"parts\":[]}]}"),
                        line(
                                "streams",
                                "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"stream\":true}"),
                        line(
                                "cap",
                                "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":{\"maxOutputTokens\":0}}"),
                        "{\"key\":\"extra\",\"request\":" + HI + ",\"custom_id\":\"x\"}");
        assertThat(run.all())
                .extracting(Violation::line, Violation::customId, Violation::code)
                .containsExactly(
                        tuple(2L, null, "custom_id_missing"),
                        tuple(3L, null, "custom_id_invalid"),
                        tuple(4L, "ok", "duplicate_custom_id"),
                        tuple(5L, "no-request", "request_invalid"),
                        tuple(6L, "no-contents", "contents_invalid"),
                        tuple(7L, "empty-parts", "contents_invalid"),
                        tuple(8L, "streams", "stream_not_supported"),
                        tuple(9L, "cap", "max_output_tokens_invalid"),
                        tuple(10L, "extra", "unknown_field"));
        assertThat(run.all().get(0).message()).contains("line 2").contains("key");
        assertThat(run.all().get(2).message()).contains("'ok'").contains("line 1");
    }

    @Test
    void outputCap_isMaxOutputTokensTimesCandidates_inEitherSpelling_elseTheModelsOwnLimit()
            throws Exception {
        RequestContract.FileRules rules =
                new GeminiContract().forFile(Map.of("model", "gemini-2.5-flash")).startFile();
        ObjectNode camel =
                (ObjectNode)
                        JSON.readTree(
                                line(
                                        "a",
                                        "{\"contents\":[],\"generationConfig\":"
                                                + "{\"maxOutputTokens\":100,\"candidateCount\":3}}"));
        ObjectNode snake =
                (ObjectNode)
                        JSON.readTree(
                                line(
                                        "a",
                                        "{\"contents\":[],\"generation_config\":"
                                                + "{\"max_output_tokens\":40}}"));
        ObjectNode none = (ObjectNode) JSON.readTree(line("a", HI));
        assertThat(rules.maxOutputTokens(camel, 4096)).isEqualTo(300);
        assertThat(rules.maxOutputTokens(snake, 4096)).isEqualTo(40);
        assertThat(rules.maxOutputTokens(none, 4096))
                .as("Gemini 2.5 answers up to 65,536 tokens when uncapped")
                .isEqualTo(65_536);
        RequestContract.FileRules unknown =
                new GeminiContract().forFile(Map.of("model", "gemma-3")).startFile();
        assertThat(unknown.maxOutputTokens(none, 4096)).isEqualTo(4096);
    }

    @Test
    void inputEstimate_isAQuarterTokenPerCharacter_overTheWholeRequest() throws Exception {
        RequestContract.FileRules rules =
                new GeminiContract().forFile(Map.of("model", "gemini-2.5-flash")).startFile();
        String text = "x".repeat(4000);
        ObjectNode l =
                (ObjectNode)
                        JSON.readTree(
                                line(
                                        "a",
                                        "{\"contents\":[{\"parts\":[{\"text\":\""
                                                + text
                                                + "\"}]}]}"));
        assertThat(rules.inputTokens(l)).isBetween(1000L, 1010L);
    }
}
