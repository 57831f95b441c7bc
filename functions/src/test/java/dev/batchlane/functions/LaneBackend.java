package dev.batchlane.functions;

import dev.batchlane.aws.LocalAws;
import dev.batchlane.emulators.DynamoDbLocalServer;
import dev.batchlane.emulators.S3MockServer;
import java.net.URI;
import java.util.ServiceLoader;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * Where the lane's S3 and DynamoDB run in the functions' tests: the embedded emulators (DynamoDB
 * Local and S3Mock, the default), or LocalStack in a container with {@code -Plocalstack}, whose
 * backend lives in {@code src/localstack/java} so that the default build needs no Testcontainers.
 * The system property {@code batchlane.lane} names the backend; the profile sets it.
 */
public interface LaneBackend extends AutoCloseable {
    String PROPERTY = "batchlane.lane";

    /** The name {@code batchlane.lane} selects it by. */
    String name();

    /** Null when the backend can run on this machine, else the one-line reason it cannot. */
    String unavailableReason();

    /** Starts the services with the bucket and the table (and its stream) created. */
    void start(String bucket, String table);

    URI s3Endpoint();

    URI dynamoEndpoint();

    default S3Client s3() {
        return LocalAws.s3(s3Endpoint());
    }

    default DynamoDbClient dynamo() {
        return LocalAws.dynamo(dynamoEndpoint());
    }

    default DynamoDbStreamsClient streams() {
        return LocalAws.streams(dynamoEndpoint());
    }

    /**
     * The S3 ObjectCreated event for an object just put: built from the object's HEAD for the
     * emulators (S3Mock sends no notifications), the bucket's real notification on LocalStack.
     * Asking again for the same object and ETag gives the same event, as S3 redelivers it.
     */
    default String objectCreated(String bucket, String key, HeadObjectResponse head) {
        return Events.objectCreated(bucket, key, head);
    }

    @Override
    void close();

    /** The backend {@code batchlane.lane} names, "emulators" when unset. */
    static LaneBackend selected() {
        String name = System.getProperty(PROPERTY, "emulators");
        if (name.equals("emulators")) {
            return new Emulators();
        }
        // This interface's own loader: Quarkus runs tests under a class loader of its own, whose
        // context loader would find an implementation of another copy of this interface.
        for (LaneBackend b :
                ServiceLoader.load(LaneBackend.class, LaneBackend.class.getClassLoader())) {
            if (b.name().equals(name)) {
                return b;
            }
        }
        throw new IllegalStateException(
                PROPERTY
                        + "="
                        + name
                        + " names no lane backend on the test class path"
                        + " (the LocalStack one is built with -Plocalstack)");
    }

    /** Skips a test class whose selected backend cannot run here, with the backend's reason. */
    final class Available implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            String name = System.getProperty(PROPERTY, "emulators");
            if (name.equals("emulators")) {
                return ConditionEvaluationResult.enabled("the embedded emulators run everywhere");
            }
            // Testcontainers finds its Docker strategies with the context class loader; under
            // Quarkus's
            // test class loader that finds another copy of its classes, so its own loader is set
            // here.
            Thread thread = Thread.currentThread();
            ClassLoader before = thread.getContextClassLoader();
            try (LaneBackend backend = selected()) {
                thread.setContextClassLoader(backend.getClass().getClassLoader());
                String reason = backend.unavailableReason();
                return reason == null
                        ? ConditionEvaluationResult.enabled(name + " is available")
                        : ConditionEvaluationResult.disabled(reason);
            } finally {
                thread.setContextClassLoader(before);
            }
        }
    }

    /** DynamoDB Local and S3Mock on loopback. */
    final class Emulators implements LaneBackend {
        private DynamoDbLocalServer dynamo;
        private S3MockServer s3;

        @Override
        public String name() {
            return "emulators";
        }

        @Override
        public String unavailableReason() {
            return null;
        }

        @Override
        public void start(String bucket, String table) {
            dynamo = DynamoDbLocalServer.start();
            s3 = S3MockServer.start(bucket);
            try (DynamoDbClient client = dynamo()) {
                dev.batchlane.aws.dynamo.TableSetup.create(client, table);
            }
        }

        @Override
        public URI s3Endpoint() {
            return s3.endpoint();
        }

        @Override
        public URI dynamoEndpoint() {
            return dynamo.endpoint();
        }

        @Override
        public void close() {
            if (s3 != null) {
                s3.close();
            }
            if (dynamo != null) {
                dynamo.close();
            }
        }
    }
}
