package dev.batchlane.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.aws.LocalAws;
import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.aws.dynamo.StreamPump;
import dev.batchlane.aws.dynamo.TableSetup;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.lane.LaneNames;
import dev.batchlane.emulators.DynamoDbLocalServer;
import dev.batchlane.emulators.S3MockServer;
import dev.batchlane.local.iam.BedrockRules;
import dev.batchlane.local.iam.DeployedRoles;
import dev.batchlane.local.iam.DynamoRules;
import dev.batchlane.local.iam.EnforcingProxy;
import dev.batchlane.local.iam.EventBridgeRules;
import dev.batchlane.local.iam.S3Rules;
import dev.batchlane.local.iam.SecretsManagerRules;
import dev.batchlane.simulator.anthropic.AnthropicSimulator;
import dev.batchlane.simulator.bedrock.BedrockSimulator;
import dev.batchlane.simulator.gemini.DiscoveryDocument;
import dev.batchlane.simulator.gemini.GeminiSimulator;
import dev.batchlane.simulator.openai.Dialect;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The whole lane on one machine: DynamoDB Local and S3Mock on loopback, the provider simulator (or
 * the real provider when its key is set), and the three packaged functions, wired as AWS wires them
 * — an S3 ObjectCreated event for each new object under inbox/, the poll schedule at a fixed rate,
 * and the table's stream records of shards reaching ENDED delivered to complete.
 */
public final class Stack implements AutoCloseable {
    public static final String BUCKET = "batchlane-local";
    public static final String TABLE = "batchlane-jobs";
    private static final String REGION = LocalAws.REGION.id();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Lambda retries a failed asynchronous (S3) invocation twice. */
    private static final int ASYNC_ATTEMPTS = 3;

    private static final int STREAM_ATTEMPTS = 5;

    /**
     * How the stack is started. {@code openaiKey} null means the simulator stands in for OpenAI;
     * {@code template} null means $BATCHLANE_TEMPLATE, else the template infra/cdk's build wrote;
     * {@code iamTemplate} null means $BATCHLANE_IAM_TEMPLATE, else {@code template}: the roles the
     * functions' calls are checked against; {@code vendorEnv} holds the other vendors' variables
     * (see {@link VendorTarget}), usually the process environment; a vendor whose key is not in it
     * runs on its simulator; {@code geminiKey} null means the Gemini simulator.
     */
    public record Options(
            Path home,
            Duration pollRate,
            int maxRequestsPerShard,
            String openaiKey,
            String openaiBaseUrl,
            Consumer<String> log,
            String anthropicKey,
            String anthropicBaseUrl,
            Path template,
            Path iamTemplate,
            Map<String, String> vendorEnv,
            String geminiKey,
            String geminiBaseUrl) {

        public Options {
            vendorEnv = vendorEnv == null ? Map.of() : Map.copyOf(vendorEnv);
        }

        public Options(
                Path home,
                Duration pollRate,
                int maxRequestsPerShard,
                String openaiKey,
                String openaiBaseUrl,
                Consumer<String> log,
                String anthropicKey,
                String anthropicBaseUrl,
                Path template) {
            this(
                    home,
                    pollRate,
                    maxRequestsPerShard,
                    openaiKey,
                    openaiBaseUrl,
                    log,
                    anthropicKey,
                    anthropicBaseUrl,
                    template,
                    null,
                    Map.of(),
                    null,
                    null);
        }

        public Options(
                Path home,
                Duration pollRate,
                int maxRequestsPerShard,
                String openaiKey,
                String openaiBaseUrl,
                Consumer<String> log,
                String anthropicKey,
                String anthropicBaseUrl) {
            this(
                    home,
                    pollRate,
                    maxRequestsPerShard,
                    openaiKey,
                    openaiBaseUrl,
                    log,
                    anthropicKey,
                    anthropicBaseUrl,
                    null);
        }

        public Options(
                Path home,
                Duration pollRate,
                int maxRequestsPerShard,
                String openaiKey,
                String openaiBaseUrl,
                Consumer<String> log) {
            this(
                    home,
                    pollRate,
                    maxRequestsPerShard,
                    openaiKey,
                    openaiBaseUrl,
                    log,
                    null,
                    null,
                    null);
        }

        public Options withTemplate(Path path) {
            return new Options(
                    home,
                    pollRate,
                    maxRequestsPerShard,
                    openaiKey,
                    openaiBaseUrl,
                    log,
                    anthropicKey,
                    anthropicBaseUrl,
                    path,
                    iamTemplate,
                    vendorEnv,
                    geminiKey,
                    geminiBaseUrl);
        }

        public Options withIamTemplate(Path path) {
            return new Options(
                    home,
                    pollRate,
                    maxRequestsPerShard,
                    openaiKey,
                    openaiBaseUrl,
                    log,
                    anthropicKey,
                    anthropicBaseUrl,
                    template,
                    path,
                    vendorEnv,
                    geminiKey,
                    geminiBaseUrl);
        }

        public Options withVendorEnv(Map<String, String> env) {
            return new Options(
                    home,
                    pollRate,
                    maxRequestsPerShard,
                    openaiKey,
                    openaiBaseUrl,
                    log,
                    anthropicKey,
                    anthropicBaseUrl,
                    template,
                    iamTemplate,
                    env,
                    geminiKey,
                    geminiBaseUrl);
        }

        /** The real Gemini API with this key ({@code GEMINI_API_KEY}), instead of the simulator. */
        public Options withGemini(String key, String baseUrl) {
            return new Options(
                    home,
                    pollRate,
                    maxRequestsPerShard,
                    openaiKey,
                    openaiBaseUrl,
                    log,
                    anthropicKey,
                    anthropicBaseUrl,
                    template,
                    iamTemplate,
                    vendorEnv,
                    key,
                    baseUrl);
        }
    }

