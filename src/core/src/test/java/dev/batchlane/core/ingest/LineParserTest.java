package dev.batchlane.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LineParserTest {

    /** The lines of {@code bytes} as the pass's reader cuts them, parsed as a worker would. */
    private static ParsedLine[] parse(byte[] bytes, int maxLineBytes) throws IOException {
        LineReader reader = new LineReader(new ByteArrayInputStream(bytes), maxLineBytes);
        LineChunk chunk = null;
        LineReader.Line line;
        while ((line = reader.next()) != null) {
            if (chunk == null) {
                chunk = new LineChunk(line.number());
            }
            chunk.add(line);
        }
        return new LineParser(new TestContract(), 100).parseAll(chunk).parsed;
    }

    private static ParsedLine[] parse(String text) throws IOException {
        return parse(text.getBytes(StandardCharsets.UTF_8), 1 << 20);
    }

    @Test
    void eachLine_isSortedIntoTheKindTheInOrderChecksReportOn() throws IOException {
        ParsedLine[] p = parse("{\"custom_id\":\"a\"}\n \t\n[1]\n{\"custom_id\":\n");

        assertThat(Arrays.stream(p).map(ParsedLine::kind))
                .containsExactly(
                        ParsedLine.Kind.OBJECT,
                        ParsedLine.Kind.BLANK,
                        ParsedLine.Kind.NOT_OBJECT,
                        ParsedLine.Kind.BAD_JSON);
        assertThat(p[3].jsonCode()).isNotBlank();
        assertThat(p[3].jsonMessage()).isNotBlank();
    }

    @Test
    void aLineThatIsNotUtf8_andALineOverTheLimit_areNeverParsed() throws IOException {
        byte[] bytes = {'{', '"', 'x', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'};
        assertThat(parse(bytes, 1 << 20)[0].kind()).isEqualTo(ParsedLine.Kind.BAD_UTF8);

        String longLine = "{\"custom_id\":\"" + "x".repeat(100) + "\"}\n";
        assertThat(parse(longLine.getBytes(StandardCharsets.UTF_8), 50)[0].kind())
                .isEqualTo(ParsedLine.Kind.OVERSIZED);
    }

    @Test
    void anObject_carriesItsEstimate_itsModel_andItsInputs() throws IOException {
        ParsedLine p =
                parse("{\"custom_id\":\"a\",\"model\":\"m1\",\"max_tokens\":7,\"inputs\":3}\n")[0];

        assertThat(p.model()).isEqualTo("m1");
        assertThat(p.tokens().maxOutputTokens()).isEqualTo(7);
        assertThat(p.inputs()).isEqualTo(3);
    }

    @Test
    void anObjectWithoutACap_isEstimatedWithTheDefaultCap() throws IOException {
        assertThat(parse("{\"custom_id\":\"a\"}\n")[0].tokens().maxOutputTokens()).isEqualTo(100);
    }
}
