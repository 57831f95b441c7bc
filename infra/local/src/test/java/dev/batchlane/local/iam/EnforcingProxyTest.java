package dev.batchlane.local.iam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.batchlane.aws.LocalAws;
import dev.batchlane.aws.dynamo.TableSetup;
import dev.batchlane.aws.events.EventBridgeJobEvents;
import dev.batchlane.core.lane.JobEvents;
import dev.batchlane.emulators.DynamoDbLocalServer;
import dev.batchlane.emulators.S3MockServer;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.SecretsManagerException;

/**
 * The enforcing proxy in front of the real emulators, called with the AWS SDK's own clients: what a
 * role allows reaches the emulator, what it does not is answered as AWS answers it, and the SDK's
 * own error parsing sees AccessDenied with the action and the resource.
 */
class EnforcingProxyTest {
    static final String BUCKET = "batchlane-local";
    static final String TABLE = "batchlane-jobs";
    private static S3MockServer s3Server;
    private static DynamoDbLocalServer dynamoServer;
    private static EnforcingProxy proxy;
    private static DeployedRoles roles;
    private static EventBridgeRules events;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        s3Server = S3MockServer.start(BUCKET);
        dynamoServer = DynamoDbLocalServer.start();
        try (DynamoDbClient operator = LocalAws.dynamo(dynamoServer.endpoint())) {
            TableSetup.create(operator, TABLE);
        }
        roles =
                DeployedRoles.read(
                        DeployedRolesTest.withoutIngestStagingRead(dir), DeployedRolesTest.NAMES);
        events = new EventBridgeRules("us-east-1", "000000000000");
        var b =
                EnforcingProxy.builder()
                        .operatorKey("local")
                        .service(
                                new S3Rules("us-east-1", roles.bucketKmsKey()), s3Server.endpoint())
                        .service(
                                new DynamoRules("us-east-1", "000000000000"),
                                dynamoServer.endpoint())
                        .service(new SecretsManagerRules(Map.of(secret(), "sk-test")), null)
                        .service(events, null)
                        .bucketPolicy(roles.bucketPolicy());
        for (String fn : roles.roles().keySet()) {
            b.principal(
                    "KEY" + fn,
                    new EnforcingProxy.Principal(
                            fn, roles.role(fn).roleArn(), roles.role(fn).statements()));
        }
        proxy = b.start();
    }

    static String secret() {
        return roles.role("ingest").environment().get("BATCHLANE_OPENAI_API_KEY_SECRET");
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (s3Server != null) {
            s3Server.close();
        }
        if (dynamoServer != null) {
            dynamoServer.close();
        }
    }

    static StaticCredentialsProvider as(String fn) {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create("KEY" + fn, "secret"));
    }

    static S3Client s3(String fn) {
        return S3Client.builder()
                .endpointOverride(proxy.endpoint())
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(as(fn))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    static DynamoDbClient dynamo(String fn) {
        return DynamoDbClient.builder()
                .endpointOverride(proxy.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(as(fn))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    @Test
    void allowedWrites_reachTheEmulator_includingMultipart() {
        try (S3Client ingest = s3("ingest");
                S3Client complete = s3("complete")) {
            ingest.putObject(
                    b -> b.bucket(BUCKET).key("staging/j1/shard-00001.jsonl"),
                    RequestBody.fromString("{}\n"));
            String upload =
                    ingest.createMultipartUpload(
                                    b -> b.bucket(BUCKET).key("staging/j1/shard-00002.jsonl"))
                            .uploadId();
            String etag =
                    ingest.uploadPart(
                                    b ->
                                            b.bucket(BUCKET)
                                                    .key("staging/j1/shard-00002.jsonl")
                                                    .uploadId(upload)
                                                    .partNumber(1),
                                    RequestBody.fromString("{\"a\":1}\n"))
                            .eTag();
            ingest.completeMultipartUpload(
                    b ->
                            b.bucket(BUCKET)
                                    .key("staging/j1/shard-00002.jsonl")
                                    .uploadId(upload)
                                    .multipartUpload(
                                            m ->
                                                    m.parts(
                                                            CompletedPart.builder()
                                                                    .partNumber(1)
                                                                    .eTag(etag)
                                                                    .build())));
            // complete may read staging/; the object is there.
            assertThat(
                            complete.getObjectAsBytes(
                                            b ->
                                                    b.bucket(BUCKET)
                                                            .key("staging/j1/shard-00002.jsonl"))
                                    .asUtf8String())
                    .isEqualTo("{\"a\":1}\n");
        }
        assertThat(proxy.observations())
                .anyMatch(
                        o ->
                                o.function().equals("ingest")
                                        && o.action().equals("s3:PutObject")
                                        && o.resource()
                                                .equals(
                                                        "arn:aws:s3:::batchlane-local/staging/j1/shard-00002.jsonl")
                                        && !o.denied());
        assertThat(proxy.observations())
                .anyMatch(
                        o ->
                                o.function().equals("ingest")
                                        && o.action().equals("kms:GenerateDataKey")
                                        && !o.denied());
    }

    @Test
    void aReadTheRoleLacks_failsAsS3Fails_403AccessDenied_namingActionAndResource() {
        try (S3Client ingest = s3("ingest")) {
            ingest.putObject(
                    b -> b.bucket(BUCKET).key("staging/j2/shard-00001.jsonl"),
                    RequestBody.fromString("x\n"));
            S3Exception e =
                    catchThrowableOfType(
                            () ->
                                    ingest.getObjectAsBytes(
                                            b ->
                                                    b.bucket(BUCKET)
                                                            .key("staging/j2/shard-00001.jsonl")),
                            S3Exception.class);
            assertThat(e.statusCode()).isEqualTo(403);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
            assertThat(e.awsErrorDetails().errorMessage())
                    .contains("is not authorized to perform: s3:GetObject")
                    .contains("\"arn:aws:s3:::batchlane-local/staging/j2/shard-00001.jsonl\"")
                    .contains("assumed-role/")
                    .contains("/ingest");
            // A write under a prefix the role does not name is refused before it reaches S3.
            S3Exception put =
                    catchThrowableOfType(
                            () ->
                                    ingest.putObject(
                                            b -> b.bucket(BUCKET).key("results/j2/x"),
                                            RequestBody.fromString("x")),
                            S3Exception.class);
            assertThat(put.statusCode()).isEqualTo(403);
            assertThat(put.awsErrorDetails().errorMessage()).contains("s3:PutObject");
        }
        try (S3Client operator = LocalAws.s3(s3Server.endpoint())) {
            assertThat(
                            operator.listObjectsV2(b -> b.bucket(BUCKET).prefix("results/j2/"))
                                    .contents())
                    .isEmpty();
        }
        assertThat(proxy.denials())
                .anyMatch(
                        o ->
                                o.function().equals("ingest")
                                        && o.action().equals("s3:GetObject")
                                        && o.resource()
                                                .equals(
                                                        "arn:aws:s3:::batchlane-local/staging/j2/shard-00001.jsonl"));
    }

    /**
     * The stack logs a denial from the listener, and a test that sees the denial reads that log
     * next: the listener has run before the denial is visible, or the test reads a log without it.
     */
    @Test
    void aDenial_reachesTheListener_beforeItIsVisible() throws Exception {
        var visibleInListener = new java.util.concurrent.CopyOnWriteArrayList<Boolean>();
        var self = new java.util.concurrent.atomic.AtomicReference<EnforcingProxy>();
        EnforcingProxy listening =
                EnforcingProxy.builder()
                        .operatorKey("local")
                        .service(
                                new S3Rules("us-east-1", roles.bucketKmsKey()), s3Server.endpoint())
                        .bucketPolicy(roles.bucketPolicy())
                        .principal(
                                "KEYingest",
                                new EnforcingProxy.Principal(
                                        "ingest",
                                        roles.role("ingest").roleArn(),
                                        roles.role("ingest").statements()))
                        .onDenial(o -> visibleInListener.add(self.get().denials().contains(o)))
                        .start();
        self.set(listening);
        try (listening;
                S3Client ingest =
                        S3Client.builder()
                                .endpointOverride(listening.endpoint())
                                .forcePathStyle(true)
                                .region(Region.US_EAST_1)
                                .credentialsProvider(as("ingest"))
                                .httpClientBuilder(UrlConnectionHttpClient.builder())
                                .build()) {
            catchThrowableOfType(
                    () ->
                            ingest.getObjectAsBytes(
                                    b -> b.bucket(BUCKET).key("staging/j9/shard-00001.jsonl")),
                    S3Exception.class);
            assertThat(visibleInListener).containsExactly(false);
            assertThat(listening.denials()).hasSize(1);
        }
    }

    @Test
    void aMissingKey_reads403_withoutListBucket_asOnS3() {
        try (S3Client ingest = s3("ingest")) {
            S3Exception e =
                    catchThrowableOfType(
                            () -> ingest.headObject(b -> b.bucket(BUCKET).key("inbox/none.jsonl")),
                            S3Exception.class);
            assertThat(e.statusCode()).isEqualTo(403);
        }
        try (S3Client operator = LocalAws.s3(s3Server.endpoint())) {
            S3Exception e =
                    catchThrowableOfType(
                            () ->
                                    operator.headObject(
                                            b -> b.bucket(BUCKET).key("inbox/none.jsonl")),
                            S3Exception.class);
            assertThat(e.statusCode()).isEqualTo(404);
        }
    }

    /** Complete may list only Bedrock's prefixes (poll may list the bucket: its flushes HEAD). */
    @Test
    void listingNeedsListBucket() {
        try (S3Client complete = s3("complete")) {
            S3Exception e =
                    catchThrowableOfType(
                            () -> complete.listObjectsV2(b -> b.bucket(BUCKET).prefix("staging/")),
                            S3Exception.class);
            assertThat(e.statusCode()).isEqualTo(403);
            assertThat(e.awsErrorDetails().errorMessage())
                    .contains("s3:ListBucket")
                    .contains("arn:aws:s3:::batchlane-local");
        }
    }

    @Test
    void dynamoDb_deniesAsDynamoDbDoes_400AccessDeniedException_perTableAndIndex() {
        var key = Map.of("pk", AttributeValue.fromS("job#1"), "sk", AttributeValue.fromS("job"));
        try (DynamoDbClient ingest = dynamo("ingest");
                DynamoDbClient poll = dynamo("poll")) {
            ingest.putItem(b -> b.tableName(TABLE).item(key));
            assertThat(ingest.getItem(b -> b.tableName(TABLE).key(key)).item()).containsKey("pk");
            DynamoDbException scan =
                    catchThrowableOfType(
                            () -> ingest.scan(b -> b.tableName(TABLE)), DynamoDbException.class);
            assertThat(scan.statusCode()).isEqualTo(400);
            assertThat(scan.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
            assertThat(scan.awsErrorDetails().errorMessage())
                    .contains("dynamodb:Scan")
                    .contains("arn:aws:dynamodb:us-east-1:000000000000:table/batchlane-jobs");
            // The due index is poll's; ingest may query the table but not the index.
            DynamoDbException index =
                    catchThrowableOfType(
                            () ->
                                    ingest.query(
                                            b ->
                                                    b.tableName(TABLE)
                                                            .indexName("due")
                                                            .keyConditionExpression("dueGroup = :g")
                                                            .expressionAttributeValues(
                                                                    Map.of(
                                                                            ":g",
                                                                            AttributeValue.fromS(
                                                                                    "0")))),
                            DynamoDbException.class);
            assertThat(index.awsErrorDetails().errorMessage())
                    .contains("table/batchlane-jobs/index/due");
            poll.query(
                    b ->
                            b.tableName(TABLE)
                                    .indexName("due")
                                    .keyConditionExpression("dueGroup = :g")
                                    .expressionAttributeValues(
                                            Map.of(":g", AttributeValue.fromS("0"))));
            // A transaction is authorized per part: ingest has no ConditionCheckItem.
            DynamoDbException tx =
                    catchThrowableOfType(
                            () ->
                                    ingest.transactWriteItems(
                                            b ->
                                                    b.transactItems(
                                                            t ->
                                                                    t.put(
                                                                            p ->
                                                                                    p.tableName(
                                                                                                    TABLE)
                                                                                            .item(
                                                                                                    Map
                                                                                                            .of(
                                                                                                                    "pk",
                                                                                                                    AttributeValue
                                                                                                                            .fromS(
                                                                                                                                    "job#2"),
                                                                                                                    "sk",
                                                                                                                    AttributeValue
                                                                                                                            .fromS(
                                                                                                                                    "job")))),
                                                            t ->
                                                                    t.conditionCheck(
                                                                            c ->
                                                                                    c.tableName(
                                                                                                    TABLE)
                                                                                            .key(
                                                                                                    key)
                                                                                            .conditionExpression(
                                                                                                    "attribute_exists(pk)")))),
                            DynamoDbException.class);
            assertThat(tx.awsErrorDetails().errorMessage()).contains("dynamodb:ConditionCheckItem");
            assertThat(
                            ingest.getItem(
                                            b ->
                                                    b.tableName(TABLE)
                                                            .key(
                                                                    Map.of(
                                                                            "pk",
                                                                            AttributeValue.fromS(
                                                                                    "job#2"),
                                                                            "sk",
                                                                            AttributeValue.fromS(
                                                                                    "job"))))
                                    .hasItem())
                    .isFalse();
        }
    }

    @Test
    void secretsManager_answersTheFunctionsOwnSecret_andDeniesAnother() {
        try (SecretsManagerClient sm =
                SecretsManagerClient.builder()
                        .endpointOverride(proxy.endpoint())
                        .region(Region.US_EAST_1)
                        .credentialsProvider(as("poll"))
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .build()) {
            assertThat(sm.getSecretValue(b -> b.secretId(secret())).secretString())
                    .isEqualTo("sk-test");
            SecretsManagerException e =
                    catchThrowableOfType(
                            () ->
                                    sm.getSecretValue(
                                            b ->
                                                    b.secretId(
                                                            "arn:aws:secretsmanager:us-east-1:000000000000:secret:other-abcdef")),
                            SecretsManagerException.class);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
            assertThat(e.awsErrorDetails().errorMessage())
                    .contains("secretsmanager:GetSecretValue")
                    .contains("other");
        }
    }

    @Test
    void eventBridge_takesTheCompletionEventFromComplete_only() {
        var event =
                new JobEvents.JobCompleted(
                        "j1",
                        "openai",
                        "m",
                        BUCKET,
                        "results/j1/manifest.json",
                        1,
                        1,
                        0,
                        0,
                        0,
                        0,
                        dev.batchlane.core.provider.Usage.ZERO,
                        BigDecimal.ONE,
                        BigDecimal.TEN);
        try (var complete = eventBridge("complete");
                var ingest = eventBridge("ingest")) {
            new EventBridgeJobEvents(complete, "batchlane").jobCompleted(event);
            assertThat(events.received())
                    .anyMatch(e -> e.path("Detail").asText().contains("\"j1\""));
            Throwable refused =
                    catchThrowable(
                            () ->
                                    new EventBridgeJobEvents(ingest, "batchlane")
                                            .jobCompleted(event));
            Throwable cause = refused;
            while (cause != null
                    && !(cause
                            instanceof
                            software.amazon.awssdk.services.eventbridge.model
                                    .EventBridgeException)) {
                cause = cause.getCause();
            }
            assertThat(cause)
                    .as("the SDK's own exception, parsed from the proxy's answer")
                    .isNotNull();
            var sdk =
                    (software.amazon.awssdk.services.eventbridge.model.EventBridgeException) cause;
            assertThat(sdk.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
            assertThat(sdk.awsErrorDetails().errorMessage()).contains("events:PutEvents");
        }
    }

    private software.amazon.awssdk.services.eventbridge.EventBridgeClient eventBridge(
            String function) {
        return software.amazon.awssdk.services.eventbridge.EventBridgeClient.builder()
                .endpointOverride(proxy.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(as(function))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    @Test
    void anUnknownKey_isRefused() {
        try (S3Client stranger =
                S3Client.builder()
                        .endpointOverride(proxy.endpoint())
                        .forcePathStyle(true)
                        .region(Region.US_EAST_1)
                        .credentialsProvider(
                                StaticCredentialsProvider.create(
                                        AwsBasicCredentials.create("AKIASTRANGER", "x")))
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .build()) {
            S3Exception e =
                    catchThrowableOfType(
                            () -> stranger.getObjectAsBytes(b -> b.bucket(BUCKET).key("inbox/x")),
                            S3Exception.class);
            assertThat(e.statusCode()).isEqualTo(403);
        }
        URI unused = proxy.endpoint();
        assertThat(unused.getHost()).isIn("127.0.0.1", "localhost");
    }
}
