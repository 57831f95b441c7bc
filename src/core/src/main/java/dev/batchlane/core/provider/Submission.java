package dev.batchlane.core.provider;

/** The provider's handles for a submitted shard. */
public record Submission(String batchId, String inputFileId, String providerStatus) {
}
