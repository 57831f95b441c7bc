package dev.batchlane.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.aws.LocalAws;
import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.aws.dynamo.StreamPump;
import dev.batchlane.aws.dynamo.TableSetup;
import dev.batchlane.core.catalogue.ProviderCatalogue;
import dev.batchlane.emulators.DynamoDbLocalServer;
import dev.batchlane.emulators.ElasticMqServer;
import dev.batchlane.emulators.S3MockServer;
import dev.batchlane.local.iam.DeployedRoles;
import dev.batchlane.local.iam.DynamoRules;
import dev.batchlane.local.iam.EnforcingProxy;
import dev.batchlane.local.iam.EventBridgeRules;
import dev.batchlane.local.iam.S3Rules;
import dev.batchlane.local.iam.SecretsManagerRules;
import dev.batchlane.local.iam.SqsRules;
import dev.batchlane.local.standin.StandIn;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The whole lane on one machine: DynamoDB Local, S3Mock and ElasticMQ (SQS) on loopback, the
 * provider simulator (or the real provider when its key is set), and the packaged functions, wired
 * as AWS wires them — an S3 ObjectCreated event for each new object under inbox/ (and queue/, to
 * enqueue), the poll schedule at a fixed rate, the table's stream records of shards reaching ENDED
 * delivered to complete, and the intake queue's messages to enqueue.
 */
