package dev.batchlane.core.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads a JSONL stream line by line as bytes, holding at most {@code maxLineBytes} of one line. A
 * longer line is skipped to its end and reported as oversized, so one 10 GB line cannot exhaust
 * memory. CRLF endings and a UTF-8 byte-order mark on the first line are normalised away because
 * editors add them and the provider never needs them.
 */
public final class LineReader {
    private static final int BUFFER = 64 * 1024;

    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] buf = new byte[BUFFER];
    private int pos;
    private int limit;
    private byte[] line = new byte[1024];
    private long lineNumber;
    private boolean eof;

    /**
     * One line: its number (1-based), its bytes without the line ending, and whether it was cut.
     */
    public record Line(
            long number,
            byte[] bytes,
            int length,
            long originalLength,
            boolean oversized,
            boolean terminated) {
        public boolean blank() {
            for (int i = 0; i < length; i++) {
                byte b = bytes[i];
                if (b != ' ' && b != '\t') {
                    return false;
                }
            }
            return true;
        }
    }

    public LineReader(InputStream in, int maxLineBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    /**
     * The next line, or null at the end of the stream. The returned bytes are reused by the next
     * call.
     */
    public Line next() throws IOException {
        if (eof) {
            return null;
        }
        int len = 0;
        long original = 0;
        boolean sawAny = false;
        while (true) {
            if (pos == limit) {
                limit = in.read(buf, 0, BUFFER);
                pos = 0;
                if (limit <= 0) {
                    limit = 0;
                    eof = true;
                    if (!sawAny) {
                        return null;
                    }
                    return finish(len, original, false);
                }
            }
            sawAny = true;
            int start = pos;
            while (pos < limit && buf[pos] != '\n') {
                pos++;
            }
            int chunk = pos - start;
            original += chunk;
            if (len < maxLineBytes + 1) {
                int take = (int) Math.min(chunk, (long) maxLineBytes + 1 - len);
                ensure(len + take);
                System.arraycopy(buf, start, line, len, take);
                len += take;
            }
            if (pos < limit) {
                pos++; // the newline
                return finish(len, original, true);
            }
        }
    }

    private Line finish(int len, long original, boolean terminated) {
        lineNumber++;
        int from = 0;
        if (lineNumber == 1
                && len >= 3
                && (line[0] & 0xFF) == 0xEF
                && (line[1] & 0xFF) == 0xBB
                && (line[2] & 0xFF) == 0xBF) {
            from = 3;
            original -= 3;
        }
        boolean oversized = original > maxLineBytes;
        if (!oversized && len > from && line[len - 1] == '\r') {
            len--;
            original--;
        }
        if (from > 0) {
            System.arraycopy(line, from, line, 0, len - from);
            len -= from;
        }
        return new Line(lineNumber, line, oversized ? 0 : len, original, oversized, terminated);
    }

    private void ensure(int capacity) {
        if (capacity > line.length) {
            line = Arrays.copyOf(line, Math.max(capacity, line.length * 2));
        }
    }
}