    /**
     * A vendor beyond OpenAI and Anthropic: the variables that send it to the real service (its
     * key, and a base URL, which Azure requires because it names the resource), the simulator
     * dialect that stands in for it otherwise, and the function settings it is passed on as.
     */
    record VendorTarget(String name, String keyVariable, String baseUrlVariable, Dialect dialect) {
        static final List<VendorTarget> ALL =
                List.of(
                        new VendorTarget(
                                "azure",
                                "AZURE_OPENAI_API_KEY",
                                "AZURE_OPENAI_BASE_URL",
                                Dialect.AZURE),
                        new VendorTarget("groq", "GROQ_API_KEY", "GROQ_BASE_URL", Dialect.GROQ),
                        new VendorTarget(
                                "together",
                                "TOGETHER_API_KEY",
                                "TOGETHER_BASE_URL",
                                Dialect.TOGETHER),
                        new VendorTarget(
                                "mistral", "MISTRAL_API_KEY", "MISTRAL_BASE_URL", Dialect.MISTRAL));

        /** The provider names the local stack runs. */
        static List<String> names() {
            return ALL.stream().map(VendorTarget::name).toList();
        }

        String functionVariable(String setting) {
            return "BATCHLANE_" + name.toUpperCase(java.util.Locale.ROOT) + "_" + setting;
        }
    }

    /**
     * The account id DynamoDB Local uses in its ARNs; the local stack's resources all live in it.
     */
    static final String ACCOUNT = "000000000000";

    /** The key the stack's own wiring and the CLI sign with: the account owner, never checked. */
    static final String OPERATOR_KEY = "local";

    private final Options options;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final Map<String, RuntimeApi> apis = new HashMap<>();
    private final Map<String, FunctionProcess> processes = new HashMap<>();

    /** Jobs whose ingest failed every attempt, and the last error: the run cannot progress. */
    private final Map<String, String> ingestFailures = new ConcurrentHashMap<>();

