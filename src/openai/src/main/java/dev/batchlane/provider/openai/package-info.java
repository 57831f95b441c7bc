/**
 * The OpenAI adapter of Batchlane's {@link dev.batchlane.core.provider.BatchProvider} port: it
 * knows the batch input line contract ({@link dev.batchlane.provider.openai.OpenAiContract}),
 * uploads a staged shard to the Files API as a stream and creates a batch from it, maps OpenAI's
 * batch statuses and result lines onto the core's states and outcomes, and deletes what a batch
 * left behind ({@link dev.batchlane.provider.openai.OpenAiProvider}). It speaks plain HTTP through
 * the JDK client so the same code serves OpenAI, OpenAI-compatible services and the local
 * simulator, and it never logs request or response text or the API key — only ids.
 */
package dev.batchlane.provider.openai;
