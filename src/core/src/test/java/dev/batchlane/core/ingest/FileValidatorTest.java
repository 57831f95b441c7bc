package dev.batchlane.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FileValidatorTest {
    private final IngestLimits limits = new IngestLimits(10, 10_000, 200, 3);

    private record Run(FileValidator.Validation result, List<Violation> all) {}

    private Run validate(byte[] content) throws IOException {
        List<Violation> all = new ArrayList<>();
        var result =
                new FileValidator(new TestContract(), limits)
                        .validate(new ByteArrayInputStream(content), all::add);
        return new Run(result, all);
    }

    private Run validate(String content) throws IOException {
        return validate(content.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void validFile_countsRequestsBytesAndHashes() throws IOException {
        byte[] content =
                "{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\"}\n".getBytes(StandardCharsets.UTF_8);
        Run run = validate(content);
        assertThat(run.result().valid()).isTrue();
        assertThat(run.result().requests()).isEqualTo(2);
        assertThat(run.result().lines()).isEqualTo(2);
        assertThat(run.result().bytes()).isEqualTo(content.length);
        // sha256 of the exact bytes, so the manifest can prove which input produced the results
        assertThat(run.result().sha256())
                .isEqualTo(
                        java.util.HexFormat.of().formatHex(FileValidator.sha256().digest(content)));
    }

    @Test
    void duplicateCustomId_isReportedOnTheSecondLineNamingTheFirst() throws IOException {
        Run run = validate("{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\"}\n{\"custom_id\":\"a\"}\n");
        assertThat(run.all())
                .extracting(Violation::line, Violation::customId, Violation::code)
                .containsExactly(tuple(3L, "a", "duplicate_custom_id"));
        assertThat(run.all().get(0).message()).contains("line 1");
    }

    @Test
    void idsDifferingOnlyInCase_areDistinct() throws IOException {
        assertThat(
                        validate("{\"custom_id\":\"Row-1\"}\n{\"custom_id\":\"row-1\"}\n")
                                .result()
                                .valid())
                .isTrue();
    }

    @Test
    void malformedJson_namesTheLineAndSaysTruncatedWhenTheLastLineIsCut() throws IOException {
        Run run = validate("{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\", ");
        assertThat(run.all())
                .singleElement()
                .satisfies(
                        v -> {
                            assertThat(v.line()).isEqualTo(2);
                            assertThat(v.code()).isEqualTo("invalid_json");
                            assertThat(v.message()).contains("line 2").contains("truncated");
                        });
    }

    @Test
    void eachGenericRule_hasItsOwnCode() throws IOException {
        String longLine = "{\"custom_id\":\"x\",\"p\":\"" + "y".repeat(300) + "\"}";
        Run run =
                validate(
                        String.join(
                                        "\n",
                                        "[1,2]",
                                        "{\"custom_id\": 7}",
                                        "{\"no_id\": true}",
                                        longLine,
                                        "{\"custom_id\":\"d\",\"custom_id\":\"e\"}",
                                        "{\"custom_id\":\"f\"} {\"custom_id\":\"g\"}",
                                        "{\"custom_id\":\"h\",\"bad\":1}",
                                        "{\"custom_id\":\"\"}")
                                + "\n");
        assertThat(run.all())
                .extracting(Violation::line, Violation::code)
                .containsExactly(
                        tuple(1L, "not_an_object"),
                        tuple(2L, "custom_id_invalid"),
                        tuple(3L, "custom_id_missing"),
                        tuple(4L, "line_too_long"),
                        tuple(5L, "duplicate_field"),
                        tuple(6L, "invalid_json"),
                        tuple(7L, "bad_field"),
                        tuple(8L, "custom_id_invalid"));
        assertThat(run.result().sample()).hasSize(3);
        assertThat(run.result().violationCount()).isEqualTo(8);
        assertThat(run.result().violationsByCode()).containsEntry("custom_id_invalid", 2L);
    }

    @Test
    void invalidUtf8_isRejectedByLine() throws IOException {
        byte[] bad =
                "{\"custom_id\":\"a\"}\n{\"custom_id\":\"\u00e9\"}\n"
                        .getBytes(StandardCharsets.UTF_8);
        bad[bad.length - 4] = (byte) 0xFF;
        assertThat(validate(bad).all())
                .extracting(Violation::line, Violation::code)
                .containsExactly(tuple(2L, "invalid_utf8"));
    }

    @Test
    void crlfBomBlankLinesAndMissingFinalNewline_areTolerated() throws IOException {
        byte[] body =
                "{\"custom_id\":\"a\"}\r\n\r\n{\"custom_id\":\"b\"}"
                        .getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[body.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(body, 0, withBom, 3, body.length);
        Run run = validate(withBom);
        assertThat(run.all()).isEmpty();
        assertThat(run.result().requests()).isEqualTo(2);
    }

    @Test
    void emptyFile_isRejected() throws IOException {
        assertThat(validate("").all()).extracting(Violation::code).containsExactly("empty_file");
        assertThat(validate("\n\n").all())
                .extracting(Violation::code)
                .containsExactly("empty_file");
    }

    @Test
    void deepNesting_isRejectedNotCrashed() throws IOException {
        String deep = "{\"custom_id\":\"a\",\"x\":" + "[".repeat(150) + "]".repeat(150) + "}\n";
        assertThat(
                        new FileValidator(
                                        new TestContract(), new IngestLimits(10, 10_000, 5_000, 3))
                                .validate(
                                        new ByteArrayInputStream(
                                                deep.getBytes(StandardCharsets.UTF_8)),
                                        v -> {})
                                .violationsByCode())
                .containsKey("nesting_too_deep");
    }
}
