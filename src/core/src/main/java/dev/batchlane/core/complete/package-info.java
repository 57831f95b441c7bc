/**
 * Completing a shard whose batch ended: results joined to the staged requests by id, never by
 * position; failures sorted into child shards and failed.jsonl by the provider's codes; the
 * manifest and the completion event when the last shard is done; provider files deleted only after
 * the results are durable.
 */
package dev.batchlane.core.complete;
