package dev.batchlane.simulator.openai;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A streaming {@code multipart/form-data} reader (RFC 7578): it hands each part's body to a sink as
 * it arrives, holding only a fixed buffer, so an upload of any size never sits in the heap.
 *
 * <p>Parts are found by the delimiter {@code CRLF "--" boundary}. A boundary may not contain CR
 * (RFC 2046 {@code bchars}), so CR occurs in the delimiter only at its start; after a partial match
 * fails, matching can therefore restart at the current byte without backtracking.
 */
final class MultipartReader {
    private static final int MAX_HEADER_LINE = 8 * 1024;
    private static final int MAX_HEADERS = 64;

    /** The headers of one part that matter for form data. */
    record Part(String name, String filename, String contentType) {}

    private final InputStream in;
    private final byte[] delimiter;
    private final byte[] buf = new byte[64 * 1024];
    private int pos;
    private int limit;
    private boolean started;
    private boolean finished;
    private boolean bodyPending;

    MultipartReader(InputStream in, String boundary) {
        this.in = in;
        this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The boundary parameter of a {@code multipart/form-data} content type. */
    static String boundaryOf(String contentType) {
        if (contentType == null
                || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            throw ApiError.badRequest(
                    "Invalid Content-Type header ("
                            + contentType
                            + "), expected multipart/form-data.",
                    null,
                    null);
        }
        for (String param : splitParameters(contentType)) {
            int eq = param.indexOf('=');
            if (eq > 0 && param.substring(0, eq).trim().equalsIgnoreCase("boundary")) {
                String boundary = unquote(param.substring(eq + 1).trim());
                if (boundary.isEmpty()
                        || boundary.length() > 200
                        || boundary.indexOf('\r') >= 0
                        || boundary.indexOf('\n') >= 0) {
                    break;
                }
                return boundary;
            }
        }
        throw ApiError.badRequest(
                "Invalid multipart/form-data request: missing or malformed boundary.", null, null);
    }

    /**
     * Moves to the next part, skipping whatever of the current body was not read; null at the end.
     */
    Part nextPart() throws IOException {
        if (finished) {
            return null;
        }
        // The stream starts with "--boundary" rather than CRLF "--boundary": pretend the CRLF
        // matched.
        boolean found =
                started ? !bodyPending || scanToDelimiter(null, 0) : scanToDelimiter(null, 2);
        started = true;
        bodyPending = false;
        if (!found) {
            throw malformed("the closing boundary is missing");
        }
        int a = read();
        int b = read();
        if (a == '-' && b == '-') {
            finished = true;
            return null;
        }
        while (a == ' ' || a == '\t') {
            a = b;
            b = read();
        }
        if (a != '\r' || b != '\n') {
            throw malformed("a boundary is not followed by CRLF");
        }
        String name = null;
        String filename = null;
        String contentType = null;
        for (int count = 0; ; count++) {
            String line = readHeaderLine();
            if (line.isEmpty()) {
                break;
            }
            if (count >= MAX_HEADERS) {
                throw malformed("a part has too many headers");
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw malformed("a part header has no name");
            }
            String header = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            if (header.equals("content-disposition")) {
                for (String param : splitParameters(value)) {
                    int eq = param.indexOf('=');
                    if (eq <= 0) {
                        continue;
                    }
                    String key = param.substring(0, eq).trim().toLowerCase(Locale.ROOT);
                    String val = unquote(param.substring(eq + 1).trim());
                    if (key.equals("name")) {
                        name = val;
                    } else if (key.equals("filename")) {
                        filename = val;
                    }
                }
            } else if (header.equals("content-type")) {
                contentType = value;
            }
        }
        bodyPending = true;
        return new Part(name, filename, contentType);
    }

    /** Streams the current part's body into {@code sink}. */
    void copyBody(OutputStream sink) throws IOException {
        if (!bodyPending) {
            throw new IllegalStateException("no part body to read; call nextPart() first");
        }
        bodyPending = false;
        if (!scanToDelimiter(sink, 0)) {
            throw malformed("the closing boundary is missing");
        }
    }

    /** Reads a small field value, refusing more than {@code maxBytes}. */
    String readSmallBody(int maxBytes, String fieldName) throws IOException {
        ByteArrayOutputStream out =
                new ByteArrayOutputStream() {
                    @Override
                    public synchronized void write(byte[] b, int off, int len) {
                        check(len);
                        super.write(b, off, len);
                    }

                    @Override
                    public synchronized void write(int b) {
                        check(1);
                        super.write(b);
                    }

                    private void check(int more) {
                        if (count + more > maxBytes) {
                            throw ApiError.badRequest(
                                    "The value of form field '" + fieldName + "' is too long.",
                                    fieldName,
                                    null);
                        }
                    }
                };
        copyBody(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * Copies bytes up to the next delimiter into {@code sink} (null discards them) and consumes the
     * delimiter. Returns false if the stream ended first.
     */
    private boolean scanToDelimiter(OutputStream sink, int alreadyMatched) throws IOException {
        int matched = alreadyMatched;
        while (true) {
            if (pos == limit && !fill()) {
                return false;
            }
            if (matched == 0) {
                // Fast path: everything before the next CR is body.
                int start = pos;
                while (pos < limit && buf[pos] != '\r') {
                    pos++;
                }
                if (sink != null && pos > start) {
                    sink.write(buf, start, pos - start);
                }
                if (pos == limit) {
                    continue;
                }
            }
            byte b = buf[pos++];
            if (b == delimiter[matched]) {
                matched++;
                if (matched == delimiter.length) {
                    return true;
                }
            } else {
                if (sink != null) {
                    sink.write(delimiter, 0, matched);
                }
                matched = 0;
                pos--; // re-examine b as a possible start of the delimiter
            }
        }
    }

    private String readHeaderLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = read();
            if (b < 0) {
                throw malformed("the part headers end early");
            }
            if (b == '\r') {
                if (read() != '\n') {
                    throw malformed("a part header line is not terminated by CRLF");
                }
                return line.toString(StandardCharsets.UTF_8);
            }
            if (line.size() >= MAX_HEADER_LINE) {
                throw malformed("a part header line is too long");
            }
            line.write(b);
        }
    }

    private int read() throws IOException {
        if (pos == limit && !fill()) {
            return -1;
        }
        return buf[pos++] & 0xff;
    }

    private boolean fill() throws IOException {
        int n = in.read(buf, 0, buf.length);
        pos = 0;
        limit = Math.max(n, 0);
        return n > 0;
    }

    private static ApiError malformed(String why) {
        return ApiError.badRequest("Invalid multipart/form-data request: " + why + ".", null, null);
    }

    /** Splits {@code a; b="x;y"; c} on semicolons outside quotes, dropping the first element. */
    private static List<String> splitParameters(String header) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        boolean first = true;
        for (int i = 0; i < header.length(); i++) {
            char c = header.charAt(i);
            if (c == '\\' && quoted && i + 1 < header.length()) {
                current.append(c).append(header.charAt(++i));
            } else if (c == '"') {
                quoted = !quoted;
                current.append(c);
            } else if (c == ';' && !quoted) {
                if (!first) {
                    out.add(current.toString());
                }
                first = false;
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (!first) {
            out.add(current.toString());
        }
        return out;
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            StringBuilder out = new StringBuilder();
            for (int i = 1; i < value.length() - 1; i++) {
                char c = value.charAt(i);
                if (c == '\\' && i + 1 < value.length() - 1) {
                    c = value.charAt(++i);
                }
                out.append(c);
            }
            return out.toString();
        }
        return value;
    }
}
