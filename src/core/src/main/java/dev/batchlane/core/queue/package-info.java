/**
 * The always-on lane: requests enqueued one at a time (an SQS message, or a line of a small file
 * under {@code queue/<provider>/<queue>/}), checked as they arrive, kept in a durable buffer,
 * coalesced per queue, model and endpoint into a file that runs as an ordinary job when its group
 * is full or its oldest request has waited its maximum, and answered one request at a time once
 * that job ends. Ports: {@link dev.batchlane.core.queue.QueueBuffer} (the buffer and the flush
 * records) and {@link dev.batchlane.core.queue.AnswerSink} (where answers go).
 */
package dev.batchlane.core.queue;
