/**
 * Completing a shard whose batch ended: results joined to the staged requests by id, never by
 * position; failures sorted into child shards and failed.jsonl by the provider's codes; the
 * manifest and the completion event when the last shard is done; provider files deleted only after
 * the results are durable.
 *
 * <p>{@code CompleteService} claims a shard and records its completion; {@code ShardJoin} joins its
 * results, {@code Resubmission} stages passing failures as a child shard, {@code JobFinish} writes
 * the failed list, the manifest and the event, and {@code ProviderCleanup} deletes what is left at
 * the providers.
 */
package dev.batchlane.core.complete;
