package dev.batchlane.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Event;
import software.amazon.awssdk.services.s3.model.FilterRuleName;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.QueueConfiguration;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * LocalStack in a container (Testcontainers): real S3 with bucket notifications, real DynamoDB
 * with its stream. The bucket notifies an SQS queue of every object created under inbox/ and
 * cancel/ — the prefixes the deployed bucket notifies ingest of — and {@link #objectCreated}
 * hands the test the notification S3 itself wrote, not one built from the object's HEAD.
 */
public final class LocalStackBackend implements LaneBackend {
    /** Pinned, so that a run is the same run on every machine. */
    static final DockerImageName IMAGE = DockerImageName.parse("localstack/localstack:4.4");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration NOTIFICATION_WAIT = Duration.ofSeconds(60);

    private LocalStackContainer container;
    private SqsClient sqs;
    private String queueUrl;
    /** Notifications received, by key and ETag: a second ask for the same object is a redelivery. */
    private final Map<String, String> received = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return "localstack";
    }

    @Override
    public String unavailableReason() {
        return dockerAvailable() ? null
                : "no Docker engine here: the LocalStack suite (-Plocalstack) needs one; the default build runs the"
                        + " same suite on the embedded emulators";
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void start(String bucket, String table) {
        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        thread.setContextClassLoader(LocalStackBackend.class.getClassLoader()); // see LaneBackend.Available
        try {
            container = new LocalStackContainer(IMAGE).withServices("s3", "dynamodb", "sqs");
            container.start();
        } finally {
            thread.setContextClassLoader(before);
        }
        // The functions under test use the SDK's default chain; LocalStack's keys are what it accepts.
        System.setProperty("aws.accessKeyId", container.getAccessKey());
        System.setProperty("aws.secretAccessKey", container.getSecretKey());
        sqs = SqsClient.builder().endpointOverride(container.getEndpoint()).region(Region.of(container.getRegion()))
                .credentialsProvider(credentials()).httpClientBuilder(UrlConnectionHttpClient.builder()).build();
        queueUrl = sqs.createQueue(b -> b.queueName("batchlane-ingest")).queueUrl();
        String queueArn = sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        try (S3Client s3 = s3(); var dynamo = dynamo()) {
            s3.createBucket(b -> b.bucket(bucket));
            s3.putBucketNotificationConfiguration(b -> b.bucket(bucket).notificationConfiguration(n -> n
                    .queueConfigurations(queue("inbox/", queueArn), queue("cancel/", queueArn))));
            dev.batchlane.aws.dynamo.TableSetup.create(dynamo, table);
        }
    }

    private static QueueConfiguration queue(String prefix, String arn) {
        return QueueConfiguration.builder().id("batchlane-" + prefix.replace("/", "")).queueArn(arn)
                .events(Event.S3_OBJECT_CREATED)
                .filter(f -> f.key(k -> k.filterRules(r -> r.name(FilterRuleName.PREFIX).value(prefix)))).build();
    }

    private StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(container.getAccessKey(),
                container.getSecretKey()));
    }

    @Override
    public URI s3Endpoint() {
        return container.getEndpoint();
    }

    @Override
    public URI dynamoEndpoint() {
        return container.getEndpoint();
    }

    @Override
    public String objectCreated(String bucket, String key, HeadObjectResponse head) {
        String identity = key + "@" + head.eTag().replace("\"", "");
        Instant deadline = Instant.now().plus(NOTIFICATION_WAIT);
        while (!received.containsKey(identity)) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("no S3 notification for s3://" + bucket + "/" + key + " within "
                        + NOTIFICATION_WAIT + " (received: " + received.keySet() + ")");
            }
            for (Message m : sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(1))
                    .messages()) {
                keep(m.body());
                sqs.deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
            }
        }
        return received.get(identity);
    }

    /** Files a notification under the object it names; S3's own s3:TestEvent names none. */
    private void keep(String body) {
        try {
            JsonNode records = JSON.readTree(body).path("Records");
            if (records.size() == 1) {
                JsonNode object = records.get(0).at("/s3/object");
                String key = java.net.URLDecoder.decode(object.path("key").asText(), StandardCharsets.UTF_8);
                received.put(key + "@" + object.path("eTag").asText(), body);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("an S3 notification that is not JSON: " + body, e);
        }
    }

    @Override
    public void close() {
        if (sqs != null) {
            sqs.close();
        }
        if (container != null) {
            container.stop();
        }
    }
}
