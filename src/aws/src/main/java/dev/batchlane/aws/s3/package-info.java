/**
 * The ObjectStore port on one S3 bucket: reads that resume after a broken connection, writes as
 * multipart uploads, nothing staged whole on local disk.
 */
package dev.batchlane.aws.s3;
