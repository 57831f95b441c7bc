/**
 * One poll cycle: the due shards from the sparse index, provider status, backoff, held-back
 * submissions, and shards that stopped moving flagged for a human, all within the invocation's
 * deadline.
 *
 * <p>{@code PollService} runs the cycle and claims each due shard; {@code BatchFollower} follows a
 * submitted batch, {@code Requeue} handles a batch the provider failed for its queue, {@code
 * ShardTroubles} records failures and the stuck flag, and {@code CompleteHandOver} hands ended and
 * completed shards back to complete.
 */
package dev.batchlane.core.poll;
