package dev.batchlane.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.aws.LocalAws;
import dev.batchlane.aws.dynamo.TableSetup;
import dev.batchlane.emulators.DynamoDbLocalServer;
import dev.batchlane.emulators.S3MockServer;
import dev.batchlane.simulator.anthropic.AnthropicSimulator;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Cold start of each packaged function as Lambda reports it: <b>init</b> (JVM launch until the
 * runtime asks the Runtime API for its first event) and the <b>first invocation</b> (event sent
 * until the answer is back, which is where the CDI beans and so the AWS clients are built). Each
 * run starts a fresh JVM per function under the template's memory and JVM options, against the same
 * emulators and simulators. Not a test of behaviour: run on demand (docs/BENCHMARKS.md):
 *
 * <pre>
 * ./mvnw -B -ntp -o package -pl functions,infra/cdk -am -DskipTests
 * ./mvnw -B -ntp -o verify -pl infra/local -Dtest=ColdStartBenchmark -Dsurefire.excludedGroups=none \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dcoldstart.runs=5
 * </pre>
 *
 * Figures go to the console and to {@code infra/local/target/cold-start.json}; {@code
 * -Dcoldstart.runners} and {@code -Dcoldstart.s3} are described where they are read.
 */
@Tag("benchmark")
class ColdStartBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BUCKET = "batchlane-bench";
    private static final String TABLE = "batchlane-jobs";

    @Test
    void coldStartOfEachFunction(@TempDir Path tmp) throws Exception {
        int runs = Integer.getInteger("coldstart.runs", 5);
        Path home = Path.of("../..").toAbsolutePath().normalize();
        Map<String, LaneTemplate.FunctionSettings> settings =
                LaneTemplate.read(LaneTemplate.locate(home, null));
        // -Dcoldstart.runners=A,B measures other builds too (each runner jar with its lib/ beside
        // it), e.g. one
        // kept from before a change; runs alternate between them so that both see the same machine
        // load.
        List<Path> runners = new ArrayList<>();
        for (String r :
                System.getProperty(
                                "coldstart.runners",
                                home.resolve(
                                                "functions/target/batchlane-functions-0.1.0-SNAPSHOT-runner.jar")
                                        .toString())
                        .split(",")) {
            runners.add(Path.of(r.trim()));
        }
        List<String> lines =
                Files.readAllLines(home.resolve("examples/fraud-scoring.jsonl")).subList(0, 20);
        Map<String, List<long[]>> figures = new HashMap<>();
        try (DynamoDbLocalServer dynamoServer = DynamoDbLocalServer.start();
                S3 s3Server = s3(home);
                OpenAiSimulator openai =
                        OpenAiSimulator.builder().stepDuration(Duration.ofSeconds(1)).start();
                AnthropicSimulator anthropic =
                        AnthropicSimulator.builder().stepDuration(Duration.ofSeconds(1)).start();
                S3Client s3 = LocalAws.s3(s3Server.endpoint());
                DynamoDbClient dynamo = LocalAws.dynamo(dynamoServer.endpoint())) {
            TableSetup.create(dynamo, TABLE);
            // What the local stack gives every function (see Stack), less the parts no invocation
            // here needs.
            Map<String, String> env = new HashMap<>();
            env.put("BATCHLANE_BUCKET", BUCKET);
            env.put("BATCHLANE_TABLE", TABLE);
            env.put("QUARKUS_S3_ENDPOINT_OVERRIDE", s3Server.endpoint().toString());
            env.put("QUARKUS_S3_PATH_STYLE_ACCESS", "true");
            env.put("QUARKUS_DYNAMODB_ENDPOINT_OVERRIDE", dynamoServer.endpoint().toString());
            env.put("AWS_REGION", LocalAws.REGION.id());
            env.put("AWS_ACCESS_KEY_ID", "local");
            env.put("AWS_SECRET_ACCESS_KEY", "local");
            env.put("OPENAI_BASE_URL", openai.baseUrl());
            env.put("BATCHLANE_OPENAI_API_KEY", "sk-local-simulator");
            env.put("ANTHROPIC_BASE_URL", anthropic.baseUrl());
            env.put("BATCHLANE_ANTHROPIC_API_KEY", "sk-ant-local-simulator");
            env.put("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "false");
            // Builds from before the Quarkus S3/DynamoDB extensions read their endpoints from
            // these.
            env.put("BATCHLANE_AWS_S3_ENDPOINT", s3Server.endpoint().toString());
            env.put("BATCHLANE_AWS_DYNAMODB_ENDPOINT", dynamoServer.endpoint().toString());
            for (int run = 1; run <= runs; run++) {
                for (int r = 0; r < runners.size(); r++) {
                    Path runJar = runners.get(r);
                    String label = runners.size() == 1 ? "" : "build " + (r + 1) + " ";
                    String key = "inbox/openai/cold-" + run + "-" + r + ".jsonl";
                    s3.putObject(
                            b -> b.bucket(BUCKET).key(key),
                            RequestBody.fromString(String.join("\n", lines) + "\n"));
                    var head = s3.headObject(b -> b.bucket(BUCKET).key(key));
                    String etag = head.eTag().replace("\"", "");
                    Map<String, String> events =
                            Map.of(
                                    "ingest",
                                    s3Event(key, etag, head.contentLength()),
                                    "poll",
                                    "{\"version\":\"0\",\"id\":\"bench-"
                                            + run
                                            + "\",\"detail-type\":\"Scheduled Event\","
                                            + "\"source\":\"aws.events\",\"time\":\""
                                            + Instant.now()
                                            + "\",\"region\":\"us-east-1\","
                                            + "\"resources\":[],\"detail\":{}}",
                                    "complete",
                                    "{\"Records\":[]}");
                    for (String fn : List.of("ingest", "poll", "complete")) {
                        LaneTemplate.FunctionSettings fs = settings.get(fn);
                        try (RuntimeApi api = new RuntimeApi(fn, fs.timeout())) {
                            long t0 = System.nanoTime();
                            try (FunctionProcess process =
                                    FunctionProcess.start(
                                            fs,
                                            runJar,
                                            home.resolve("infra/local/target/ric"),
                                            api,
                                            env,
                                            tmp.resolve("logs-" + run + "-" + r),
                                            tmp.resolve("tmp"),
                                            line -> {})) {
                                assertThat(api.awaitConnected(Duration.ofSeconds(120)))
                                        .as(fn + " started")
                                        .isTrue();
                                long init = System.nanoTime() - t0;
                                long t1 = System.nanoTime();
                                String answer = api.invokeAndWait(events.get(fn));
                                long first = System.nanoTime() - t1;
                                assertThat(answer).as(fn + " answered").isNotBlank();
                                figures.computeIfAbsent(label + fn, k -> new ArrayList<>())
                                        .add(new long[] {init / 1_000_000, first / 1_000_000});
                            }
                        }
                    }
                }
            }
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("runs", runs);
        out.put("loadAverageAfter", Files.readString(Path.of("/proc/loadavg")).trim());
        System.out.println("cold start, ms (median of " + runs + "; min–max)");
        for (String fn : figures.keySet().stream().sorted().toList()) {
            List<long[]> f = figures.get(fn);
            ObjectNode node = out.putObject(fn);
            ArrayNode init = node.putArray("initMs");
            ArrayNode first = node.putArray("firstInvocationMs");
            f.forEach(
                    r -> {
                        init.add(r[0]);
                        first.add(r[1]);
                    });
            System.out.println(
                    String.format(
                            Locale.ROOT,
                            "  %-16s init %s  first invocation %s  total %s",
                            fn,
                            summary(f, 0),
                            summary(f, 1),
                            summary(f.stream().map(r -> new long[] {r[0] + r[1]}).toList(), 0)));
        }
        ArrayNode builds = out.putArray("builds");
        runners.forEach(r -> builds.add(r.toString()));
        Files.writeString(
                Path.of(System.getProperty("coldstart.out", "target/cold-start.json")),
                out.toPrettyString());
    }

    private static String summary(List<long[]> rows, int column) {
        long[] v = rows.stream().mapToLong(r -> r[column]).sorted().toArray();
        return String.format(Locale.ROOT, "%d (%d–%d)", v[v.length / 2], v[0], v[v.length - 1]);
    }

    private static String s3Event(String key, String etag, long size) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode r = root.putArray("Records").addObject();
        r.put("eventVersion", "2.1");
        r.put("eventSource", "aws:s3");
        r.put("awsRegion", "us-east-1");
        r.put("eventTime", Instant.now().toString());
        r.put("eventName", "ObjectCreated:Put");
        ObjectNode s3 = r.putObject("s3");
        s3.put("s3SchemaVersion", "1.0");
        s3.putObject("bucket").put("name", BUCKET).put("arn", "arn:aws:s3:::" + BUCKET);
        s3.putObject("object")
                .put("key", key)
                .put("size", size)
                .put("eTag", etag)
                .put("sequencer", "0");
        return root.toString();
    }

    /**
     * An S3 endpoint: S3Mock started here, or one already running at -Dcoldstart.s3=URL (with the
     * bucket).
     */
    private interface S3 extends AutoCloseable {
        java.net.URI endpoint();

        @Override
        void close();
    }

    private static S3 s3(Path home) throws java.io.IOException {
        String given = System.getProperty("coldstart.s3");
        if (given != null && !given.isBlank()) {
            // On a loaded machine S3Mock may need more than its launcher's minute to start: start
            // it by hand.
            java.net.URI uri = java.net.URI.create(given);
            return new S3() {
                public java.net.URI endpoint() {
                    return uri;
                }

                public void close() {}
            };
        }
        S3MockServer server =
                S3MockServer.start(home.resolve("infra/local/target/s3mock/s3mock.jar"), 0, BUCKET);
        return new S3() {
            public java.net.URI endpoint() {
                return server.endpoint();
            }

            public void close() {
                server.close();
            }
        };
    }
}
