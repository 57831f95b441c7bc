/**
 * The Anthropic Message Batches adapter: the line rules of {@code {"custom_id", "params"}}, and
 * create (the staged shard streamed as the inline {@code requests} array), retrieve, results,
 * cancel and delete over Anthropic's HTTP API. What Anthropic shares with other providers lives in
 * the core.
 */
package dev.batchlane.provider.anthropic;
