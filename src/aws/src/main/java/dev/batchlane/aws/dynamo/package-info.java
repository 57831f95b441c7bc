/**
 * The JobStore port on one DynamoDB table, one class per kind of item behind {@code
 * DynamoJobStore}: every state change a conditional write (checked against DynamoDB Local in the
 * tests), the sparse due index poll reads, and a stream pump for where no Lambda reads the stream.
 */
package dev.batchlane.aws.dynamo;