    private final Set<String> delivered = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService wiring =
            Executors.newScheduledThreadPool(
                    3,
                    r -> {
                        Thread t = new Thread(r, "local-wiring");
                        t.setDaemon(true);
                        return t;
                    });
    private S3MockServer s3Server;
    private DynamoDbLocalServer dynamoServer;
    private OpenAiSimulator simulator;
    private GeminiSimulator geminiSimulator;
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
        Consumer<String> log = options.log();
        Path templatePath = LaneTemplate.locate(options.home(), options.template());
        // Read first: without it the functions cannot be run as deployed, so fail before starting
        // anything.
        Map<String, LaneTemplate.FunctionSettings> settings = LaneTemplate.read(templatePath);
        // The emulators start empty: failures a previous stack recorded are of jobs that are gone.
        for (Path dir : List.of(failedDir(options.home()), deadLetterDir(options.home()))) {
            if (java.nio.file.Files.isDirectory(dir)) {
                try (var old = java.nio.file.Files.list(dir)) {
                    old.forEach(f -> f.toFile().delete());
                }
            }
        }
        log.accept("starting DynamoDB Local and the S3 emulator on loopback…");
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

        String baseUrl;
        String key;
        if (options.openaiKey() != null && !options.openaiKey().isBlank()) {
            baseUrl =
                    options.openaiBaseUrl() != null
                            ? options.openaiBaseUrl()
                            : "https://api.openai.com/v1";
            key = options.openaiKey();
            providerDescription = "OpenAI at " + baseUrl + " (OPENAI_API_KEY is set)";
        } else {
            simulator = OpenAiSimulator.builder().stepDuration(Duration.ofSeconds(1)).start();
            closeables.add(simulator);
            baseUrl = simulator.baseUrl();
            key = "sk-local-simulator";
            providerDescription =
                    "the OpenAI simulator at " + baseUrl + " (set OPENAI_API_KEY for the real API)";
        }
        String anthropicUrl;
        String anthropicKey;
        if (options.anthropicKey() != null && !options.anthropicKey().isBlank()) {
            anthropicUrl =
                    options.anthropicBaseUrl() != null
                            ? options.anthropicBaseUrl()
                            : "https://api.anthropic.com";
            anthropicKey = options.anthropicKey();
            providerDescription += "; Anthropic at " + anthropicUrl + " (ANTHROPIC_API_KEY is set)";
        } else {
            AnthropicSimulator anthropic =
                    AnthropicSimulator.builder().stepDuration(Duration.ofSeconds(1)).start();
            closeables.add(anthropic);
            anthropicUrl = anthropic.baseUrl();
            anthropicKey = "sk-ant-local-simulator";
            providerDescription += "; the Anthropic simulator at " + anthropicUrl;
        }
        Map<String, String> env = new HashMap<>();
        for (VendorTarget vendor : VendorTarget.ALL) {
            String vendorKey = options.vendorEnv().get(vendor.keyVariable());
            String vendorUrl = options.vendorEnv().get(vendor.baseUrlVariable());
            boolean real =
                    vendorKey != null
                            && !vendorKey.isBlank()
                            && (vendor.dialect() != Dialect.AZURE
                                    || (vendorUrl != null && !vendorUrl.isBlank()));
            if (real) {
                if (vendorUrl != null && !vendorUrl.isBlank()) {
                    env.put(vendor.functionVariable("BASE_URL"), vendorUrl);
                }
                env.put(vendor.functionVariable("API_KEY"), vendorKey);
                providerDescription +=
                        "; "
                                + vendor.name()
                                + " at "
                                + (vendorUrl == null ? "its public API" : vendorUrl)
                                + " ("
                                + vendor.keyVariable()
                                + " is set)";
            } else {
                OpenAiSimulator sim =
                        OpenAiSimulator.builder()
                                .dialect(vendor.dialect())
                                .stepDuration(Duration.ofSeconds(1))
                                .start();
                closeables.add(sim);
                env.put(vendor.functionVariable("BASE_URL"), sim.baseUrl());
                env.put(
                        vendor.functionVariable("API_KEY"),
                        "local-" + vendor.name() + "-simulator");
                providerDescription += "; the " + vendor.name() + " simulator at " + sim.baseUrl();
            }
        }
        // Bedrock reads and writes the lane's own bucket: its simulator works on the same S3
        // emulator.
        BedrockSimulator bedrock =
                BedrockSimulator.builder()
                        .s3(s3)
                        .region(REGION)
                        .account(ACCOUNT)
                        .stepDuration(Duration.ofSeconds(1))
                        .start();
        closeables.add(bedrock);
        providerDescription += "; the Bedrock simulator at " + bedrock.endpoint();
        String geminiUrl;
        String geminiKey;
        if (options.geminiKey() != null && !options.geminiKey().isBlank()) {
            geminiUrl =
                    options.geminiBaseUrl() != null
                            ? options.geminiBaseUrl()
                            : "https://generativelanguage.googleapis.com";
            geminiKey = options.geminiKey();
            providerDescription += "; Gemini at " + geminiUrl + " (GEMINI_API_KEY is set)";
        } else {
            var builder =
                    GeminiSimulator.builder()
                            .stepDuration(Duration.ofSeconds(1))
                            .apiKey("AIza-local-simulator");
            // Next to the repository, Google's discovery document holds every call to its schemas.
            var discovery = DiscoveryDocument.find("gemini-batches.json");
            if (discovery.isPresent()) {
                builder.discovery(DiscoveryDocument.load(discovery.get()));
            }
            geminiSimulator = builder.start();
            closeables.add(geminiSimulator);
            geminiUrl = geminiSimulator.baseUrl();
            geminiKey = "AIza-local-simulator";
            providerDescription +=
                    "; the Gemini simulator at "
                            + geminiUrl
                            + (discovery.isPresent()
                                    ? " (checked against " + discovery.get().getFileName() + ")"
                                    : "");
        }
        log.accept("providers: " + providerDescription);

