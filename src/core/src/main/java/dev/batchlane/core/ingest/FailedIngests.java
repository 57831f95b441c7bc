package dev.batchlane.core.ingest;

import dev.batchlane.core.job.IngestFailure;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.lane.LaneMetrics;
import java.lang.System.Logger.Level;
import java.time.Clock;

/**
 * The record of an ingest that failed, kept beside the job with the object it was reading: the
 * status shows it, and a resume needs no S3 event to try again. Writing and clearing it are best
 * effort: the ingest's own error, or its success, is what the caller must see.
 */
final class FailedIngests {
    private static final System.Logger LOG = System.getLogger(FailedIngests.class.getName());

    /** A reason longer than this is cut: it is for people reading the status, not a stack dump. */
    static final int MAX_REASON_CHARS = 500;

    private final JobStore store;
    private final Clock clock;
    private final LaneMetrics metrics;

    FailedIngests(JobStore store, Clock clock, LaneMetrics metrics) {
        this.store = store;
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * Records that {@code e} ended an attempt. A failure to record is added to {@code e} as
     * suppressed: the original error is what the caller (and Lambda's retry, then its failure
     * destination) sees.
     */
    void record(String jobId, IngestService.ObjectRef ref, RuntimeException e) {
        try {
            store.recordIngestFailure(
                    new IngestFailure(
                            jobId,
                            ref.bucket(),
                            ref.key(),
                            ref.identity(),
                            ref.size(),
                            0,
                            reason(e),
                            clock.instant()));
            metrics.ingestFailed();
        } catch (RuntimeException again) {
            e.addSuppressed(again);
        }
    }

    /** After a successful attempt, the record of earlier failed ones goes. */
    void clearAfterSuccess(String jobId) {
        try {
            if (store.ingestFailure(jobId).isPresent()) {
                store.clearIngestFailure(jobId);
                LOG.log(
                        Level.INFO,
                        "job {0}: ingest succeeded after earlier failed attempts",
                        jobId);
            }
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "job {0}: could not clear the record of an earlier failed attempt ({1})",
                    jobId,
                    e.getClass().getSimpleName());
        }
    }

    /**
     * The object a job without a record was reading when its ingest failed.
     *
     * @throws IllegalArgumentException when no failure is recorded for the job either
     */
    IngestService.ObjectRef objectToResume(String jobId) {
        IngestFailure failed =
                store.ingestFailure(jobId)
                        .orElseThrow(
                                () ->
                                        new IllegalArgumentException(
                                                "job "
                                                        + jobId
                                                        + ": nothing to resume; there is no job record and no failed ingest recorded for it"));
        LOG.log(
                Level.INFO,
                "job {0}: resuming the ingest of {1} after {2} failed attempt(s)",
                jobId,
                failed.key(),
                failed.attempts());
        return new IngestService.ObjectRef(
                failed.bucket(), failed.key(), failed.identity(), failed.identity(), failed.size());
    }

    /** The error's type and message, cut to {@link #MAX_REASON_CHARS} characters. */
    static String reason(RuntimeException e) {
        String why = e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage());
        return why.length() > MAX_REASON_CHARS ? why.substring(0, MAX_REASON_CHARS) + "…" : why;
    }
}
