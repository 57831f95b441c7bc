package dev.batchlane.simulator.openai;

import java.util.List;
import java.util.Map;

/**
 * A point-in-time view of one batch, for tests to inspect without going through HTTP (which would
 * advance the batch). {@code metadata} is null when the batch was created without it.
 */
public record BatchSnapshot(
        String id,
        BatchStatus status,
        String endpoint,
        String model,
        String inputFileId,
        String outputFileId,
        String errorFileId,
        int total,
        int completed,
        int failed,
        List<String> errorCodes,
        Map<String, String> metadata) {}
