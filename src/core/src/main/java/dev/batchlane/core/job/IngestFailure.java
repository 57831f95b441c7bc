package dev.batchlane.core.job;

import java.time.Instant;

/**
 * An ingest attempt that failed, with what resuming it needs: the object it was reading.
 *
 * @param attempts how many attempts failed so far (Lambda tries an S3 event three times)
 * @param error the last attempt's error: its type and message, no request text
 */
public record IngestFailure(
        String jobId,
        String bucket,
        String key,
        String identity,
        long size,
        int attempts,
        String error,
        Instant at) {}
