package dev.batchlane.provider.gemini;

import dev.batchlane.core.provider.Payload;
import dev.batchlane.http.Escape;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Google's resource names as the lane stores and sends them. A stored name becomes a path only
 * here, so a handle from a shard can never address another resource.
 */
final class GeminiNames {
    static final Pattern BATCH_NAME = Pattern.compile("^batches/[^/?#]+$");
    static final Pattern FILE_NAME = Pattern.compile("^files/[^/?#]+$");

    /** Page size of every list call; the lane deletes what it made, so lists stay short. */
    static final int LIST_PAGE_SIZE = 100;

    private GeminiNames() {}

    /** A stored batch name as a path, refusing anything that would address another resource. */
    static String batchPath(String name) {
        if (name == null || !BATCH_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "'" + name + "' is not a Gemini batch name (batches/{id})");
        }
        return "batches/" + Escape.segment(name.substring("batches/".length()));
    }

    static String filePath(String name) {
        if (name == null || !FILE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "'" + name + "' is not a Gemini file name (files/{id})");
        }
        return "files/" + Escape.segment(name.substring("files/".length()));
    }

    /** {@code batchlane-<job>-<shard>}: unique per shard, the same on every attempt for it. */
    static String displayName(Map<String, String> metadata, Payload payload) {
        String job = metadata == null ? null : metadata.get("batchlane_job_id");
        String shard = metadata == null ? null : metadata.get("batchlane_shard");
        if (job == null || shard == null) {
            return "batchlane-" + payload.name().replaceAll("\\.jsonl$", "");
        }
        return "batchlane-" + job + "-" + shard;
    }

    static String modelOf(String endpoint) {
        String suffix = ":batchGenerateContent";
        if (!endpoint.startsWith("models/")
                || !endpoint.endsWith(suffix)
                || endpoint.length() <= 7 + suffix.length()) {
            throw new IllegalArgumentException(
                    "endpoint '"
                            + endpoint
                            + "' is not models/{model}:batchGenerateContent; the Gemini contract gives that form");
        }
        return endpoint.substring(0, endpoint.length() - suffix.length());
    }
}
