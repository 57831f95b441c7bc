/**
 * The poll function's handler: each scheduled event runs one poll cycle of the core, bounded by the
 * invocation's deadline.
 */
package dev.batchlane.functions.poll;
