package dev.batchlane.core.queue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The requests of a queue that one provider batch can hold together: the same model and endpoint,
 * and the same per-request settings (the metadata a file would carry, such as Bedrock's model id).
 * A flush takes requests of one group only, so the file it writes passes the provider's per-file
 * rules.
 */
public record QueueGroup(
        QueueName queue, String model, String endpoint, Map<String, String> metadata) {
    public QueueGroup {
        metadata = Map.copyOf(metadata == null ? Map.of() : metadata);
    }

    /** A stable key for the group: the queue, then a digest of the rest. */
    public String id() {
        StringBuilder b = new StringBuilder();
        b.append(model).append('\n').append(endpoint);
        new TreeMap<>(metadata).forEach((k, v) -> b.append('\n').append(k).append('=').append(v));
        try {
            byte[] d =
                    MessageDigest.getInstance("SHA-256")
                            .digest(b.toString().getBytes(StandardCharsets.UTF_8));
            return queue.id() + "/" + HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }
}
