/**
 * The AWS deployment of Batchlane in the CDK: {@link dev.batchlane.infra.BatchlaneLane} is the
 * reusable construct (bucket, table, keys, the four functions with their own roles, the triggers,
 * alarms and dashboard), {@link dev.batchlane.infra.BatchlaneProps} is every setting it reads, read
 * once from CDK context or the environment, and {@link dev.batchlane.infra.BatchlaneApp} is the
 * application {@code cdk synth} and {@code cdk deploy} run. The names the functions must agree on
 * (environment variables, bucket prefixes, metrics, the completion event) are in {@link
 * dev.batchlane.infra.BatchlaneContract}.
 */
package dev.batchlane.infra;
