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
import dev.batchlane.emulators.DynamoDbLocalServer;
import dev.batchlane.emulators.S3MockServer;
import dev.batchlane.simulator.anthropic.AnthropicSimulator;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import java.io.IOException;
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
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The whole lane on one machine: DynamoDB Local and S3Mock on loopback, the provider simulator
 * (or the real provider when its key is set), and the three packaged functions, wired as AWS
 * wires them — an S3 ObjectCreated event for each new object under inbox/, the poll schedule at a
 * fixed rate, and the table's stream records of shards reaching ENDED delivered to complete.
 */
public final class Stack implements AutoCloseable {
    public static final String BUCKET = "batchlane-local";
    public static final String TABLE = "batchlane-jobs";
    private static final String REGION = LocalAws.REGION.id();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Lambda retries a failed asynchronous (S3) invocation twice. */
    private static final int ASYNC_ATTEMPTS = 3;
    private static final int STREAM_ATTEMPTS = 5;

    /** How the stack is started. {@code openaiKey} null means the simulator stands in for OpenAI. */
    /**
     * How the stack is started. {@code openaiKey} null means the simulator stands in for OpenAI;
     * {@code template} null means $BATCHLANE_TEMPLATE, else the template infra/cdk's build wrote.
     */
    public record Options(Path home, Duration pollRate, int maxRequestsPerShard, String openaiKey, String openaiBaseUrl,
            Consumer<String> log, String anthropicKey, String anthropicBaseUrl, Path template) {

        public Options(Path home, Duration pollRate, int maxRequestsPerShard, String openaiKey, String openaiBaseUrl,
                Consumer<String> log, String anthropicKey, String anthropicBaseUrl) {
            this(home, pollRate, maxRequestsPerShard, openaiKey, openaiBaseUrl, log, anthropicKey, anthropicBaseUrl, null);
        }

        public Options(Path home, Duration pollRate, int maxRequestsPerShard, String openaiKey, String openaiBaseUrl,
                Consumer<String> log) {
            this(home, pollRate, maxRequestsPerShard, openaiKey, openaiBaseUrl, log, null, null, null);
        }

        public Options withTemplate(Path path) {
            return new Options(home, pollRate, maxRequestsPerShard, openaiKey, openaiBaseUrl, log, anthropicKey,
                    anthropicBaseUrl, path);
        }
    }

    private final Options options;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final Map<String, RuntimeApi> apis = new HashMap<>();
    private final Map<String, FunctionProcess> processes = new HashMap<>();
    /** Jobs whose ingest failed every attempt, and the last error: the run cannot progress. */
    private final Map<String, String> ingestFailures = new ConcurrentHashMap<>();
    private final Set<String> delivered = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService wiring = Executors.newScheduledThreadPool(3, r -> {
        Thread t = new Thread(r, "local-wiring");
        t.setDaemon(true);
        return t;
    });
    private S3MockServer s3Server;
    private DynamoDbLocalServer dynamoServer;
    private OpenAiSimulator simulator;
    private S3Client s3;
    private DynamoDbClient dynamo;
    private StreamPump pump;
    private DynamoJobStore jobs;
    private String providerDescription;

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
        // Read first: without it the functions cannot be run as deployed, so fail before starting anything.
        Map<String, LaneTemplate.FunctionSettings> settings = LaneTemplate.read(templatePath);
        // The emulators start empty: failures a previous stack recorded are of jobs that are gone.
        if (java.nio.file.Files.isDirectory(failedDir(options.home()))) {
            try (var old = java.nio.file.Files.list(failedDir(options.home()))) {
                old.forEach(f -> f.toFile().delete());
            }
        }
        log.accept("starting DynamoDB Local and the S3 emulator on loopback…");
        dynamoServer = DynamoDbLocalServer.start();
        closeables.add(dynamoServer);
        Path s3mockJar = options.home().resolve("infra/local/target/s3mock/s3mock.jar");
        s3Server = S3MockServer.start(s3mockJar.toFile().isFile() ? s3mockJar : S3MockServer.locateJar(),
                freePort(), BUCKET);
        closeables.add(s3Server);
        s3 = LocalAws.s3(s3Server.endpoint());
        dynamo = LocalAws.dynamo(dynamoServer.endpoint());
        DynamoDbStreamsClient streams = LocalAws.streams(dynamoServer.endpoint());
        TableSetup.create(dynamo, TABLE);
        pump = new StreamPump(dynamo, streams, TABLE, REGION);
        jobs = new DynamoJobStore(dynamo, TABLE);

