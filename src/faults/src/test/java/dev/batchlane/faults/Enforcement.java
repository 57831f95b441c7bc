package dev.batchlane.faults;

import dev.batchlane.aws.LocalAws;
import dev.batchlane.local.iam.DeployedRoles;
import dev.batchlane.local.iam.DynamoRules;
import dev.batchlane.local.iam.EnforcingProxy;
import dev.batchlane.local.iam.S3Rules;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * IAM as deployed, for the suites that run the services in this JVM: one {@link EnforcingProxy} in
 * front of S3Mock and DynamoDB Local (and its stream), each function (ingest, poll, complete)
 * signing with its own key and checked against its role in the CDK app's synthesized template. The
 * test itself plays the account owner (the emulators' key, unchecked). Whatever sits between the
 * proxy and DynamoDB Local (the fault proxy) stays in the chain.
 */
final class Enforcement implements AutoCloseable {
    /** Overrides the template the roles are read from, as for the local stack. */
    static final String ENV_TEMPLATE = "BATCHLANE_IAM_TEMPLATE";

    static final List<String> FUNCTIONS = List.of("ingest", "poll", "complete", "enqueue");
    private static final String ACCOUNT = "000000000000";
    private static final String REGION = LocalAws.REGION.id();

    /**
     * The key {@link LocalAws} signs with: the emulators see every call under it, as one account.
     */
    private static final String OPERATOR_KEY = "local";

    private final EnforcingProxy proxy;
    private final Path template;

    private Enforcement(EnforcingProxy proxy, Path template) {
        this.proxy = proxy;
        this.template = template;
    }

    /**
     * Starts the proxy for {@code bucket} at {@code s3} and {@code table} at {@code dynamo}
     * (DynamoDB Local, or a proxy in front of it); {@code operatorDynamo} reads the table's stream
     * ARN.
     */
    static Enforcement start(
            String bucket, URI s3, String table, URI dynamo, DynamoDbClient operatorDynamo) {
        Path template = template();
        try {
            String streamArn =
                    DynamoRules.normalizeStreamArn(
                            operatorDynamo
                                    .describeTable(b -> b.tableName(table))
                                    .table()
                                    .latestStreamArn(),
                            REGION);
            DeployedRoles roles =
                    DeployedRoles.read(
                            template,
                            new DeployedRoles.LocalNames(
                                    REGION, ACCOUNT, bucket, table, streamArn));
            EnforcingProxy.Builder b =
                    EnforcingProxy.builder()
                            .operatorKey(OPERATOR_KEY)
                            .service(new S3Rules(REGION, roles.bucketKmsKey()), s3)
                            .service(new DynamoRules(REGION, ACCOUNT), dynamo)
                            .bucketPolicy(roles.bucketPolicy());
            for (String fn : FUNCTIONS) {
                DeployedRoles.Role role = roles.role(fn);
                b.principal(
                        accessKey(fn),
                        new EnforcingProxy.Principal(fn, role.roleArn(), role.statements()));
            }
            return new Enforcement(b.start(), template);
        } catch (IOException e) {
            throw new UncheckedIOException("the IAM proxy for " + template + " did not start", e);
        }
    }

    /**
     * $BATCHLANE_IAM_TEMPLATE, else the template infra/cdk's build wrote (the build passes its
     * path).
     */
    static Path template() {
        String env = System.getenv(ENV_TEMPLATE);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(
                System.getProperty(
                        "batchlane.template", "../../infra/cdk/target/batchlane-template.json"));
    }

    private static String accessKey(String function) {
        return "ASIABATCHLANE" + function.toUpperCase(Locale.ROOT);
    }

    private static StaticCredentialsProvider credentials(String function) {
        if (!FUNCTIONS.contains(function)) {
            throw new IllegalArgumentException(
                    "no role for " + function + "; the lane's functions are " + FUNCTIONS);
        }
        return StaticCredentialsProvider.create(
                AwsBasicCredentials.create(accessKey(function), "local"));
    }

    /** S3 as {@code function} sees it: through the proxy, with its own key. */
    S3Client s3(String function) {
        return S3Client.builder()
                .endpointOverride(proxy.endpoint())
                .forcePathStyle(true)
                .region(LocalAws.REGION)
                .credentialsProvider(credentials(function))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    DynamoDbClient dynamo(String function) {
        return DynamoDbClient.builder()
                .endpointOverride(proxy.endpoint())
                .region(LocalAws.REGION)
                .credentialsProvider(credentials(function))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    /** The table's stream as Lambda's event source mapping reads it: with complete's role. */
    DynamoDbStreamsClient streams(String function) {
        return DynamoDbStreamsClient.builder()
                .endpointOverride(proxy.endpoint())
                .region(LocalAws.REGION)
                .credentialsProvider(credentials(function))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    /** Every call a role refused so far, each naming the function, the action and the resource. */
    List<EnforcingProxy.Observation> denials() {
        return proxy.denials();
    }

    /**
     * How many authorizations were decided: a run that made no call through the proxy proves
     * nothing.
     */
    int decisions() {
        return proxy.observations().size();
    }

    Path templatePath() {
        return template;
    }

    @Override
    public void close() {
        proxy.close();
    }
}
