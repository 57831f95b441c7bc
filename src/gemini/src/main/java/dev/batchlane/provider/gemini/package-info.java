/**
 * The Google Gemini API batch-mode adapter: the line rules of {@code {"key", "request"}} (one model
 * per file, from the object's metadata), the Files API's resumable upload streamed in chunks, batch
 * creation with {@code models/{model}:batchGenerateContent} reconciled by display name, status from
 * the batch's long-running operation, the result file joined by key, and deletion of the batch and
 * both files.
 */
package dev.batchlane.provider.gemini;