        String baseUrl;
        String key;
        if (options.openaiKey() != null && !options.openaiKey().isBlank()) {
            baseUrl = options.openaiBaseUrl() != null ? options.openaiBaseUrl() : "https://api.openai.com/v1";
            key = options.openaiKey();
            providerDescription = "OpenAI at " + baseUrl + " (OPENAI_API_KEY is set)";
        } else {
            simulator = OpenAiSimulator.builder().stepDuration(Duration.ofSeconds(1)).start();
            closeables.add(simulator);
            baseUrl = simulator.baseUrl();
            key = "sk-local-simulator";
            providerDescription = "the OpenAI simulator at " + baseUrl + " (set OPENAI_API_KEY for the real API)";
        }
        String anthropicUrl;
        String anthropicKey;
        if (options.anthropicKey() != null && !options.anthropicKey().isBlank()) {
            anthropicUrl = options.anthropicBaseUrl() != null ? options.anthropicBaseUrl() : "https://api.anthropic.com";
            anthropicKey = options.anthropicKey();
            providerDescription += "; Anthropic at " + anthropicUrl + " (ANTHROPIC_API_KEY is set)";
        } else {
            AnthropicSimulator anthropic = AnthropicSimulator.builder().stepDuration(Duration.ofSeconds(1)).start();
            closeables.add(anthropic);
            anthropicUrl = anthropic.baseUrl();
            anthropicKey = "sk-ant-local-simulator";
            providerDescription += "; the Anthropic simulator at " + anthropicUrl;
        }
        log.accept("providers: " + providerDescription);

        Map<String, String> env = new HashMap<>();
        env.put("BATCHLANE_BUCKET", BUCKET);
        env.put("BATCHLANE_TABLE", TABLE);
        // The functions' S3 and DynamoDB clients are the Quarkus extensions'; these are their settings.
        env.put("QUARKUS_S3_ENDPOINT_OVERRIDE", s3Server.endpoint().toString());
        env.put("QUARKUS_S3_PATH_STYLE_ACCESS", "true");
        env.put("QUARKUS_DYNAMODB_ENDPOINT_OVERRIDE", dynamoServer.endpoint().toString());
        env.put("BATCHLANE_AWS_REGION", REGION);
        env.put("AWS_REGION", REGION);
        env.put("AWS_ACCESS_KEY_ID", "local");
        env.put("AWS_SECRET_ACCESS_KEY", "local");
        env.put("OPENAI_BASE_URL", baseUrl);
        env.put("BATCHLANE_OPENAI_API_KEY", key);
        env.put("ANTHROPIC_BASE_URL", anthropicUrl);
        env.put("BATCHLANE_ANTHROPIC_API_KEY", anthropicKey);
        env.put("BATCHLANE_POLL_FIRST_DELAY", "PT1S");
        env.put("BATCHLANE_POLL_MAX_DELAY", "PT5S");
        env.put("BATCHLANE_SHARD_MAX_REQUESTS", Integer.toString(options.maxRequestsPerShard()));
        // Plain-text logs in .batchlane/logs; on Lambda they are JSON for CloudWatch Logs Insights.
        env.put("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "false");
        Path runJar = options.home().resolve("functions/target/batchlane-functions-0.1.0-SNAPSHOT-runner.jar");
        Path logs = options.home().resolve(".batchlane/logs");
        log.accept("starting the functions ingest, poll and complete (logs in " + logs + ") as the template "
                + templatePath + " deploys them…");
        for (String fn : List.of("ingest", "poll", "complete")) {
            LaneTemplate.FunctionSettings fs = settings.get(fn);
            RuntimeApi api = new RuntimeApi(fn, fs.timeout());
            closeables.add(api);
            apis.put(fn, api);
            FunctionProcess process = FunctionProcess.start(fs, runJar, options.home().resolve("infra/local/target/ric"),
                    api, env, logs, options.home().resolve(".batchlane/tmp"), log);
            closeables.add(process);
            processes.put(fn, process);
            log.accept("  " + process);
            api.onTimeout(message -> {
                log.accept(fn + ": " + message + "; the process is killed and a new one started");
                process.restart(message);
            });
            // One at a time: AWS's runtime client unpacks its native library to a fixed path in /tmp,
            // and two JVMs unpacking it at once crash each other.
            try {
                if (!api.awaitConnected(Duration.ofSeconds(90))) {
                    throw new IllegalStateException("the " + fn + " function did not start within 90 s; see " + process.log());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting " + fn, e);
            }
        }
        wiring.scheduleWithFixedDelay(this::deliverS3Events, 0, 500, TimeUnit.MILLISECONDS);
        wiring.scheduleWithFixedDelay(this::firePoll, options.pollRate().toMillis(), options.pollRate().toMillis(),
                TimeUnit.MILLISECONDS);
        wiring.scheduleWithFixedDelay(this::deliverStream, 500, 500, TimeUnit.MILLISECONDS);
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

    // ---- the parts AWS plays ----

    /** S3 → ingest: one ObjectCreated event per new object (key and ETag) under inbox/ and cancel/. */
    void deliverS3Events() {
        try {
            var objects = java.util.stream.Stream.concat(
                    s3.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix("inbox/")).contents().stream(),
                    s3.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix("cancel/")).contents().stream()).toList();
            for (S3Object o : objects) {
                String identity = o.key() + "@" + o.eTag();
                if (o.key().endsWith("/") || !delivered.add(identity)) {
                    continue;
                }
                String event = s3Event(o);
                String error = invokeWithRetries("ingest", event, ASYNC_ATTEMPTS);
                if (error != null && o.key().startsWith("inbox/")) {
                    ingestFailed(Keys.jobId(BUCKET, o.key(), o.eTag().replace("\"", "")), o.key(), error);
                }
            }
        } catch (RuntimeException e) {
            if (!wiring.isShutdown()) {
                options.log().accept("S3 event delivery: " + e.getMessage());
            }
        }
    }

