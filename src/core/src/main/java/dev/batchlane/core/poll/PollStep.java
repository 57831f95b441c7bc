package dev.batchlane.core.poll;

/** What handling one due shard came to; a cycle's {@link PollService.Summary} counts them. */
enum PollStep {
    SUBMITTED,
    PROGRESSED,
    ENDED,
    CONFLICT,
    ERROR,
    DEFERRED,
    REDRIVEN,
    OTHER
}
