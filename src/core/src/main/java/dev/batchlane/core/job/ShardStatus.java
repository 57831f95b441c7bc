package dev.batchlane.core.job;

/** Lifecycle of one shard (one provider batch). */
public enum ShardStatus {
    /** Written to staging, not yet claimed for submission. */
    STAGED,
    /** Claimed by one submitter; the provider call is under way. */
    SUBMITTING,
    /** The provider accepted the batch; poll follows it. */
    SUBMITTED,
    /** The provider batch reached a terminal status; complete joins its results. */
    ENDED,
    /** Results joined and written; the job's counter includes this shard. */
    COMPLETED
}