    /** EventBridge → poll, at the configured rate; a tick that finds poll busy is skipped, as on Lambda with concurrency 1. */
    void firePoll() {
        try {
            ObjectNode event = JSON.createObjectNode();
            event.put("version", "0");
            event.put("id", java.util.UUID.randomUUID().toString());
            event.put("detail-type", "Scheduled Event");
            event.put("source", "aws.events");
            event.put("time", Instant.now().toString());
            event.put("region", REGION);
            event.putArray("resources").add("arn:aws:events:" + REGION + ":000000000000:rule/batchlane-poll");
            event.putObject("detail");
            apis.get("poll").invokeAndWait(event.toString());
        } catch (RuntimeException e) {
            if (!wiring.isShutdown()) {
                options.log().accept("poll: " + e.getMessage());
            }
        }
    }

    /** Table stream → complete, filtered like the deployed event-source mapping: shards that reached ENDED. */
    void deliverStream() {
        try {
            for (String event : pump.drain(100)) {
                String filtered = endedOnly(event);
                if (filtered != null) {
                    invokeWithRetries("complete", filtered, STREAM_ATTEMPTS);
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
                options.log().accept(function + " failed (attempt " + attempt + " of " + attempts + "): "
                        + abbreviate(error));
            }
        }
        return error;
    }

    /** Recorded here for 'run', and under .batchlane/failed/ for 'status' in another process. */
    private void ingestFailed(String jobId, String key, String error) {
        String reason = "ingest of " + key + " failed all " + ASYNC_ATTEMPTS + " attempts; last error: " + abbreviate(error);
        ingestFailures.put(jobId, reason);
        try {
            Path dir = failedDir(options.home());
            java.nio.file.Files.createDirectories(dir);
            java.nio.file.Files.writeString(dir.resolve(jobId + ".txt"), reason);
        } catch (IOException e) {
            options.log().accept("could not record the failure of " + jobId + ": " + e.getMessage());
        }
    }

    static Path failedDir(Path home) {
        return home.resolve(".batchlane/failed");
    }

    /** Why this job cannot progress, when the stack knows: its ingest failed every attempt. */
    public java.util.Optional<String> failure(String jobId) {
        return java.util.Optional.ofNullable(ingestFailures.get(jobId));
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

    private static int freePort() {
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        wiring.shutdownNow();
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                options.log().accept("stopping " + closeables.get(i).getClass().getSimpleName() + ": " + e.getMessage());
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
