package dev.batchlane.http;

import dev.batchlane.core.provider.Payload;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A multipart/form-data body of text fields and one file part streamed from a {@link Payload}, so a
 * 200 MB shard never sits in memory. The body's exact length is known, so the client sends a
 * Content-Length (which Files APIs expect) rather than chunked encoding.
 *
 * <p>The payload is held to its declared size inside the file part. A client would notice a wrong
 * size only after sending the closing boundary, and a server that stops reading there stores a file
 * the client believes failed — left behind with nobody knowing its id. Failing inside the file part
 * means the closing boundary is never sent, so no file is created; {@link #sizeMismatch()} then
 * says why. Close the upload after the call: the client closes a stream it read to the end, but not
 * one it abandoned midway.
 */
public final class MultipartUpload implements AutoCloseable {
    private final String boundary = "batchlane-" + UUID.randomUUID().toString().replace("-", "");
    private final Map<String, String> fields = new LinkedHashMap<>();
    private final List<InputStream> opened = new ArrayList<>();
    private volatile String sizeMismatch;

    /** Adds a text field; fields go before the file part, in the order added. */
    public MultipartUpload field(String name, String value) {
        fields.put(name, value);
        return this;
    }

    public String contentType() {
        return "multipart/form-data; boundary=" + boundary;
    }

    /**
     * The body: the fields, then {@code payload} as the part {@code name} with its escaped
     * filename.
     */
    public BodyPublisher body(String name, Payload payload, String fileContentType) {
        StringBuilder head = new StringBuilder();
        fields.forEach(
                (field, value) ->
                        head.append("--")
                                .append(boundary)
                                .append("\r\n")
                                .append("Content-Disposition: form-data; name=\"")
                                .append(field)
                                .append("\"\r\n\r\n")
                                .append(value)
                                .append("\r\n"));
        head.append("--")
                .append(boundary)
                .append("\r\n")
                .append("Content-Disposition: form-data; name=\"")
                .append(name)
                .append("\"; filename=\"")
                .append(Escape.formFilename(payload.name()))
                .append("\"\r\n")
                .append("Content-Type: ")
                .append(fileContentType)
                .append("\r\n\r\n");
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        BodyPublisher content =
                BodyPublishers.fromPublisher(
                        BodyPublishers.ofInputStream(() -> open(payload)), payload.size());
        return BodyPublishers.concat(
                BodyPublishers.ofByteArray(head.toString().getBytes(StandardCharsets.UTF_8)),
                content,
                BodyPublishers.ofByteArray(tail));
    }

    /** Why the payload was refused mid-stream (it was not its declared size), or null. */
    public String sizeMismatch() {
        return sizeMismatch;
    }

    @Override
    public synchronized void close() {
        for (InputStream in : opened) {
            try {
                in.close();
            } catch (IOException e) {
                // Closing only releases the source; the upload's outcome is already decided.
            }
        }
        opened.clear();
    }

    private synchronized InputStream open(Payload payload) {
        try {
            InputStream in = new ExactLength(payload.open(), payload);
            opened.add(in);
            return in;
        } catch (IOException e) {
            throw new UncheckedIOException("could not open payload " + payload.name(), e);
        }
    }

    /** Holds a payload to its declared size; see the class comment for why inside the part. */
    private final class ExactLength extends FilterInputStream {
        private final Payload payload;
        private long count;

        ExactLength(InputStream in, Payload payload) {
            super(in);
            this.payload = payload;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            account(b < 0 ? -1 : 1);
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            account(n);
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            throw new IOException("the payload is read, never skipped");
        }

        private void account(int n) throws IOException {
            if (n < 0) {
                if (count != payload.size()) {
                    throw mismatch(
                            "payload "
                                    + payload.name()
                                    + " holds "
                                    + count
                                    + " bytes, fewer than its declared "
                                    + payload.size());
                }
                return;
            }
            count += n;
            if (count > payload.size()) {
                throw mismatch(
                        "payload "
                                + payload.name()
                                + " holds more than its declared "
                                + payload.size()
                                + " bytes");
            }
        }

        private IOException mismatch(String message) {
            sizeMismatch = message;
            return new IOException(message);
        }
    }
}
