package dev.batchlane.core.testkit;

import dev.batchlane.core.storage.ObjectStore;
import java.util.Map;

/** The contract on the in-memory bucket; src/aws runs the same cases on S3Mock. */
class InMemoryObjectStoreContractTest extends ObjectStoreContract {
    private final InMemoryObjectStore store = new InMemoryObjectStore();

    @Override
    protected ObjectStore store() {
        return store;
    }

    @Override
    protected String putWithMetadata(String key, byte[] content, Map<String, String> metadata) {
        return store.putBytes(key, content, metadata);
    }
}
