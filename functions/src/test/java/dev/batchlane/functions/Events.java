package dev.batchlane.functions;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/** The real Lambda event JSON kept under src/test/resources/events/, filled in for one test. */
final class Events {
    private Events() {}

    static String read(String name) {
        try (InputStream in = Events.class.getResourceAsStream("/events/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no test event " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An S3 ObjectCreated event as S3 sends it: the key URL-encoded, the ETag unquoted. */
    static String objectCreated(String bucket, String key, HeadObjectResponse head) {
        String encoded =
                java.net.URLEncoder.encode(key, StandardCharsets.UTF_8).replace("%2F", "/");
        return read("s3-object-created.json")
                .replace("${bucket}", bucket)
                .replace("${key}", encoded)
                .replace("${size}", Long.toString(head.contentLength()))
                .replace("${etag}", head.eTag().replace("\"", ""));
    }
}
