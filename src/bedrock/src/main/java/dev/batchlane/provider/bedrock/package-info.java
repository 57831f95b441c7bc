/**
 * The Amazon Bedrock batch inference adapter: the rules of {@code {"recordId", "modelInput"}}
 * records (native InvokeModel or Converse bodies, one model per file from object metadata), model
 * invocation jobs on the lane's own bucket through the AWS SDK, and shards below a model's minimum
 * records per job run on demand through bedrock-runtime in the same output format.
 */
package dev.batchlane.provider.bedrock;
