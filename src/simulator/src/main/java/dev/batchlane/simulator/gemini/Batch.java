package dev.batchlane.simulator.gemini;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/** One batch and how far it has run. */
final class Batch {
    final String id;
    final String model;
    final String displayName;
    final String inputFile;
    final Instant createdAt;
    final ObjectNode inputConfig;
    String state = "BATCH_STATE_PENDING";
    Instant lastStep;
    Instant updatedAt;
    Instant endedAt;
    boolean cancelRequested;
    boolean expire;
    boolean deleted;
    String outputFile;
    ObjectNode error;
    long requestCount;
    long succeeded;
    long failed;

    Batch(
            String id,
            String model,
            String displayName,
            String inputFile,
            ObjectNode inputConfig,
            Instant now) {
        this.id = id;
        this.model = model;
        this.displayName = displayName;
        this.inputFile = inputFile;
        this.inputConfig = inputConfig;
        this.createdAt = now;
        this.lastStep = now;
        this.updatedAt = now;
    }

    boolean done() {
        return switch (state) {
            case "BATCH_STATE_SUCCEEDED",
                    "BATCH_STATE_FAILED",
                    "BATCH_STATE_CANCELLED",
                    "BATCH_STATE_EXPIRED" ->
                    true;
            default -> false;
        };
    }
}
