package dev.batchlane.core.provider;

/**
 * How a shard's requests were run, decided by the adapter when it takes the shard: as one of the
 * provider's batches (at the batch price, the lane's normal case) or request by request on demand,
 * because the provider would not take so small a batch (Bedrock's minimum records per job). The
 * manifest and the joined lines bill on-demand work at the synchronous price and say so.
 */
public enum RunMode {
    BATCH,
    ON_DEMAND
}
