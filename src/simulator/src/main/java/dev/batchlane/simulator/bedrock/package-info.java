/**
 * Amazon Bedrock on loopback: the model invocation job control plane and the bedrock-runtime
 * InvokeModel and Converse calls, over the REST-JSON wire protocol the AWS SDK speaks, reading job
 * input from and writing job output to an S3 emulator.
 */
package dev.batchlane.simulator.bedrock;
