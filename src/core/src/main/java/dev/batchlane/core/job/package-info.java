/**
 * The durable state of the lane: jobs, shards and their statuses, and the JobStore port whose every
 * state change is a conditional write.
 */
package dev.batchlane.core.job;
