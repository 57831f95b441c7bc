package dev.batchlane.aws;

import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.aws.dynamo.TableSetup;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.testkit.JobStoreContract;
import dev.batchlane.emulators.DynamoDbLocalServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The core's job-store contract on DynamoDB Local: the same cases the in-memory store passes in the
 * core's fast tests, so the fake cannot promise a condition the table does not keep.
 */
class DynamoJobStoreContractTest extends JobStoreContract {
    private static DynamoDbLocalServer server;
    private static DynamoDbClient dynamo;
    private static DynamoJobStore store;

    @BeforeAll
    static void start() {
        server = DynamoDbLocalServer.start();
        dynamo = LocalAws.dynamo(server.endpoint());
        TableSetup.create(dynamo, "contract");
        store = new DynamoJobStore(dynamo, "contract");
    }

    @AfterAll
    static void stop() {
        dynamo.close();
        server.close();
    }

    @Override
    protected JobStore store() {
        return store;
    }
}
