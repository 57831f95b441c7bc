package dev.batchlane.core.queue;

import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** One request's answer by queue and id, or where the request is while it has none. */
public final class QueueLookup {
    private final QueueBuffer buffer;
    private final ObjectStore objects;

    public QueueLookup(QueueBuffer buffer, ObjectStore objects) {
        this.buffer = buffer;
        this.objects = objects;
    }

    /**
     * @param answer the answer's JSON (the joined line), or null while there is none
     * @param state {@code answered}, {@code waiting} (enqueued, not answered yet) or {@code
     *     unknown}
     */
    public record Found(String state, String answer, String answerKey) {}

    public Found find(QueueName queue, String requestId) {
        String key = QueueKeys.answer(queue, requestId);
        if (objects.head(key).isPresent()) {
            try (InputStream in = objects.open(key)) {
                return new Found(
                        "answered", new String(in.readAllBytes(), StandardCharsets.UTF_8), key);
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + key + " failed", e);
            }
        }
        Optional<QueueBuffer.RequestRecord> r = buffer.request(queue, requestId);
        return new Found(r.isPresent() ? "waiting" : "unknown", null, key);
    }
}
