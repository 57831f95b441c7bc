package dev.batchlane.simulator.gemini;

import java.nio.file.Path;

/** A resumable upload session: what it declared, what it has received, the file it made. */
final class Upload {
    final String id;
    final long declared;
    final String displayName;
    final String mimeType;
    final Path path;
    long received;
    StoredFile finished;

    Upload(String id, long declared, String displayName, String mimeType, Path path) {
        this.id = id;
        this.declared = declared;
        this.displayName = displayName;
        this.mimeType = mimeType;
        this.path = path;
    }
}
