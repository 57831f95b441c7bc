package dev.batchlane.core.testkit;

import dev.batchlane.core.job.JobStore;

/** The contract on the in-memory store; src/aws runs the same cases on DynamoDB Local. */
class InMemoryJobStoreContractTest extends JobStoreContract {
    private final InMemoryJobStore store = new InMemoryJobStore();

    @Override
    protected JobStore store() {
        return store;
    }
}