        // IAM as deployed: every AWS call of a function goes through the enforcing proxy, signed
        // with
        // that function's own key, and is checked against its role in the template.
        Path iamTemplate = iamTemplate(options, templatePath);
        String streamArn =
                DynamoRules.normalizeStreamArn(
                        dynamo.describeTable(b -> b.tableName(TABLE)).table().latestStreamArn(),
                        REGION);
        roles =
                DeployedRoles.read(
                        iamTemplate,
                        new DeployedRoles.LocalNames(REGION, ACCOUNT, BUCKET, TABLE, streamArn));
        Map<String, String> secrets = new HashMap<>();
        for (DeployedRoles.Role role : roles.roles().values()) {
            putSecret(secrets, role.environment().get(ENV_OPENAI_SECRET), key);
            putSecret(secrets, role.environment().get(ENV_ANTHROPIC_SECRET), anthropicKey);
            putSecret(
                    secrets,
                    role.environment().get(LaneNames.ENV_GEMINI_API_KEY_SECRET),
                    geminiKey);
            // The other providers' keys (simulator keys, or real ones from the environment) are
            // served from the secrets the template names, as deployed functions read them.
            for (Map.Entry<String, String> e : env.entrySet()) {
                if (e.getKey().startsWith("BATCHLANE_") && e.getKey().endsWith("_API_KEY")) {
                    putSecret(
                            secrets, role.environment().get(e.getKey() + "_SECRET"), e.getValue());
                }
            }
        }
        EventBridgeRules events = new EventBridgeRules(REGION, ACCOUNT);
        EnforcingProxy.Builder proxy =
                EnforcingProxy.builder()
                        .operatorKey(OPERATOR_KEY)
                        .service(new S3Rules(REGION, roles.bucketKmsKey()), s3Server.endpoint())
                        .service(new DynamoRules(REGION, ACCOUNT), dynamoServer.endpoint())
                        .service(new SecretsManagerRules(secrets), null)
                        .service(events, null)
                        // The control plane and bedrock-runtime both sign as "bedrock"; one
                        // simulator plays both.
                        .service(new BedrockRules(REGION, ACCOUNT), URI.create(bedrock.endpoint()))
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
        for (String fn : LaneTemplate.FUNCTIONS) {
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

        String proxyUrl = iam.endpoint().toString();
        // The functions' S3 and DynamoDB clients are the Quarkus extensions'; these are their
        // settings.
        env.put("QUARKUS_S3_ENDPOINT_OVERRIDE", proxyUrl);
        env.put("QUARKUS_S3_PATH_STYLE_ACCESS", "true");
        env.put("QUARKUS_DYNAMODB_ENDPOINT_OVERRIDE", proxyUrl);
        env.put("BATCHLANE_AWS_SECRETSMANAGER_ENDPOINT", proxyUrl);
        env.put("BATCHLANE_AWS_EVENTS_ENDPOINT", proxyUrl);
        env.put("BATCHLANE_AWS_REGION", REGION);
        env.put("AWS_REGION", REGION);
        env.put("AWS_SECRET_ACCESS_KEY", "local");
        env.put("OPENAI_BASE_URL", baseUrl);
        env.put("ANTHROPIC_BASE_URL", anthropicUrl);
        // Bedrock's calls go through the enforcement too; the service role to pass and the default
        // model are the template's (BATCHLANE_BEDROCK_ROLE_ARN, BATCHLANE_BEDROCK_DEFAULT_MODEL).
        env.put("BATCHLANE_BEDROCK_ENDPOINT", proxyUrl);
        env.put("GOOGLE_GEMINI_BASE_URL", geminiUrl);
        env.put("BATCHLANE_GEMINI_API_KEY", geminiKey);
        env.put("BATCHLANE_POLL_FIRST_DELAY", "PT1S");
        env.put("BATCHLANE_POLL_MAX_DELAY", "PT5S");
        env.put("BATCHLANE_SHARD_MAX_REQUESTS", Integer.toString(options.maxRequestsPerShard()));
        // Plain-text logs in .batchlane/logs; on Lambda they are JSON for CloudWatch Logs Insights.
        env.put("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "false");
        Path runJar =
                options.home()
                        .resolve("functions/target/batchlane-functions-0.1.0-SNAPSHOT-runner.jar");
        Path logs = options.home().resolve(".batchlane/logs");
        log.accept(
                "starting the functions ingest, poll and complete (logs in "
                        + logs
                        + ") as the template "
                        + templatePath
                        + " deploys them…");
        for (String fn : List.of("ingest", "poll", "complete")) {
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
        wiring.scheduleWithFixedDelay(this::deliverS3Events, 0, 500, TimeUnit.MILLISECONDS);
        wiring.scheduleWithFixedDelay(
                this::firePoll,
                options.pollRate().toMillis(),
                options.pollRate().toMillis(),
                TimeUnit.MILLISECONDS);
        wiring.scheduleWithFixedDelay(this::deliverStream, 500, 500, TimeUnit.MILLISECONDS);
    }

    static final String ENV_OPENAI_SECRET = "BATCHLANE_OPENAI_API_KEY_SECRET";
    static final String ENV_ANTHROPIC_SECRET = "BATCHLANE_ANTHROPIC_API_KEY_SECRET";

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

    public String providerDescription() {
        return providerDescription;
    }

    public S3Client s3() {
        return s3;
    }

    public DynamoJobStore jobs() {
        return jobs;
    }

    /** The Gemini simulator standing in for Google, or null when the real API is used. */
    public GeminiSimulator geminiSimulator() {
        return geminiSimulator;
    }

    // ---- the parts AWS plays ----

    /**
     * S3 → ingest: one ObjectCreated event per new object (key and ETag) under inbox/ and cancel/.
     */
    void deliverS3Events() {
        try {
            var objects =
                    java.util.stream.Stream.of("inbox/", "cancel/", Keys.RESUME, Keys.REDRIVE)
                            .flatMap(
                                    prefix ->
                                            s3
                                                    .listObjectsV2Paginator(
                                                            b -> b.bucket(BUCKET).prefix(prefix))
                                                    .contents()
                                                    .stream())
                            .toList();
            for (S3Object o : objects) {
                String identity = o.key() + "@" + o.eTag();
                if (o.key().endsWith("/") || !delivered.add(identity)) {
                    continue;
                }
                String event = s3Event(o);
                String error = invokeWithRetries("ingest", event, ASYNC_ATTEMPTS);
                if (error != null && o.key().startsWith("inbox/")) {
                    ingestFailed(
                            Keys.jobId(BUCKET, o.key(), o.eTag().replace("\"", "")),
                            o.key(),
                            error);
                }
                var resumed = Keys.jobIdUnder(Keys.RESUME, o.key());
                if (error == null && resumed.isPresent()) {
                    ingestResumed(resumed.get());
                }
            }
        } catch (RuntimeException e) {
            if (!wiring.isShutdown()) {
                options.log().accept("S3 event delivery: " + e.getMessage());
            }
        }
    }

    /**
     * EventBridge → poll, at the configured rate; a tick that finds poll busy is skipped, as on
     * Lambda with concurrency 1.
     */
    void firePoll() {
        try {
            ObjectNode event = JSON.createObjectNode();
            event.put("version", "0");
            event.put("id", java.util.UUID.randomUUID().toString());
            event.put("detail-type", "Scheduled Event");
            event.put("source", "aws.events");
            event.put("time", Instant.now().toString());
            event.put("region", REGION);
            event.putArray("resources")
                    .add("arn:aws:events:" + REGION + ":000000000000:rule/batchlane-poll");
            event.putObject("detail");
            apis.get("poll").invokeAndWait(event.toString());
        } catch (RuntimeException e) {
            if (!wiring.isShutdown()) {
                options.log().accept("poll: " + e.getMessage());
            }
        }
    }

    /**
     * Table stream → complete, filtered like the deployed event-source mapping: shards that reached
     * ENDED.
     */
    void deliverStream() {
        try {
            for (String event : pump.drain(100)) {
                String filtered = endedOnly(event);
                if (filtered != null
                        && invokeWithRetries("complete", filtered, STREAM_ATTEMPTS) != null) {
                    deadLetter(filtered);
                }
            }
        } catch (RuntimeException e) {
            if (!wiring.isShutdown()) {
                options.log().accept("stream delivery: " + e.getMessage());
            }
        }
    }

    static String endedOnly(String event) {
        try {
            JsonNode root = JSON.readTree(event);
            ObjectNode out = JSON.createObjectNode();
            ArrayNode records = out.putArray("Records");
            for (JsonNode r : root.path("Records")) {
                JsonNode ddb = r.path("dynamodb");
                if ("shard".equals(ddb.at("/NewImage/type/S").asText())
                        && "ENDED".equals(ddb.at("/NewImage/status/S").asText())
                        && !"ENDED".equals(ddb.at("/OldImage/status/S").asText())) {
                    records.add(r);
                } else if ("job".equals(ddb.at("/NewImage/type/S").asText())
                        && "RUNNING".equals(ddb.at("/NewImage/status/S").asText())
                        && ddb.path("NewImage").has(DynamoJobStore.FINISH_REQUESTED)
                        && !ddb.path("OldImage").has(DynamoJobStore.FINISH_REQUESTED)) {
                    records.add(r);
                }
            }
            return records.isEmpty() ? null : out.toString();
        } catch (IOException e) {
            throw new IllegalStateException("unreadable stream event", e);
        }
    }

    /** Null when an attempt succeeded, else the last attempt's error. */
    private String invokeWithRetries(String function, String event, int attempts) {
        String error = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                apis.get(function).invokeAndWait(event);
                return null;
            } catch (RuntimeApi.FunctionError | IllegalStateException e) {
                error = e.getMessage();
                options.log()
                        .accept(
                                function
                                        + " failed (attempt "
                                        + attempt
                                        + " of "
                                        + attempts
                                        + "): "
                                        + abbreviate(error));
            }
        }
        return error;
    }

