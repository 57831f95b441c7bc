package dev.batchlane.core.ingest;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A rejected file's error list, streamed to the bucket as violations are found (a file of a million
 * bad lines has a list of a million lines); opened at the first one, so a clean file writes
 * nothing.
 */
final class ErrorList implements AutoCloseable {
    private final ObjectStore objects;
    private final String key;
    private ObjectStore.Upload upload;
    private JsonGenerator out;

    ErrorList(ObjectStore objects, String key) {
        this.objects = objects;
        this.key = key;
    }

    void add(Violation v) {
        try {
            if (out == null) {
                upload = objects.upload(key, "application/jsonl");
                out =
                        new JsonFactory()
                                .createGenerator(upload, JsonEncoding.UTF8)
                                .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                out.setRootValueSeparator(null);
            }
            write(out, v);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + key + " failed", e);
        }
    }

    boolean written() {
        return out != null;
    }

    void complete() throws IOException {
        if (out != null) {
            out.close();
            upload.complete();
        }
    }

    @Override
    public void close() throws IOException {
        if (upload != null) {
            upload.close();
        }
    }

    private static void write(JsonGenerator out, Violation v) {
        try {
            out.writeStartObject();
            out.writeNumberField("line", v.line());
            out.writeStringField("custom_id", v.customId());
            out.writeStringField("code", v.code());
            out.writeStringField("message", v.message());
            out.writeEndObject();
            out.writeRaw('\n');
        } catch (IOException e) {
            throw new UncheckedIOException("writing the error list failed", e);
        }
    }
}
