/**
 * Starts the local stand-ins for AWS on loopback — DynamoDB Local inside this JVM and S3Mock as a
 * child process — so tests and the local stack run the real lane without an AWS account or Docker.
 */
package dev.batchlane.emulators;
