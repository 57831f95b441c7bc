package dev.batchlane.core.job;

import java.time.Duration;
import java.time.Instant;

/**
 * How far the ingest of a file got, and how long its steps took. It lives beside the job rather
 * than on it because the job record is written only when the pass has ended (so that a job's
 * existence means its shards are all staged); while the pass runs this is all there is to show.
 *
 * @param bytesRead bytes of the input read so far
 * @param totalBytes the input's size as the event announced it
 * @param shardsStaged shards written to staging/ so far
 * @param startedAt when the pass began
 * @param passEndedAt when validation and staging ended (null while running)
 * @param submittedAt when ingest finished handing shards to the provider or to poll (null before)
 * @param submittedByIngest shards ingest submitted itself
 * @param handedToPoll shards left due for poll because the invocation's time ran short
 * @param updatedAt the time of this report; a report never replaces a later one
 */
public record IngestProgress(
        long bytesRead,
        long totalBytes,
        int shardsStaged,
        Instant startedAt,
        Instant passEndedAt,
        Instant submittedAt,
        int submittedByIngest,
        int handedToPoll,
        Instant updatedAt) {

    public static IngestProgress started(long totalBytes, Instant now) {
        return new IngestProgress(0, totalBytes, 0, now, null, null, 0, 0, now);
    }

    public IngestProgress read(long bytes, int shards, Instant now) {
        return new IngestProgress(
                bytes,
                totalBytes,
                shards,
                startedAt,
                passEndedAt,
                submittedAt,
                submittedByIngest,
                handedToPoll,
                now);
    }

    public IngestProgress passEnded(long bytes, int shards, Instant now) {
        return new IngestProgress(
                bytes,
                totalBytes,
                shards,
                startedAt,
                now,
                submittedAt,
                submittedByIngest,
                handedToPoll,
                now);
    }

    public IngestProgress submitted(int byIngest, int toPoll, Instant now) {
        return new IngestProgress(
                bytesRead,
                totalBytes,
                shardsStaged,
                startedAt,
                passEndedAt,
                now,
                byIngest,
                toPoll,
                now);
    }

    /** Validation and staging, one pass; null while it runs. */
    public Duration passDuration() {
        return passEndedAt == null ? null : Duration.between(startedAt, passEndedAt);
    }
}
