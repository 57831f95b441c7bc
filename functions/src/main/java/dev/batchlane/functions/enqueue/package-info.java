/**
 * The enqueue function: requests sent one per SQS message, or dropped as small files under {@code
 * queue/<provider>/<queue>/}, checked and kept in the queue buffer until a poll cycle flushes them
 * into an ordinary inbox job.
 */
package dev.batchlane.functions.enqueue;
