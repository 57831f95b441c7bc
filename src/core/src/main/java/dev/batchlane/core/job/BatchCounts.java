package dev.batchlane.core.job;

/** The provider's own progress counters for a batch, as last seen by poll. */
public record BatchCounts(long total, long completed, long failed) {
    public static final BatchCounts NONE = new BatchCounts(0, 0, 0);
}
