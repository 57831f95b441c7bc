/**
 * The AnswerSink port on SQS and EventBridge: each queued request's answer to the reply queue it
 * named, or as a Batchlane Request Answered event.
 */
package dev.batchlane.aws.queue;
