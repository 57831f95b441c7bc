package dev.batchlane.core.complete;

import dev.batchlane.core.job.Shard;
import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Failed lines of a shard copied out of its staged input: the final ones to its failed part, the
 * passing ones to the staged input of a child shard, which is submitted like any other.
 */
final class Resubmission {
    private final ObjectStore objects;

    Resubmission(ObjectStore objects) {
        this.objects = objects;
    }

    /**
     * Streams the staged lines of each non-empty id set to its key, in one pass over the staged
     * shard; returns the bytes written per key. Nothing is visible unless every key completes.
     */
    Map<String, Long> copyStaged(Shard shard, String idField, Map<String, Set<String>> idsByKey)
            throws IOException {
        Map<String, ObjectStore.Upload> uploads = new LinkedHashMap<>();
        try {
            List<Joiner.Selection> selections = new ArrayList<>();
            for (var e : idsByKey.entrySet()) {
                if (!e.getValue().isEmpty()) {
                    ObjectStore.Upload up = objects.upload(e.getKey(), "application/jsonl");
                    uploads.put(e.getKey(), up);
                    selections.add(new Joiner.Selection(e.getValue(), up));
                }
            }
            if (selections.isEmpty()) {
                return Map.of();
            }
            try (InputStream staged = objects.open(shard.input().stagingKey())) {
                Joiner.select(staged, idField, selections);
            }
            Map<String, Long> written = new LinkedHashMap<>();
            for (var e : uploads.entrySet()) {
                e.getValue().complete();
                written.put(e.getKey(), e.getValue().bytes());
            }
            return written;
        } finally {
            for (ObjectStore.Upload up : uploads.values()) {
                up.close();
            }
        }
    }

    /**
     * The child shard that resubmits {@code lines} of {@code shard}, staged at {@code childKey};
     * its input tokens are the parent's share for those lines.
     */
    static Shard child(Shard shard, String childKey, int lines, long bytes, Instant now) {
        // Due now: the next poll submits it like any shard held back.
        return Shard.staged(
                        shard.jobId(),
                        shard.childIndex(),
                        shard.provider(),
                        childKey,
                        lines,
                        bytes,
                        shard.depth() + 1,
                        now)
                .withInputTokens(
                        shard.input().requestCount() <= 0
                                ? 0
                                : Math.round(
                                        (double) shard.input().inputTokens()
                                                * lines
                                                / shard.input().requestCount()));
    }
}
