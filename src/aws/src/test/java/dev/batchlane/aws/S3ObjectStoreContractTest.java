package dev.batchlane.aws;

import dev.batchlane.aws.s3.S3ObjectStore;
import dev.batchlane.core.storage.ObjectStore;
import dev.batchlane.core.testkit.ObjectStoreContract;
import dev.batchlane.emulators.S3MockServer;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;

/** The core's object-store contract on S3Mock, with versioning on as the deployed bucket has it. */
class S3ObjectStoreContractTest extends ObjectStoreContract {
    private static final String BUCKET = "contract";
    private static S3MockServer server;
    private static S3Client s3;
    private static S3ObjectStore store;

    @BeforeAll
    static void start() {
        server = S3MockServer.start(BUCKET);
        s3 = LocalAws.s3(server.endpoint());
        s3.putBucketVersioning(
                b ->
                        b.bucket(BUCKET)
                                .versioningConfiguration(
                                        v -> v.status(BucketVersioningStatus.ENABLED)));
        store = new S3ObjectStore(s3, BUCKET);
    }

    @AfterAll
    static void stop() {
        s3.close();
        server.close();
    }

    @Override
    protected ObjectStore store() {
        return store;
    }

    @Override
    protected String putWithMetadata(String key, byte[] content, Map<String, String> metadata) {
        return s3.putObject(
                        b -> b.bucket(BUCKET).key(key).metadata(metadata),
                        RequestBody.fromBytes(content))
                .versionId();
    }
}
