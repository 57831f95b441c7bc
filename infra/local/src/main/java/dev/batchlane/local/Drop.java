package dev.batchlane.local;

import dev.batchlane.core.lane.Keys;
import java.nio.file.Path;
import java.util.Map;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** A file dropped into the stack's inbox, and the job it makes. */
record Drop(String key, String name, String jobId) {
    static Drop put(S3Client s3, Path file, String provider, String budget) {
        return put(s3, file, provider, budget, null);
    }

    /**
     * {@code model}: the file's model as {@code x-amz-meta-model}, which a file whose lines name no
     * model needs; null for none.
     */
    static Drop put(S3Client s3, Path file, String provider, String budget, String model) {
        String key = "inbox/" + provider + "/" + file.getFileName();
        Map<String, String> metadata = new java.util.HashMap<>();
        if (budget != null) {
            metadata.put("budget-usd", budget);
        }
        if (model != null) {
            metadata.put("model", model);
        }
        var put =
                s3.putObject(
                        b -> {
                            b.bucket(Stack.BUCKET).key(key).contentType("application/jsonl");
                            if (!metadata.isEmpty()) {
                                b.metadata(metadata);
                            }
                        },
                        RequestBody.fromFile(file));
        String etag = put.eTag().replace("\"", "");
        String name = Keys.parseInbox(key).orElseThrow().name();
        return new Drop(key, name, Keys.jobId(Stack.BUCKET, key, etag));
    }
}
