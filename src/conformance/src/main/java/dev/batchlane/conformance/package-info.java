/**
 * The provider conformance kit: the promises every {@link
 * dev.batchlane.core.provider.BatchProvider} keeps, as one set of tests each adapter module runs
 * against its own simulator (as {@code JobStoreContract} is for job stores). A creation whose
 * answer was lost is adopted or repeated idempotently, never made twice; refusals for the
 * provider's queue make the shard wait; an expired batch keeps what finished; cancels end running
 * batches and do not disturb ended ones; results are joined by id whatever their order, gaps or
 * damage; cleanup leaves nothing; the declared limits are within the service's own, to the byte.
 */
package dev.batchlane.conformance;
