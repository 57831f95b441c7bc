package dev.batchlane.aws.dynamo;

import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.RunMode;
import java.util.Locale;

/**
 * Reads shard items written before a shard recorded the {@link BatchState} and {@link RunMode} its
 * adapter decided, when only the provider's word was stored. A deployed table keeps such items for
 * as long as their jobs run (and 90 days after, until the TTL takes them), so they must still read
 * and complete as they would have: this is the rule the lane used to apply to the words, kept here,
 * at the one place that reads old items, and nowhere in the lane's decisions.
 */
final class LegacyShardItem {
    /** Bedrock's word for a shard it ran on demand, the only one an old item can hold. */
    static final String ON_DEMAND_WORD = "OnDemand";

    private LegacyShardItem() {}

    /**
     * The state an old item's word stood for. Only an ended shard's state is ever decided on
     * (complete tells expired and cancelled batches from the rest), so the words the lane used to
     * read there are read again: {@code expired} in any case, {@code cancel…} and Bedrock's {@code
     * Stopped}; a batch-level error is a failed batch. So is a shard whose batch ended and which is
     * half-way through a re-drive ({@code endedAt} set while SUBMITTED). A shard still at the
     * provider is RUNNING until its next poll records the real state; a staged one has no batch.
     */
    static BatchState batchState(
            ShardStatus status, String word, String batchError, boolean batchEnded) {
        if (batchEnded) {
            return ended(word, batchError);
        }
        return switch (status) {
            case STAGED -> null;
            case SUBMITTING, SUBMITTED -> BatchState.RUNNING;
            case ENDED, COMPLETED -> ended(word, batchError);
        };
    }

    private static BatchState ended(String word, String batchError) {
        String w = word == null ? "" : word;
        if (w.equalsIgnoreCase("expired")) {
            return BatchState.EXPIRED;
        }
        if (w.toLowerCase(Locale.ROOT).startsWith("cancel") || w.equals("Stopped")) {
            return BatchState.CANCELLED;
        }
        return batchError != null ? BatchState.FAILED : BatchState.COMPLETED;
    }

    static RunMode runMode(String word) {
        return ON_DEMAND_WORD.equals(word) ? RunMode.ON_DEMAND : RunMode.BATCH;
    }
}
