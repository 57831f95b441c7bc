package dev.batchlane.simulator.openai;

import java.nio.file.Path;

/**
 * A file held by the simulator: its OpenAI metadata and where its content lies on disk. {@code
 * sequence} orders files by creation when several share a {@code createdAt} second.
 */
record StoredFile(
        String id,
        long bytes,
        long createdAt,
        Long expiresAt,
        String filename,
        String purpose,
        Path path,
        long sequence) {}
