/**
 * Cancelling a job on its owner's request: shards not yet at the provider end unsent, shards at the
 * provider are asked to stop and end through the usual path with what finished.
 */
package dev.batchlane.core.cancel;
