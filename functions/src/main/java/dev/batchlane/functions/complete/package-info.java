/**
 * The complete function's handler: a DynamoDB stream batch of shards that reached ENDED, each
 * handed to the core's CompleteService. A failure fails the invocation, so Lambda retries the batch
 * and, once its retries are spent, sends it to the stream's failure destination; completing a shard
 * twice gives the same objects and counts.
 */
package dev.batchlane.functions.complete;
