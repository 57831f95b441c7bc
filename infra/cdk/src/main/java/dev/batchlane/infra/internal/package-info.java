/**
 * How {@link dev.batchlane.infra.BatchlaneLane} is built, kept apart by how each part may change:
 * {@code LaneState} holds what must survive a redeploy (key, bucket, table, secrets, event bus,
 * dead-letter queue), {@code LaneFunctions} what can be replaced at will (roles, functions,
 * triggers), {@code LanePermissions} every IAM statement a function gets, and {@code
 * LaneMonitoring} the alarms and dashboard. Nothing here is API: use the construct.
 */
package dev.batchlane.infra.internal;
