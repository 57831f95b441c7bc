package dev.batchlane.simulator.openai;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The mutable state of one batch. Every access after creation holds the record's monitor, because a
 * retrieve advancing the batch may race with a cancel or a list rendering it.
 */
final class BatchRecord {
    final String id;
    final String endpoint;
    final String inputFileId;
    final String completionWindow;
    final Map<String, String> metadata;
    final long createdAt;
    final long expiresAt;
    final Long outputExpiresAfterSeconds;
    final long sequence;

    /** Set when a test asked this batch to expire: the share of lines done before it does. */
    final Double plannedExpiry;

    final FaultPlan.ValidationFailure forcedValidationFailure;
    final Dialect dialect;

    /** A private copy of the input file, deleted once the lines have run. */
    Path inputSnapshot;

    BatchStatus status = BatchStatus.VALIDATING;
    Instant lastTransition;
    String model;
    List<BatchError> errors = List.of();
    String outputFileId;
    String errorFileId;
    Long inProgressAt;
    Long finalizingAt;
    Long completedAt;
    Long failedAt;
    Long expiredAt;
    Long cancellingAt;
    Long cancelledAt;
    int total;
    int completed;
    int failed;

    /** Null until lines have run; OpenAI only reports usage once results exist. */
    KnownUsage usage;

    InputFile input;

    /** Results written when the batch entered finalizing, published when it completes. */
    BatchResults pending;

    BatchStatus cancelledFrom;

    /** Prompt tokens this batch holds in the enqueued-token queue while it is not yet done. */
    long tokens;

    synchronized long enqueuedTokens() {
        return switch (status) {
            case VALIDATING, IN_PROGRESS, FINALIZING, CANCELLING -> tokens;
            default -> 0;
        };
    }

    BatchRecord(
            String id,
            String endpoint,
            String inputFileId,
            String completionWindow,
            Map<String, String> metadata,
            Instant createdAt,
            Long outputExpiresAfterSeconds,
            long sequence,
            Double plannedExpiry,
            FaultPlan.ValidationFailure forcedValidationFailure,
            Path inputSnapshot) {
        this(
                id,
                endpoint,
                inputFileId,
                completionWindow,
                metadata,
                createdAt,
                outputExpiresAfterSeconds,
                sequence,
                plannedExpiry,
                forcedValidationFailure,
                inputSnapshot,
                Dialect.OPENAI,
                null);
    }

    BatchRecord(
            String id,
            String endpoint,
            String inputFileId,
            String completionWindow,
            Map<String, String> metadata,
            Instant createdAt,
            Long outputExpiresAfterSeconds,
            long sequence,
            Double plannedExpiry,
            FaultPlan.ValidationFailure forcedValidationFailure,
            Path inputSnapshot,
            Dialect dialect,
            String model) {
        this.dialect = dialect;
        this.model = model;
        this.id = id;
        this.endpoint = endpoint;
        this.inputFileId = inputFileId;
        this.completionWindow = completionWindow;
        this.metadata = metadata;
        this.createdAt = createdAt.getEpochSecond();
        this.expiresAt = this.createdAt + Dialect.window(completionWindow).toSeconds();
        this.outputExpiresAfterSeconds = outputExpiresAfterSeconds;
        this.sequence = sequence;
        this.plannedExpiry = plannedExpiry;
        this.forcedValidationFailure = forcedValidationFailure;
        this.inputSnapshot = inputSnapshot;
        this.lastTransition = createdAt;
    }

    synchronized BatchSnapshot snapshot() {
        return new BatchSnapshot(
                id,
                status,
                endpoint,
                model,
                inputFileId,
                outputFileId,
                errorFileId,
                total,
                completed,
                failed,
                errors.stream().map(BatchError::code).toList(),
                metadata);
    }
}
