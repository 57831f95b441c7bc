/**
 * What the functions share: settings, the key layout of the bucket, the configured providers, shard
 * submission, deadlines, metrics and the completion event port.
 */
package dev.batchlane.core.lane;