public final class Stack implements AutoCloseable {
    public static final String BUCKET = "batchlane-local";
    public static final String TABLE = "batchlane-jobs";
    private static final String REGION = LocalAws.REGION.id();
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * How the stack is started. {@code template} null means $BATCHLANE_TEMPLATE, else the template
     * infra/cdk's build wrote; {@code iamTemplate} null means $BATCHLANE_IAM_TEMPLATE, else {@code
     * template}: the roles the functions' calls are checked against; {@code providerEnv} holds the
     * variables that send a provider to its real service (each descriptor's {@code LocalRun}),
     * usually the process environment: a provider whose key is not in it runs on its simulator.
     */
    public record Options(
            Path home,
            Duration pollRate,
            int maxRequestsPerShard,
            Consumer<String> log,
            Path template,
            Path iamTemplate,
            Map<String, String> providerEnv,
            String queuePolicies) {

        public Options {
            providerEnv = providerEnv == null ? Map.of() : Map.copyOf(providerEnv);
            queuePolicies =
                    queuePolicies == null || queuePolicies.isBlank()
                            ? LOCAL_QUEUE_POLICIES
                            : queuePolicies;
        }

        /** Every provider on its simulator, the template infra/cdk's build wrote. */
        public static Options of(
                Path home, Duration pollRate, int maxRequestsPerShard, Consumer<String> log) {
            return new Options(
                    home, pollRate, maxRequestsPerShard, log, null, null, Map.of(), null);
        }

        public Options withTemplate(Path path) {
            return new Options(
                    home,
                    pollRate,
                    maxRequestsPerShard,
                    log,
                    path,
                    iamTemplate,
                    providerEnv,
                    queuePolicies);
        }

        public Options withIamTemplate(Path path) {
            return new Options(
                    home,
                    pollRate,
                    maxRequestsPerShard,
                    log,
                    template,
                    path,
                    providerEnv,
                    queuePolicies);
        }

        /** The variables that select real services (see {@code LocalRun}). */
        public Options withProviderEnv(Map<String, String> env) {
            return new Options(
                    home,
                    pollRate,
                    maxRequestsPerShard,
                    log,
                    template,
                    iamTemplate,
                    env,
                    queuePolicies);
        }

        /** The queue policies the functions get as BATCHLANE_QUEUES (null: the local default). */
        public Options withQueuePolicies(String json) {
            return new Options(
                    home,
                    pollRate,
                    maxRequestsPerShard,
                    log,
                    template,
                    iamTemplate,
                    providerEnv,
                    json);
        }
    }

    /**
     * The queue policies of the local stack unless BATCHLANE_QUEUES says otherwise: a queue flushes
     * once its oldest request has waited 20 s, so that a try-out answers within a minute rather
     * than the deployment's default hour.
     */
    public static final String LOCAL_QUEUE_POLICIES = "{\"default\":{\"max-wait\":\"PT20S\"}}";

    /**
     * The account id DynamoDB Local uses in its ARNs; the local stack's resources all live in it.
     */
    static final String ACCOUNT = "000000000000";

    /** The key the stack's own wiring and the CLI sign with: the account owner, never checked. */
    static final String OPERATOR_KEY = "local";

    private final Options options;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final Map<String, RuntimeApi> apis = new HashMap<>();
    private AwsTriggers triggers;
    private final Map<String, FunctionProcess> processes = new HashMap<>();
    private S3MockServer s3Server;
    private ElasticMqServer sqsServer;
    private SqsClient sqs;
    private LaneTemplate.IntakeQueue intake;
    private String intakeQueueUrl;
    private DynamoDbLocalServer dynamoServer;
    private ProviderStandIns standIns;
    private S3Client s3;
    private DynamoDbClient dynamo;
    private StreamPump pump;
    private DynamoJobStore jobs;
    private String providerDescription;
    private EnforcingProxy iam;
    private DeployedRoles roles;
    private EventBridgeRules events;

    private Stack(Options options) {
        this.options = options;
    }

    public static Stack start(Options options) throws IOException {
        Stack stack = new Stack(options);
        try {
            stack.boot();
            return stack;
        } catch (IOException | RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    private void boot() throws IOException {
        Path templatePath = LaneTemplate.locate(options.home(), options.template());
        // Read first: without it the functions cannot be run as deployed, so fail before starting
        // anything.
        Map<String, LaneTemplate.FunctionSettings> settings = LaneTemplate.read(templatePath);
        intake = LaneTemplate.intakeQueue(templatePath);
        // The emulators start empty: failures a previous stack recorded are of jobs that are gone.
        for (Path dir :
                List.of(
                        AwsTriggers.failedDir(options.home()),
                        AwsTriggers.deadLetterDir(options.home()))) {
            if (java.nio.file.Files.isDirectory(dir)) {
                try (var old = java.nio.file.Files.list(dir)) {
                    old.forEach(f -> f.toFile().delete());
                }
            }
        }
        startEmulators();
        startProviders();
        startIam(iamTemplate(options, templatePath));
        startFunctions(settings, templatePath);
        triggers = new AwsTriggers(options.home(), options.log(), s3, pump, apis, iam);
        closeables.add(triggers);
        if (apis.containsKey(LaneTemplate.ENQUEUE)) {
            triggers.sqsEventSource(intakeEventSource());
        } else {
            options.log()
                    .accept(
                            "the template has no enqueue function: the intake queue "
                                    + intakeQueueUrl
                                    + " is created, but nothing reads it");
        }
        triggers.start(options.pollRate());
    }

    /**
     * DynamoDB Local, S3Mock and ElasticMQ on loopback, with the lane's table, bucket and intake
     * queue.
     */
    private void startEmulators() throws IOException {
        Consumer<String> log = options.log();
        log.accept("starting DynamoDB Local, the S3 emulator and ElasticMQ (SQS) on loopback…");
        // ElasticMQ is a JVM of its own that takes seconds to start: it starts meanwhile.
        var sqsStart = java.util.concurrent.CompletableFuture.supplyAsync(ElasticMqServer::start);
        try {
            startS3AndDynamo();
        } finally {
            try {
                sqsServer = sqsStart.join();
                closeables.add(sqsServer);
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof RuntimeException r
                        ? r
                        : new IllegalStateException(e.getCause());
            }
        }
        sqs = LocalAws.sqs(sqsServer.endpoint());
        closeables.add(sqs);
        Map<QueueAttributeName, String> attributes = new HashMap<>();
        attributes.put(
                QueueAttributeName.VISIBILITY_TIMEOUT,
                Long.toString(intake.visibilityTimeout().toSeconds()));
        if (intake.deadLetterQueue() != null) {
            sqs.createQueue(b -> b.queueName(intake.deadLetterQueue()));
            attributes.put(
                    QueueAttributeName.REDRIVE_POLICY,
                    JSON.createObjectNode()
                            .put("deadLetterTargetArn", queueArn(intake.deadLetterQueue()))
                            .put("maxReceiveCount", intake.maxReceiveCount())
                            .toString());
        }
        intakeQueueUrl =
                sqs.createQueue(b -> b.queueName(intake.name()).attributes(attributes)).queueUrl();
    }

    private void startS3AndDynamo() throws IOException {
        dynamoServer = DynamoDbLocalServer.start();
        closeables.add(dynamoServer);
        Path s3mockJar = options.home().resolve("infra/local/target/s3mock/s3mock.jar");
        s3Server =
                S3MockServer.start(
                        s3mockJar.toFile().isFile() ? s3mockJar : S3MockServer.locateJar(),
                        0,
                        BUCKET);
        closeables.add(s3Server);
        s3 = LocalAws.s3(s3Server.endpoint());
        dynamo = LocalAws.dynamo(dynamoServer.endpoint());
        TableSetup.create(dynamo, TABLE);
        jobs = new DynamoJobStore(dynamo, TABLE);
    }

    /** Each provider of the catalogue on its simulator, or at its real service. */
    private void startProviders() throws IOException {
        standIns =
                ProviderStandIns.start(
                        ProviderCatalogue.load(),
                        options.providerEnv(),
                        new StandIn.Context(s3, REGION, ACCOUNT, Duration.ofSeconds(1)));
        closeables.add(standIns);
        providerDescription = standIns.description();
        options.log().accept("providers: " + providerDescription);
    }

    /**
     * IAM as deployed: every AWS call of a function goes through the enforcing proxy, signed with
     * that function's own key, and is checked against its role in the template.
     */
    private void startIam(Path iamTemplate) throws IOException {
        Consumer<String> log = options.log();
        String streamArn =
                DynamoRules.normalizeStreamArn(
                        dynamo.describeTable(b -> b.tableName(TABLE)).table().latestStreamArn(),
                        REGION);
        roles =
                DeployedRoles.read(
                        iamTemplate,
                        new DeployedRoles.LocalNames(
                                REGION,
                                ACCOUNT,
                                BUCKET,
                                TABLE,
                                streamArn,
                                sqsServer.endpoint().toString()));
        // Keys (simulator keys, or real ones from the environment) are served from the secrets the
        // template names, as deployed functions read them.
        Map<String, String> secrets = new HashMap<>();
        for (DeployedRoles.Role role : roles.roles().values()) {
            standIns.keysBySecretVariable()
                    .forEach(
                            (variable, key) ->
                                    putSecret(secrets, role.environment().get(variable), key));
        }
        EventBridgeRules events = new EventBridgeRules(REGION, ACCOUNT);
        EnforcingProxy.Builder proxy =
                EnforcingProxy.builder()
                        .operatorKey(OPERATOR_KEY)
                        .service(new S3Rules(REGION, roles.bucketKmsKey()), s3Server.endpoint())
                        .service(new DynamoRules(REGION, ACCOUNT), dynamoServer.endpoint())
                        .service(new SecretsManagerRules(secrets), null)
                        .service(events, null)
                        .service(new SqsRules(REGION, ACCOUNT), sqsServer.endpoint())
                        .bucketPolicy(roles.bucketPolicy())
                        .onDenial(
                                o ->
                                        log.accept(
                                                "IAM: "
                                                        + o.function()
                                                        + " was denied "
                                                        + o.action()
                                                        + " on "
                                                        + o.resource()
                                                        + " by the role in "
                                                        + iamTemplate
                                                        + ": "
                                                        + o.message()));
        // Providers reached as AWS services (signed calls) are checked like S3 and DynamoDB.
        for (StandIn.AwsService service : standIns.awsServices()) {
            proxy.service(service.rules(), service.upstream());
        }
        for (String fn : functions(roles.roles().keySet())) {
            DeployedRoles.Role role = roles.role(fn);
            proxy.principal(
                    accessKey(fn),
                    new EnforcingProxy.Principal(fn, role.roleArn(), role.statements()));
        }
        iam = proxy.start();
        closeables.add(iam);
        this.events = events;
        log.accept(
                "IAM: the functions' calls are checked against their roles in "
                        + iamTemplate
                        + " (proxy at "
                        + iam.endpoint()
                        + ")");
        // Lambda's event source mapping reads the stream with complete's role.
        DynamoDbStreamsClient streams =
                DynamoDbStreamsClient.builder()
                        .endpointOverride(iam.endpoint())
                        .region(LocalAws.REGION)
                        .credentialsProvider(
                                StaticCredentialsProvider.create(
                                        AwsBasicCredentials.create(accessKey("complete"), "local")))
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .build();
        closeables.add(streams);
        pump = new StreamPump(dynamo, streams, TABLE, REGION);
    }

    /** What every function gets beyond the template's environment: the local endpoints. */
    private Map<String, String> functionEnvironment() {
        String proxyUrl = iam.endpoint().toString();
        Map<String, String> env = new HashMap<>();
        // The functions' S3 and DynamoDB clients are the Quarkus extensions'; these are their
        // settings.
        env.put("QUARKUS_S3_ENDPOINT_OVERRIDE", proxyUrl);
        env.put("QUARKUS_S3_PATH_STYLE_ACCESS", "true");
        env.put("QUARKUS_DYNAMODB_ENDPOINT_OVERRIDE", proxyUrl);
        env.put("BATCHLANE_AWS_SECRETSMANAGER_ENDPOINT", proxyUrl);
        env.put("BATCHLANE_AWS_EVENTS_ENDPOINT", proxyUrl);
        // The functions' SQS client (answers to reply queues): their own setting, and the SDK's
        // per-service variable for any client built from the SDK's defaults.
        env.put("BATCHLANE_AWS_SQS_ENDPOINT", proxyUrl);
        env.put("AWS_ENDPOINT_URL_SQS", proxyUrl);
        env.put(dev.batchlane.core.lane.LaneNames.ENV_QUEUES, options.queuePolicies());
        env.put("BATCHLANE_AWS_REGION", REGION);
        env.put("AWS_REGION", REGION);
        env.put("AWS_SECRET_ACCESS_KEY", "local");
        // Each provider at its simulator or real service; what else a provider needs (a role
        // to pass, a default model) is in the template's environment, as deployed.
        env.putAll(standIns.functionEnvironment(iam.endpoint()));
        env.put("BATCHLANE_POLL_FIRST_DELAY", "PT1S");
        env.put("BATCHLANE_POLL_MAX_DELAY", "PT5S");
        env.put("BATCHLANE_SHARD_MAX_REQUESTS", Integer.toString(options.maxRequestsPerShard()));
        // Plain-text logs in .batchlane/logs; on Lambda they are JSON for CloudWatch Logs Insights.
        env.put("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "false");
        return env;
    }

    /** The three packaged functions, each under its own Runtime API, limits and key. */
    private void startFunctions(
            Map<String, LaneTemplate.FunctionSettings> settings, Path templatePath)
            throws IOException {
        Consumer<String> log = options.log();
        Map<String, String> env = functionEnvironment();
        Path runJar =
                options.home()
                        .resolve("functions/target/batchlane-functions-0.1.0-SNAPSHOT-runner.jar");
        Path logs = options.home().resolve(".batchlane/logs");
        List<String> functions = functions(settings.keySet());
        log.accept(
                "starting the functions "
                        + String.join(", ", functions)
                        + " (logs in "
                        + logs
                        + ") as the template "
                        + templatePath
                        + " deploys them…");
        for (String fn : functions) {
            LaneTemplate.FunctionSettings fs = settings.get(fn);
            RuntimeApi api = new RuntimeApi(fn, fs.timeout());
            closeables.add(api);
            apis.put(fn, api);
            // The function's environment as the template sets it (bucket, table, secrets, event bus
            // under
            // the construct's names), then the local endpoints and its own key.
            Map<String, String> own = new HashMap<>(roles.role(fn).environment());
            own.putAll(env);
            own.put("AWS_ACCESS_KEY_ID", accessKey(fn));
            FunctionProcess process =
                    FunctionProcess.start(
                            fs,
                            runJar,
                            options.home().resolve("infra/local/target/ric"),
                            api,
                            own,
                            logs,
                            options.home().resolve(".batchlane/tmp"),
                            log);
            closeables.add(process);
            processes.put(fn, process);
            log.accept("  " + process);
            api.onTimeout(
                    message -> {
                        log.accept(
                                fn
                                        + ": "
                                        + message
                                        + "; the process is killed and a new one started");
                        process.restart(message);
                    });
            // One at a time: AWS's runtime client unpacks its native library to a fixed path in
            // /tmp,
            // and two JVMs unpacking it at once crash each other.
            try {
                if (!api.awaitConnected(Duration.ofSeconds(90))) {
                    throw new IllegalStateException(
                            "the "
                                    + fn
                                    + " function did not start within 90 s; see "
                                    + process.log());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting " + fn, e);
            }
        }
    }

    /** The lane's functions among {@code found}, in the order they start. */
    static List<String> functions(java.util.Collection<String> found) {
        List<String> out = new ArrayList<>(LaneTemplate.FUNCTIONS);
        if (found.contains(LaneTemplate.ENQUEUE)) {
            out.add(LaneTemplate.ENQUEUE);
        }
        return out;
    }

    /**
     * The intake queue → enqueue mapping, polling with enqueue's role through the IAM proxy as
     * Lambda's event source mapping does.
     */
    private SqsEventSource intakeEventSource() {
        SqsClient asEnqueue =
                SqsClient.builder()
                        .endpointOverride(iam.endpoint())
                        .region(LocalAws.REGION)
                        .credentialsProvider(
                                StaticCredentialsProvider.create(
                                        AwsBasicCredentials.create(
                                                accessKey(LaneTemplate.ENQUEUE), "local")))
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .build();
        closeables.add(asEnqueue);
        return new SqsEventSource(
                asEnqueue,
                new SqsEventSource.Mapping(
                        intakeQueueUrl,
                        intakeQueueArn(),
                        intake.batchSize(),
                        intake.reportBatchItemFailures()),
                REGION,
                apis.get(LaneTemplate.ENQUEUE),
                options.log(),
                1);
    }

    /**
     * Overrides the template the functions' roles are read from (teams that customise the
     * construct).
     */
    public static final String ENV_IAM_TEMPLATE = "BATCHLANE_IAM_TEMPLATE";

    static Path iamTemplate(Options options, Path template) {
        if (options.iamTemplate() != null) {
            return options.iamTemplate();
        }
        String env = System.getenv(ENV_IAM_TEMPLATE);
        return env != null && !env.isBlank() ? Path.of(env) : template;
    }

    private static void putSecret(Map<String, String> secrets, String arn, String value) {
        if (arn != null && !arn.isBlank()) {
            secrets.put(arn, value);
        }
    }

    /** Each function's own access key id, so the proxy knows whose call it sees. */
    static String accessKey(String function) {
        return "ASIABATCHLANE" + function.toUpperCase(java.util.Locale.ROOT);
    }

    /** The enforcing proxy: what each function was allowed and denied so far. */
    public EnforcingProxy iam() {
        return iam;
    }

    /** The roles the stack enforces, as read from the template. */
    public DeployedRoles roles() {
        return roles;
    }

    /** The completion events complete put on the (local) bus. */
    public List<JsonNode> events() {
        return events.received();
    }

    public String s3Endpoint() {
        return s3Server.endpoint().toString();
    }

    public String dynamoEndpoint() {
        return dynamoServer.endpoint().toString();
    }

    /** ElasticMQ's endpoint: where applications (and the CLI) reach the intake queue. */
    public String sqsEndpoint() {
        return sqsServer.endpoint().toString();
    }

    /** The intake queue's URL, the deployment's {@code IntakeQueueUrl} output. */
    public String intakeQueueUrl() {
        return intakeQueueUrl;
    }

    public String intakeQueueArn() {
        return queueArn(intake.name());
    }

    private static String queueArn(String name) {
        return "arn:aws:sqs:" + REGION + ":" + ACCOUNT + ":" + name;
    }

    /** An SQS client for the local server, as the account owner (never checked). */
    public SqsClient sqs() {
        return sqs;
    }

    public String providerDescription() {
        return providerDescription;
    }

    public S3Client s3() {
        return s3;
    }

    public DynamoJobStore jobs() {
        return jobs;
    }

    /** The simulator standing in for {@code provider}, when the real service is not used. */
    public <T> java.util.Optional<T> simulator(String provider, Class<T> type) {
        return standIns.simulator(provider, type);
    }

    /**
     * Why this job cannot progress, when the stack knows: its ingest failed every attempt, or a
     * call was denied.
     */
    public java.util.Optional<String> failure(String jobId) {
        return triggers == null ? java.util.Optional.empty() : triggers.failure(jobId);
    }

    public DynamoDbClient dynamo() {
        return dynamo;
    }

    FunctionProcess process(String function) {
        return processes.get(function);
    }

    @Override
    public void close() {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                options.log()
                        .accept(
                                "stopping "
                                        + closeables.get(i).getClass().getSimpleName()
                                        + ": "
                                        + e.getMessage());
            }
        }
        if (s3 != null) {
            s3.close();
        }
        if (dynamo != null) {
            dynamo.close();
        }
    }
}
