package dev.batchlane.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.batchlane.core.ingest.FileValidator;
import dev.batchlane.core.ingest.Violation;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The OpenAI line rules, run through the core's {@link FileValidator} with the OpenAI limits so the
 * generic rules and the provider's are exercised together, as at ingest.
 */
class OpenAiContractTest {
    private static final String CHAT = "/v1/chat/completions";

    private record Run(FileValidator.Validation result, List<Violation> all) {
        Violation only() {
            assertThat(all).hasSize(1);
            return all.get(0);
        }
    }

    private static Run validate(String... lines) throws IOException {
        byte[] content = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        List<Violation> all = new ArrayList<>();
        FileValidator.Validation result =
                new FileValidator(new OpenAiContract(), Vendor.OPENAI_LIMITS)
                        .validate(new ByteArrayInputStream(content), all::add);
        return new Run(result, all);
    }

    private static String chat(String id, String model) {
        return line(
                id,
                CHAT,
                "{\"model\":\""
                        + model
                        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    }

    private static String line(String id, String url, String body) {
        return "{\"custom_id\":\""
                + id
                + "\",\"method\":\"POST\",\"url\":\""
                + url
                + "\",\"body\":"
                + body
                + "}";
    }

    @Test
    void contract_validChatFile_hasNoViolationsAndReportsEndpointAndModelOfTheFirstLine()
            throws IOException {
        Run run =
                validate(
                        chat("a", "gpt-4o-mini"),
                        chat("b", "gpt-4o-mini"),
                        line(
                                "c",
                                CHAT,
                                "{\"model\":\"gpt-4o-mini\",\"messages\":[],\"stream\":false}"));

        assertThat(run.all()).isEmpty();
        assertThat(run.result().valid()).isTrue();
        assertThat(run.result().requests()).isEqualTo(3);
        assertThat(run.result().endpoint()).isEqualTo(CHAT);
        assertThat(run.result().model()).isEqualTo("gpt-4o-mini");
    }

    /**
     * OpenAI's limits are documented in decimal units: 200 MB is 200,000,000 bytes, not 200 MiB.
     */
    @Test
    void limits_areTheDocumentedOnesInDecimalUnits() {
        assertThat(Vendor.OPENAI_LIMITS.maxBytesPerShard()).isEqualTo(200_000_000L);
        assertThat(Vendor.OPENAI_LIMITS.maxRequestsPerShard()).isEqualTo(50_000);
        assertThat(Vendor.OPENAI_LIMITS.maxInputsPerShard()).isEqualTo(50_000);
        assertThat(
                        new OpenAiProvider(
                                        new OpenAiConfig(
                                                java.net.URI.create("http://127.0.0.1:1"),
                                                "sk-x",
                                                java.time.Duration.ofSeconds(1)),
                                        java.net.http.HttpClient.newHttpClient())
                                .limits())
                .isEqualTo(Vendor.OPENAI_LIMITS);
    }

    @Test
    void embeddingInputs_countEveryElementOfAnInputArray() throws IOException {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.function.Function<String, Long> inputs =
                l -> {
                    try {
                        return OpenAiContract.embeddingInputs(
                                (com.fasterxml.jackson.databind.node.ObjectNode)
                                        mapper.readTree(l));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                };
        String emb = "/v1/embeddings";
        assertThat(
                        inputs.apply(
                                line(
                                        "a",
                                        emb,
                                        "{\"model\":\"text-embedding-3-small\",\"input\":[\"x\",\"y\",\"z\"]}")))
                .isEqualTo(3);
        assertThat(inputs.apply(line("a", emb, "{\"model\":\"m\",\"input\":\"x\"}"))).isEqualTo(1);
        assertThat(inputs.apply(line("a", emb, "{\"model\":\"m\",\"input\":[1,2,3]}")))
                .as("one tokenized input")
                .isEqualTo(1);
        assertThat(inputs.apply(line("a", emb, "{\"model\":\"m\",\"input\":[[1,2],[3]]}")))
                .isEqualTo(2);
        assertThat(inputs.apply(line("a", CHAT, "{\"model\":\"m\",\"input\":[\"x\",\"y\"]}")))
                .isEqualTo(1);

        String many = "[" + "\"w\",".repeat(50_000) + "\"w\"]";
        Violation v =
                validate(
                                line(
                                        "big",
                                        emb,
                                        "{\"model\":\"text-embedding-3-small\",\"input\":"
                                                + many
                                                + "}"))
                        .only();
        assertThat(v.code()).isEqualTo("too_many_inputs");
        assertThat(v.message()).contains("50001 inputs");
    }

    @Test
    void contract_idField_isCustomId() {
        assertThat(new OpenAiContract().idField()).isEqualTo("custom_id");
    }

    @ParameterizedTest
    @MethodSource("dev.batchlane.provider.openai.OpenAiContractTest#endpoints")
    void contract_everyBatchEndpoint_isAccepted(String url) throws IOException {
        Run run = validate(line("a", url, "{\"model\":\"m\"}"));

        assertThat(run.all()).isEmpty();
        assertThat(run.result().endpoint()).isEqualTo(url);
    }

    static List<String> endpoints() {
        return List.of(
                "/v1/responses",
                "/v1/chat/completions",
                "/v1/embeddings",
                "/v1/completions",
                "/v1/moderations",
                "/v1/images/generations",
                "/v1/images/edits",
                "/v1/videos");
    }

    @Test
    void contract_unknownTopLevelField_reportsUnknownFieldNamingItOnItsLine() throws IOException {
        Run run =
                validate(
                        chat("a", "m"),
                        "{\"custom_id\":\"b\",\"method\":\"POST\",\"url\":\""
                                + CHAT
                                + "\",\"body\":{\"model\":\"m\"},"
                                + "\"model\":\"m\",\"headers\":{}}");

        assertThat(run.all())
                .extracting(Violation::line, Violation::customId, Violation::code)
                .containsExactly(tuple(2L, "b", "unknown_field"), tuple(2L, "b", "unknown_field"));
        assertThat(run.all().get(0).message())
                .contains("line 2")
                .contains("\"model\"")
                .contains("custom_id, method, url and body");
        assertThat(run.all().get(1).message()).contains("\"headers\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"GET\"", "\"post\"", "\"POST \"", "1", "null"})
    void contract_methodNotExactlyPost_reportsMethodInvalidWithTheValue(String method)
            throws IOException {
        Run run =
                validate(
                        chat("a", "m"),
                        "{\"custom_id\":\"b\",\"method\":"
                                + method
                                + ",\"url\":\""
                                + CHAT
                                + "\",\"body\":{\"model\":\"m\"}}");

        Violation v = run.only();
        assertThat(v.line()).isEqualTo(2);
        assertThat(v.customId()).isEqualTo("b");
        assertThat(v.code()).isEqualTo("method_invalid");
        assertThat(v.message()).contains("line 2").contains("\"POST\"").endsWith("found " + method);
    }

    @Test
    void contract_methodMissing_reportsMethodInvalidSayingNothingWasFound() throws IOException {
        Violation v =
                validate(
                                "{\"custom_id\":\"a\",\"url\":\""
                                        + CHAT
                                        + "\",\"body\":{\"model\":\"m\"}}")
                        .only();

        assertThat(v.code()).isEqualTo("method_invalid");
        assertThat(v.message()).contains("line 1").contains("found nothing");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "\"/v1/chat/completion\"",
                "\"/chat/completions\"",
                "\"/v1/batches\"",
                "42",
                "null",
                "[\"/v1/embeddings\"]"
            })
    void contract_urlNotABatchEndpoint_reportsUrlInvalidListingTheAllowedOnes(String url)
            throws IOException {
        Violation v =
                validate(
                                "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":"
                                        + url
                                        + ",\"body\":{\"model\":\"m\"}}")
                        .only();

        assertThat(v.line()).isEqualTo(1);
        assertThat(v.code()).isEqualTo("url_invalid");
        assertThat(v.message())
                .contains("line 1")
                .contains("/v1/responses")
                .contains("/v1/videos")
                .endsWith("found " + url);
    }

    @Test
    void contract_urlMissing_reportsUrlInvalidAndSetsNoEndpoint() throws IOException {
        Run run = validate("{\"custom_id\":\"a\",\"method\":\"POST\",\"body\":{\"model\":\"m\"}}");

        assertThat(run.only().code()).isEqualTo("url_invalid");
        assertThat(run.result().endpoint()).isNull();
    }

    @Test
    void contract_urlDiffersFromFirstLine_reportsUrlMismatchNamingBothLines() throws IOException {
        Run run =
                validate(
                        chat("a", "m"),
                        chat("b", "m"),
                        line("c", "/v1/embeddings", "{\"model\":\"m\"}"),
                        line("d", "/v1/responses", "{\"model\":\"m\"}"));

        assertThat(run.all())
                .extracting(Violation::line, Violation::customId, Violation::code)
                .containsExactly(tuple(3L, "c", "url_mismatch"), tuple(4L, "d", "url_mismatch"));
        assertThat(run.all().get(0).message())
                .contains("line 3")
                .contains("\"/v1/embeddings\"")
                .contains("\"/v1/chat/completions\" on line 1");
        assertThat(run.result().endpoint()).isEqualTo(CHAT);
    }

    @Test
    void contract_firstLineWithAnInvalidUrl_doesNotSetTheEndpointTheOthersAreComparedTo()
            throws IOException {
        Run run =
                validate(
                        line("a", "/v1/nope", "{\"model\":\"m\"}"),
                        line("b", "/v1/embeddings", "{\"model\":\"m\"}"),
                        chat("c", "m"));

        assertThat(run.all())
                .extracting(Violation::line, Violation::code)
                .containsExactly(tuple(1L, "url_invalid"), tuple(3L, "url_mismatch"));
        assertThat(run.all().get(1).message()).contains("on line 2");
        assertThat(run.result().endpoint()).isEqualTo("/v1/embeddings");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"text\"", "[]", "null", "7"})
    void contract_bodyNotAnObject_reportsBodyInvalidAndNoModelRules(String body)
            throws IOException {
        Violation v = validate(line("a", CHAT, body)).only();

        assertThat(v.code()).isEqualTo("body_invalid");
        assertThat(v.message()).contains("line 1").endsWith("found " + body);
    }

