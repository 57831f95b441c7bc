/**
 * The JobStore port on one DynamoDB table, one class per kind of item behind {@code
 * DynamoJobStore}: every state change a conditional write (checked against DynamoDB Local in the
 * tests), the sparse due index poll reads, and a stream pump for where no Lambda reads the stream.
 * The queue lane's buffer ({@code DynamoQueueBuffer}) keeps its items in the same table, with keys
 * of its own and no index.
 */
package dev.batchlane.aws.dynamo;
