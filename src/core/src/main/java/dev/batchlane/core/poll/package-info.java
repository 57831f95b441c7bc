/**
 * One poll cycle: the due shards from the sparse index, provider status, backoff, held-back
 * submissions, and shards that stopped moving flagged for a human, all within the invocation's
 * deadline.
 */
package dev.batchlane.core.poll;
