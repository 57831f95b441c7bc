/**
 * The HTTP plumbing every provider adapter that speaks HTTP shares, on the JDK client: requests
 * under a base URL with the provider's headers and timeout, JSON answers read under a size cap,
 * result files streamed line by line, multipart uploads streamed from a payload held to its
 * declared size, one error envelope reader, Retry-After in all its forms, one retryable-status rule
 * (the core's, shared with the retry policy), id escaping and the truncation of error text. An
 * adapter built on it says only what its provider's API is: paths, bodies, statuses and limits.
 */
package dev.batchlane.http;
