/** The bucket as the core sees it: objects streamed in and out, never read whole into memory. */
package dev.batchlane.core.storage;
