package dev.batchlane.functions;

import dev.batchlane.aws.LocalAws;
import dev.batchlane.aws.dynamo.StreamPump;
import dev.batchlane.aws.dynamo.TableSetup;
import dev.batchlane.emulators.DynamoDbLocalServer;
import dev.batchlane.emulators.S3MockServer;
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

/**
 * Starts the real emulators (DynamoDB Local, S3Mock) and the OpenAI simulator before Quarkus, and
 * points the functions at them. Tests get the running pieces through {@link Inject}.
 */
public class LocalLane implements QuarkusTestResourceLifecycleManager {
    public static final String BUCKET = "batchlane-test";
    public static final String TABLE = "batchlane-jobs";

    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface Inject {}

    /** What a test can reach: the clients a user or AWS would use, and the simulator's control API. */
    public record Parts(S3Client s3, DynamoDbClient dynamo, StreamPump stream, OpenAiSimulator openai,
            AnthropicSimulator anthropic) {}

    private DynamoDbLocalServer dynamoServer;
    private S3MockServer s3Server;
    private OpenAiSimulator simulator;
    private AnthropicSimulator anthropic;
    private Parts parts;

    @Override
    public Map<String, String> start() {
        // The functions use the SDK's default credentials chain, as on Lambda; the emulators accept any.
        System.setProperty("aws.accessKeyId", "local");
        System.setProperty("aws.secretAccessKey", "local");
        dynamoServer = DynamoDbLocalServer.start();
        s3Server = S3MockServer.start(BUCKET);
        simulator = OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(7).start();
        anthropic = AnthropicSimulator.builder().stepDuration(Duration.ZERO).seed(7).start();
        S3Client s3 = LocalAws.s3(s3Server.endpoint());
        DynamoDbClient dynamo = LocalAws.dynamo(dynamoServer.endpoint());
        TableSetup.create(dynamo, TABLE);
        DynamoDbStreamsClient streams = LocalAws.streams(dynamoServer.endpoint());
        parts = new Parts(s3, dynamo, new StreamPump(dynamo, streams, TABLE, "us-east-1"), simulator, anthropic);
        return Map.of(
                "batchlane.bucket", BUCKET,
                "batchlane.table", TABLE,
                "quarkus.s3.endpoint-override", s3Server.endpoint().toString(),
                "quarkus.s3.path-style-access", "true",
                "quarkus.dynamodb.endpoint-override", dynamoServer.endpoint().toString(),
                "batchlane.openai.base-url", simulator.baseUrl(),
                "batchlane.openai.api-key", "sk-test-not-a-real-key",
                "batchlane.anthropic.base-url", anthropic.baseUrl(),
                "batchlane.anthropic.api-key", "sk-ant-test-not-a-real-key");
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(parts, new TestInjector.AnnotatedAndMatchesType(Inject.class, Parts.class));
    }

    @Override
    public void stop() {
        if (simulator != null) {
            simulator.close();
        }
        if (anthropic != null) {
            anthropic.close();
        }
        if (s3Server != null) {
            s3Server.close();
        }
        if (dynamoServer != null) {
            dynamoServer.close();
        }
    }
}
