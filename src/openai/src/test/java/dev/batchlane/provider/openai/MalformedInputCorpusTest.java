package dev.batchlane.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.ingest.FileValidator;
import dev.batchlane.core.ingest.IngestPass;
import dev.batchlane.core.ingest.Violation;
import dev.batchlane.core.storage.ObjectStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A corpus of malformed (and merely unusual) input files, each with its expected outcome: rejected
 * with the exact lines and rule codes — so nothing would be submitted — or tolerated where a user
 * would expect it, in which case the staged shard holds the normalised lines. Files are under
 * src/test/resources/corpus; binary and huge cases are generated here.
 */
class MalformedInputCorpusTest {
    private static final String LINE =
            "{\"custom_id\":\"c-%d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                    + "\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hello %d\"}]}}";

    @TempDir Path tmp;

    /** "ok:N" for a tolerated file of N requests, else the violations as "line:code". */
    static Stream<Arguments> cases() {
        return Stream.of(
                file("valid.jsonl", "ok:3"),
                file("no-final-newline.jsonl", "ok:3"),
                file("crlf.jsonl", "ok:3"),
                file("mixed-line-endings.jsonl", "ok:3"),
                file("blank-lines.jsonl", "ok:3"),
                file("ids-differing-only-in-case.jsonl", "ok:3"),
                file("unicode-ids.jsonl", "ok:2"),
                generated(
                        "bom-at-start",
                        () -> concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, lines(2)),
                        "ok:2"),
                file("truncated-last-line.jsonl", "3:invalid_json"),
                file("truncated-middle-line.jsonl", "2:invalid_json"),
                file("empty.jsonl", "0:empty_file"),
                file("only-blank-lines.jsonl", "0:empty_file"),
                file("json-array-on-one-line.jsonl", "1:not_an_object"),
                file("top-level-string.jsonl", "2:not_an_object"),
                file("top-level-null.jsonl", "2:not_an_object"),
                file("two-objects-on-one-line.jsonl", "1:invalid_json"),
                file("trailing-comma.jsonl", "1:invalid_json"),
                file("single-quotes.jsonl", "1:invalid_json"),
                file("comment-line.jsonl", "1:invalid_json"),
                file("nan-value.jsonl", "1:invalid_json"),
                file("duplicate-key.jsonl", "1:duplicate_field"),
                file("custom-id-number.jsonl", "1:custom_id_invalid"),
                file("custom-id-empty.jsonl", "1:custom_id_invalid"),
                file("custom-id-null.jsonl", "1:custom_id_missing"),
                file("custom-id-object.jsonl", "1:custom_id_invalid"),
                file("duplicate-ids-far-apart.jsonl", "40:duplicate_custom_id"),
                file("method-lowercase.jsonl", "1:method_invalid"),
                file("url-trailing-slash.jsonl", "1:url_invalid"),
                file("url-without-version.jsonl", "1:url_invalid"),
                file("body-array.jsonl", "1:body_invalid"),
                file("model-missing.jsonl", "1:model_missing"),
                file("model-empty.jsonl", "1:model_missing"),
                file("model-mismatch.jsonl", "2:model_mismatch"),
                file("stream-true.jsonl", "1:stream_not_supported"),
                file("unknown-top-level-field.jsonl", "1:unknown_field"),
                file("control-char-in-string.jsonl", "1:invalid_json"),
                file("three-errors.jsonl", "2:method_invalid", "4:invalid_json", "5:url_mismatch"),
                generated(
                        "bom-in-the-middle",
                        () ->
                                concat(
                                        lines(1),
                                        new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
                                        line(2)),
                        "2:invalid_json"),
                generated(
                        "invalid-utf8-byte",
                        () ->
                                concat(
                                        lines(1),
                                        line(2).replace("hello", "h\u00e9llo")
                                                .getBytes(StandardCharsets.ISO_8859_1),
                                        "\n".getBytes(StandardCharsets.UTF_8)),
                        "2:invalid_utf8"),
                // "/" encoded in two bytes (C0 AF): the overlong form UTF-8 forbids
                generated(
                        "overlong-utf8",
                        () ->
                                concat(
                                        line(1).substring(0, 10).getBytes(StandardCharsets.UTF_8),
                                        new byte[] {(byte) 0xC0, (byte) 0xAF},
                                        line(1).substring(10)
                                                .concat("\n")
                                                .getBytes(StandardCharsets.UTF_8)),
                        "1:invalid_utf8"),
                generated(
                        "nul-byte-in-string",
                        () ->
                                line(1).replace("hello", "hel\u0000lo")
                                        .concat("\n")
                                        .getBytes(StandardCharsets.UTF_8),
                        "1:invalid_json"),
                generated(
                        "nesting-200-deep",
                        () ->
                                ("{\"custom_id\":\"c-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                                                + "\"body\":{\"model\":\"gpt-4o-mini\",\"x\":"
                                                + "[".repeat(200)
                                                + "]".repeat(200)
                                                + "}}\n")
                                        .getBytes(StandardCharsets.UTF_8),
                        "1:nesting_too_deep"));
    }

    private static Arguments file(String name, String... expected) {
        return Arguments.of(
                name,
                (Supplier<InputStream>)
                        () -> MalformedInputCorpusTest.class.getResourceAsStream("/corpus/" + name),
                List.of(expected));
    }

    private static Arguments generated(String name, Supplier<byte[]> bytes, String... expected) {
        return Arguments.of(
                name,
                (Supplier<InputStream>) () -> new java.io.ByteArrayInputStream(bytes.get()),
                List.of(expected));
    }

    private static String line(int i) {
        return String.format(LINE, i, i);
    }

    private static byte[] lines(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            sb.append(line(i)).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b, String c) {
        return concat(a, b, (c + "\n").getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachCase_hasItsExpectedOutcome(
            String name, Supplier<InputStream> input, List<String> expected) throws IOException {
        List<Violation> all = new ArrayList<>();
        FileValidator.Validation r;
        try (InputStream in = input.get()) {
            assertThat(in).as("corpus file %s", name).isNotNull();
            r =
                    new FileValidator(new OpenAiContract(), Vendor.OPENAI_LIMITS)
                            .validate(in, all::add);
        }
        if (expected.get(0).startsWith("ok:")) {
            long n = Long.parseLong(expected.get(0).substring(3));
            assertThat(all).as("%s should be tolerated", name).isEmpty();
            assertThat(r.requests()).isEqualTo(n);
            assertStagedNormalised(input, n);
            return;
        }
        assertThat(all)
                .as(name)
                .extracting(v -> v.line() + ":" + v.code())
                .containsExactlyElementsOf(expected);
        for (Violation v : all) {
            assertThat(v.message())
                    .as("%s names where", name)
                    .contains(v.line() == 0 ? "file" : "line " + v.line());
        }
        assertThat(r.valid()).isFalse();
    }

    /**
     * What would be staged: every request on its own LF-terminated line, without CR, BOM or blank
     * lines.
     */
    private void assertStagedNormalised(Supplier<InputStream> input, long requests)
            throws IOException {
        java.util.Map<Integer, byte[]> staged = new java.util.TreeMap<>();
        try (InputStream in = input.get()) {
            new IngestPass(
                            new OpenAiContract(),
                            Vendor.OPENAI_LIMITS,
                            16,
                            IngestPass.Options.defaults())
                    .run(
                            in,
                            v -> {},
                            new IngestPass.Stager() {
                                @Override
                                public ObjectStore.Upload open(int index) {
                                    return ObjectStore.Upload.inMemory(
                                            bytes -> staged.put(index, bytes));
                                }

                                @Override
                                public void staged(IngestPass.StagedShard shard) {}
                            },
                            IngestPass.Progress.NONE);
        }
        StringBuilder joined = new StringBuilder();
        staged.values().forEach(b -> joined.append(new String(b, StandardCharsets.UTF_8)));
        String all = joined.toString();
        assertThat(all)
                .doesNotContain("\r")
                .doesNotContain("\uFEFF")
                .doesNotContain("\n\n")
                .endsWith("\n");
        assertThat(all.split("\n"))
                .hasSize((int) requests)
                .allSatisfy(l -> assertThat(l).startsWith("{\"custom_id\""));
    }

    @org.junit.jupiter.api.Test
    void aLineOverTenMebibytes_isRejectedByNumberAndSize_withoutBeingHeld() throws IOException {
        long huge = 10L * 1024 * 1024 + 1;
        InputStream body =
                new InputStream() {
                    long left = huge;

                    @Override
                    public int read() {
                        return left-- > 0 ? 'x' : -1;
                    }
                };
        InputStream in =
                new SequenceInputStream(
                        java.util.Collections.enumeration(
                                List.of(
                                        new java.io.ByteArrayInputStream(lines(1)),
                                        body,
                                        new java.io.ByteArrayInputStream(
                                                ("\n" + line(3) + "\n")
                                                        .getBytes(StandardCharsets.UTF_8)))));
        List<Violation> all = new ArrayList<>();
        FileValidator.Validation r =
                new FileValidator(new OpenAiContract(), Vendor.OPENAI_LIMITS)
                        .validate(in, all::add);
        assertThat(all)
                .extracting(v -> v.line() + ":" + v.code())
                .containsExactly("2:line_too_long");
        assertThat(all.get(0).message())
                .contains("line 2")
                .contains(Long.toString(huge))
                .contains("10485760");
        assertThat(r.lines()).isEqualTo(3);
    }
}
