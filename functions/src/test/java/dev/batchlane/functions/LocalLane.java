package dev.batchlane.functions;

import dev.batchlane.aws.dynamo.StreamPump;
import dev.batchlane.simulator.anthropic.AnthropicSimulator;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.Duration;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * Starts the lane's AWS services — the real emulators (DynamoDB Local, S3Mock), or LocalStack with
 * -Plocalstack (see {@link LaneBackend}) — and the provider simulators before Quarkus, and points
 * the functions at them. Tests get the running pieces through {@link Inject}.
 */
public class LocalLane implements QuarkusTestResourceLifecycleManager {
    public static final String BUCKET = "batchlane-test";
    public static final String TABLE = "batchlane-jobs";

    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface Inject {}

    /**
     * What a test can reach: the clients a user or AWS would use, and the simulator's control API.
     */
    public record Parts(
            S3Client s3,
            DynamoDbClient dynamo,
            StreamPump stream,
            OpenAiSimulator openai,
            AnthropicSimulator anthropic,
            LaneBackend aws) {

        /** The ObjectCreated event S3 sends ingest for an object just put into the test bucket. */
        public String objectCreated(String key, HeadObjectResponse head) {
            return aws.objectCreated(BUCKET, key, head);
        }
    }

    private LaneBackend backend;
    private OpenAiSimulator simulator;
    private AnthropicSimulator anthropic;
    private Parts parts;

    @Override
    public Map<String, String> start() {
        // The functions use the SDK's default credentials chain, as on Lambda; the emulators accept
        // any.
        System.setProperty("aws.accessKeyId", "local");
        System.setProperty("aws.secretAccessKey", "local");
        backend = LaneBackend.selected();
        backend.start(BUCKET, TABLE);
        simulator = OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(7).start();
        anthropic = AnthropicSimulator.builder().stepDuration(Duration.ZERO).seed(7).start();
        S3Client s3 = backend.s3();
        DynamoDbClient dynamo = backend.dynamo();
        DynamoDbStreamsClient streams = backend.streams();
        parts =
                new Parts(
                        s3,
                        dynamo,
                        new StreamPump(dynamo, streams, TABLE, "us-east-1"),
                        simulator,
                        anthropic,
                        backend);
        return Map.of(
                "batchlane.bucket",
                BUCKET,
                "batchlane.table",
                TABLE,
                "quarkus.s3.endpoint-override",
                backend.s3Endpoint().toString(),
                "quarkus.s3.path-style-access",
                "true",
                "quarkus.dynamodb.endpoint-override",
                backend.dynamoEndpoint().toString(),
                "batchlane.openai.base-url",
                simulator.baseUrl(),
                "batchlane.openai.api-key",
                "sk-test-not-a-real-key",
                "batchlane.anthropic.base-url",
                anthropic.baseUrl(),
                "batchlane.anthropic.api-key",
                "sk-ant-test-not-a-real-key");
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(
                parts, new TestInjector.AnnotatedAndMatchesType(Inject.class, Parts.class));
    }

    @Override
    public void stop() {
        if (simulator != null) {
            simulator.close();
        }
        if (anthropic != null) {
            anthropic.close();
        }
        if (backend != null) {
            backend.close();
        }
    }
}
