/** The JobEvents port on EventBridge: the Batchlane Job Completed event. */
package dev.batchlane.aws.events;
