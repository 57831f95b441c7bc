package dev.batchlane.core.job;

import java.time.Instant;
import java.util.Optional;

/**
 * Which shard of the lane holds each provider batch, across every job. A look-up after a lost
 * create answer that matches batches by what they hold (Anthropic's, which carry no metadata) must
 * never take a batch another job recorded: users reuse request ids across files, so contents alone
 * cannot tell two jobs' batches apart. One record per batch, written before the shard records it,
 * and never moved to another shard.
 */
public interface BatchRegistry {

    /** The shard that holds a batch: its job and index. */
    record BatchOwner(String jobId, int shardIndex) {
        public boolean is(String jobId, int shardIndex) {
            return this.jobId.equals(jobId) && this.shardIndex == shardIndex;
        }
    }

    /**
     * Records that {@code provider}'s batch {@code batchId} belongs to the shard {@code (jobId,
     * shardIndex)}, unless another shard holds it. True when the shard holds it now (recorded now,
     * or already its own); false when another shard recorded it first. Conditional, so two shards
     * can never both hold one batch.
     */
    boolean recordBatch(String provider, String batchId, String jobId, int shardIndex, Instant now);

    /** The shard that recorded {@code provider}'s batch {@code batchId}, if any did. */
    Optional<BatchOwner> batchOwner(String provider, String batchId);
}
