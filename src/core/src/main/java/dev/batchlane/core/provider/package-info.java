/**
 * The provider port: what the core asks of a batch API (upload, create, retrieve, cancel, stream
 * results, clean up) and the internal shapes every adapter maps onto (states, outcomes, result
 * lines, errors).
 */
package dev.batchlane.core.provider;
