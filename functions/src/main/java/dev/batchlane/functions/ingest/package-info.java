/**
 * The ingest function's handler: S3 ObjectCreated events under inbox/ (new files) and cancel/
 * (cancellations), each turned into one call of the core, within the invocation's remaining time.
 */
package dev.batchlane.functions.ingest;
