/**
 * Starts the local stand-ins for AWS on loopback — DynamoDB Local inside this JVM, S3Mock and
 * ElasticMQ (SQS) as child processes — so tests and the local stack run the real lane without an
 * AWS account or Docker.
 */
package dev.batchlane.emulators;
