package dev.batchlane.core.provider;

/** The provider's handles for a submitted shard. */
public record Submission(String batchId, String inputFileId, String providerStatus) {
    /**
     * The provider status of a shard a provider ran synchronously instead of as a batch (too small
     * for one): the manifest marks it {@code onDemand} and bills it at the synchronous price.
     */
    public static final String ON_DEMAND_STATUS = "OnDemand";
}
