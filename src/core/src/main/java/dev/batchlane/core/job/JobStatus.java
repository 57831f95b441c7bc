package dev.batchlane.core.job;

public enum JobStatus {
    /** Accepted; shards are being staged and submitted. */
    INGESTING,
    /** Every shard is staged and submitted; waiting for batches to end. */
    RUNNING,
    /** Manifest written, provider files deleted. */
    COMPLETED,
    /** The input broke a rule; nothing was submitted. */
    REJECTED
}
