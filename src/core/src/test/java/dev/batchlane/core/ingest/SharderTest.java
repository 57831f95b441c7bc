package dev.batchlane.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SharderTest {
    @TempDir
    Path tmp;

    private record Cut(List<String> contents, List<Long> requests, List<Long> bytes) {}

    private Cut cut(IngestLimits limits, String input) throws IOException {
        Cut cut = new Cut(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        new Sharder(limits, tmp).cut(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), s -> {
            cut.contents().add(Files.readString(s.file()));
            cut.requests().add(s.requests());
            cut.bytes().add(s.bytes());
            assertThat(Files.size(s.file())).isEqualTo(s.bytes());
        });
        return cut;
    }

    @Test
    void cutsAtTheRequestLimit() throws IOException {
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < 7; i++) {
            in.append("{\"custom_id\":\"r").append(i).append("\"}\n");
        }
        Cut cut = cut(new IngestLimits(3, 10_000, 100, 5), in.toString());
        assertThat(cut.requests()).containsExactly(3L, 3L, 1L);
        assertThat(String.join("", cut.contents())).isEqualTo(in.toString());
    }

    @Test
    void cutsBeforeALineThatWouldPassTheByteLimit() throws IOException {
        String line = "{\"custom_id\":\"0123456789\"}"; // 26 bytes + newline
        String in = (line + "\n").repeat(5);
        Cut cut = cut(new IngestLimits(100, 60, 30, 5), in);
        assertThat(cut.requests()).containsExactly(2L, 2L, 1L);
        assertThat(cut.bytes()).allSatisfy(b -> assertThat(b).isLessThanOrEqualTo(60));
    }

    @Test
    void normalisesCrlfAndDropsBlankLines_andTempFilesAreRemoved() throws IOException {
        Cut cut = cut(new IngestLimits(10, 10_000, 100, 5), "{\"custom_id\":\"a\"}\r\n\r\n{\"custom_id\":\"b\"}");
        assertThat(cut.contents()).containsExactly("{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\"}\n");
        try (var left = Files.list(tmp)) {
            assertThat(left).isEmpty();
        }
    }
}