    @Test
    void contract_bodyMissing_reportsBodyInvalid() throws IOException {
        Violation v =
                validate("{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"" + CHAT + "\"}")
                        .only();

        assertThat(v.code()).isEqualTo("body_invalid");
        assertThat(v.message()).contains("found nothing");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{}",
                "{\"model\":\"\"}",
                "{\"model\":null}",
                "{\"model\":4}",
                "{\"model\":[\"m\"]}"
            })
    void contract_modelMissingEmptyOrNotAString_reportsModelMissing(String body)
            throws IOException {
        Run run = validate(line("a", CHAT, body));

        Violation v = run.only();
        assertThat(v.code()).isEqualTo("model_missing");
        assertThat(v.message()).contains("line 1").contains("body.model");
        assertThat(run.result().model()).isNull();
    }

    @Test
    void contract_modelDiffersFromFirstLine_reportsModelMismatchNamingBothLines()
            throws IOException {
        Run run =
                validate(
                        line("a", CHAT, "{}"),
                        chat("b", "gpt-4o-mini"),
                        chat("c", "gpt-4o-mini"),
                        chat("d", "gpt-4o"));

        assertThat(run.all())
                .extracting(Violation::line, Violation::customId, Violation::code)
                .containsExactly(tuple(1L, "a", "model_missing"), tuple(4L, "d", "model_mismatch"));
        assertThat(run.all().get(1).message())
                .contains("line 4")
                .contains("\"gpt-4o\"")
                .contains("\"gpt-4o-mini\" on line 2");
        assertThat(run.result().model()).isEqualTo("gpt-4o-mini");
    }

    @Test
    void contract_streamTrue_reportsStreamNotSupported() throws IOException {
        Run run =
                validate(
                        chat("a", "m"),
                        line("b", CHAT, "{\"model\":\"m\",\"stream\":true}"),
                        line("c", CHAT, "{\"model\":\"m\",\"stream\":false}"));

        Violation v = run.only();
        assertThat(v.line()).isEqualTo(2);
        assertThat(v.customId()).isEqualTo("b");
        assertThat(v.code()).isEqualTo("stream_not_supported");
        assertThat(v.message()).contains("line 2").contains("body.stream");
    }

    @Test
    void contract_longOffendingValue_isCutShortInTheMessage() throws IOException {
        String longUrl = "/v1/" + "x".repeat(5000);
        Violation v = validate(line("a", longUrl, "{\"model\":\"m\"}")).only();

        assertThat(v.code()).isEqualTo("url_invalid");
        assertThat(v.message()).hasSizeLessThan(600).contains("/v1/xxx").contains("chars)");
    }

    @Test
    void contract_oneLineBreakingSeveralRules_reportsEachOnce() throws IOException {
        Run run =
                validate(
                        chat("a", "m"),
                        "{\"custom_id\":\"b\",\"method\":\"GET\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"other\","
                                + "\"stream\":true},\"extra\":1}");

        assertThat(run.all())
                .extracting(Violation::code)
                .containsExactlyInAnyOrder(
                        "unknown_field",
                        "method_invalid",
                        "url_mismatch",
                        "model_mismatch",
                        "stream_not_supported");
        assertThat(run.all()).allSatisfy(v -> assertThat(v.line()).isEqualTo(2));
    }

    @Test
    void contract_genericRulesStillApply_duplicateIdAndBadJsonAreReportedWithTheProviderRules()
            throws IOException {
        Run run =
                validate(
                        chat("a", "m"),
                        "{not json",
                        chat("a", "m"),
                        line("c", "/v1/embeddings", "{\"model\":\"m\"}"),
                        "{\"method\":\"POST\",\"url\":\""
                                + CHAT
                                + "\",\"body\":{\"model\":\"m\"}}");

        assertThat(run.all())
                .extracting(Violation::line, Violation::customId, Violation::code)
                .containsExactly(
                        tuple(2L, null, "invalid_json"),
                        tuple(3L, "a", "duplicate_custom_id"),
                        tuple(4L, "c", "url_mismatch"),
                        tuple(5L, null, "custom_id_missing"));
        assertThat(run.result().valid()).isFalse();
        assertThat(run.result().violationsByCode()).containsEntry("url_mismatch", 1L);
    }

    @Test
    void contract_eachFileStartsAfresh_theFirstUrlOfOneFileDoesNotBindTheNext() throws IOException {
        OpenAiContract contract = new OpenAiContract();
        List<Violation> all = new ArrayList<>();
        new FileValidator(contract, Vendor.OPENAI_LIMITS)
                .validate(
                        new ByteArrayInputStream(
                                (chat("a", "m") + "\n").getBytes(StandardCharsets.UTF_8)),
                        all::add);
        FileValidator.Validation second =
                new FileValidator(contract, Vendor.OPENAI_LIMITS)
                        .validate(
                                new ByteArrayInputStream(
                                        (line("a", "/v1/embeddings", "{\"model\":\"e\"}") + "\n")
                                                .getBytes(StandardCharsets.UTF_8)),
                                all::add);

        assertThat(all).isEmpty();
        assertThat(second.endpoint()).isEqualTo("/v1/embeddings");
        assertThat(second.model()).isEqualTo("e");
    }
}
