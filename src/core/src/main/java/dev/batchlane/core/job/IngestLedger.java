package dev.batchlane.core.job;

import java.util.Optional;

/**
 * What ingest records beside a job: which job runs an input's bytes, the last failed attempt and
 * what resuming it needs, and how far the pass got. Conditional like the rest of the job store.
 */
public interface IngestLedger {

    /**
     * Claims an input — the same bytes ({@code sha256}) under the same key — for {@code jobId}, so
     * dropping them again while the first job runs makes no second job. Succeeds (empty) when no
     * one holds it, when {@code jobId} already does, or when {@code replacing} does (its job is
     * over). Otherwise returns the job that holds it.
     */
    Optional<String> claimInput(
            String bucket, String key, String sha256, String jobId, String replacing);

    /**
     * Records that an ingest attempt failed, with what it needs to be resumed; counts the attempts.
     */
    void recordIngestFailure(IngestFailure failure);

    Optional<IngestFailure> ingestFailure(String jobId);

    /** Forgets a job's ingest failure once an attempt succeeded. */
    void clearIngestFailure(String jobId);

    /**
     * Records how far a job's ingest got. Conditional on time: a report older than the stored one
     * (a slow, superseded invocation) changes nothing and returns false.
     */
    boolean recordIngestProgress(String jobId, IngestProgress progress);

    Optional<IngestProgress> ingestProgress(String jobId);
}
