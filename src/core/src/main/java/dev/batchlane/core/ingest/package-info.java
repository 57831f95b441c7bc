/**
 * Turning a dropped file into a job: one streaming pass that validates every line against the
 * generic rules and the provider's contract, counts tokens, prices the file against its budget and
 * cuts it into shards within the provider's limits; a rejected file reaches no provider and gets a
 * report naming each line and rule.
 */
package dev.batchlane.core.ingest;
