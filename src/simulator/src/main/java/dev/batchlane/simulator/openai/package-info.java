/**
 * A local, in-process stand-in for OpenAI's Files and Batch APIs that follows the official contract
 * (the official OpenAPI document, and docs/providers.md) closely enough for provider adapters to be
 * tested against it: files are uploaded as multipart and kept on disk, batches move through their
 * statuses over (injectable) time, results come back as JSONL output and error files in shuffled
 * order with deterministic usage, and tests can inject the failures a real provider produces —
 * failed lines, expiry with partial results, validation failures, 429/5xx and malformed responses —
 * through a small Java API on {@link dev.batchlane.simulator.openai.OpenAiSimulator} rather than
 * over HTTP.
 */
package dev.batchlane.simulator.openai;
