/**
 * A local stand-in for Anthropic's Message Batches API, following the official OpenAPI document:
 * batches created inline from a streamed request array, {@code in_progress} then {@code ended} over
 * time, results as JSONL in shuffled order with succeeded, errored, canceled and expired lines on
 * demand, and faults on any call.
 */
package dev.batchlane.simulator.anthropic;
