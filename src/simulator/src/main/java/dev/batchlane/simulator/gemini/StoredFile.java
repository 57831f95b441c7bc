package dev.batchlane.simulator.gemini;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A file of the Files API: an upload that finished, or a batch's responses file ({@code
 * generated}).
 */
final class StoredFile {
    final String id;
    final String displayName;
    final String mimeType;
    final Path path;
    final boolean generated;
    final Instant createdAt;
    long size;
    boolean deleted;

    StoredFile(
            String id,
            String displayName,
            String mimeType,
            Path path,
            boolean generated,
            Instant createdAt) {
        this.id = id;
        this.displayName = displayName;
        this.mimeType = mimeType;
        this.path = path;
        this.generated = generated;
        this.createdAt = createdAt;
    }
}
