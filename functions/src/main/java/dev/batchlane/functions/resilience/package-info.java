/**
 * Retries of provider calls inside one invocation (SmallRye Fault Tolerance, honouring
 * Retry-After). Retries across invocations are the core's business: a shard waits for the next
 * poll.
 */
package dev.batchlane.functions.resilience;