    /** Recorded here for 'run', and under .batchlane/failed/ for 'status' in another process. */
    private void ingestFailed(String jobId, String key, String error) {
        String reason =
                "ingest of "
                        + key
                        + " failed all "
                        + ASYNC_ATTEMPTS
                        + " attempts; last error: "
                        + abbreviate(error);
        ingestFailures.put(jobId, reason);
        try {
            Path dir = failedDir(options.home());
            java.nio.file.Files.createDirectories(dir);
            java.nio.file.Files.writeString(dir.resolve(jobId + ".txt"), reason);
        } catch (IOException e) {
            options.log()
                    .accept("could not record the failure of " + jobId + ": " + e.getMessage());
        }
    }

    static Path failedDir(Path home) {
        return home.resolve(".batchlane/failed");
    }

    /**
     * Where stream records that failed every attempt wait, like the deployment's dead-letter queue.
     */
    static Path deadLetterDir(Path home) {
        return home.resolve(".batchlane/dead-letter");
    }

    /**
     * A stream batch that failed all its attempts: kept under .batchlane/dead-letter/ with the jobs
     * it names, for './batchlane redrive' (on AWS the queue keeps the batch's stream coordinates).
     */
    private void deadLetter(String event) {
        try {
            Path dir = deadLetterDir(options.home());
            java.nio.file.Files.createDirectories(dir);
            Path file =
                    dir.resolve(
                            System.currentTimeMillis()
                                    + "-"
                                    + Long.toHexString(System.nanoTime())
                                    + ".json");
            java.nio.file.Files.writeString(file, event);
            options.log()
                    .accept(
                            "complete failed all "
                                    + STREAM_ATTEMPTS
                                    + " attempts; the records wait in "
                                    + file
                                    + " (./batchlane redrive)");
        } catch (IOException e) {
            options.log().accept("could not keep a failed stream batch: " + e.getMessage());
        }
    }

