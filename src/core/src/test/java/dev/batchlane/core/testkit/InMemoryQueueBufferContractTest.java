package dev.batchlane.core.testkit;

import dev.batchlane.core.queue.QueueBuffer;

/** The contract on the in-memory buffer; src/aws runs the same cases on DynamoDB Local. */
class InMemoryQueueBufferContractTest extends QueueBufferContract {
    private final InMemoryQueueBuffer buffer = new InMemoryQueueBuffer();

    @Override
    protected QueueBuffer buffer() {
        return buffer;
    }
}
