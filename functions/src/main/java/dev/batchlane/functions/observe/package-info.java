/**
 * How the functions are seen once deployed: metrics in CloudWatch's embedded metric format and the
 * completion event; logs carry job and shard ids, never request or response text.
 */
package dev.batchlane.functions.observe;