    /** A resume/<jobId> that ingest handled: the job's recorded ingest failure no longer holds. */
    private void ingestResumed(String jobId) {
        ingestFailures.remove(jobId);
        try {
            java.nio.file.Files.deleteIfExists(failedDir(options.home()).resolve(jobId + ".txt"));
        } catch (IOException e) {
            options.log().accept("could not clear the failure of " + jobId + ": " + e.getMessage());
        }
    }

    /**
     * Why this job cannot progress, when the stack knows: its ingest failed every attempt, or a
     * call was denied.
     */
    public java.util.Optional<String> failure(String jobId) {
        String failed = ingestFailures.get(jobId);
        if (failed == null && iam != null) {
            // A call the deployed role refuses fails on AWS however the local run goes on: stop at
            // it.
            failed =
                    iam.denials().stream()
                            .findFirst()
                            .map(
                                    o ->
                                            "IAM: "
                                                    + o.function()
                                                    + " was denied "
                                                    + o.action()
                                                    + " on "
                                                    + o.resource()
                                                    + " by its role in the template; on AWS this call fails with AccessDenied")
                            .orElse(null);
        }
        return java.util.Optional.ofNullable(failed);
    }

    public DynamoDbClient dynamo() {
        return dynamo;
    }

    FunctionProcess process(String function) {
        return processes.get(function);
    }

    private String s3Event(S3Object o) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode r = root.putArray("Records").addObject();
        r.put("eventVersion", "2.1");
        r.put("eventSource", "aws:s3");
        r.put("awsRegion", REGION);
        r.put("eventTime", Instant.now().toString());
        r.put("eventName", "ObjectCreated:Put");
        ObjectNode s3node = r.putObject("s3");
        s3node.put("s3SchemaVersion", "1.0");
        s3node.put("configurationId", "batchlane-inbox");
        ObjectNode bucket = s3node.putObject("bucket");
        bucket.put("name", BUCKET);
        bucket.put("arn", "arn:aws:s3:::" + BUCKET);
        ObjectNode object = s3node.putObject("object");
        // S3 URL-encodes the key in notifications (spaces as '+').
        object.put("key", URLEncoder.encode(o.key(), StandardCharsets.UTF_8).replace("%2F", "/"));
        object.put("size", o.size());
        object.put("eTag", o.eTag().replace("\"", ""));
        object.put("sequencer", Long.toHexString(System.nanoTime()));
        return root.toString();
    }

    private static String abbreviate(String s) {
        return s.length() > 400 ? s.substring(0, 400) + "…" : s;
    }

    @Override
    public void close() {
        wiring.shutdownNow();
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
