package dev.batchlane.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.job.Shard;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.RunMode;
import dev.batchlane.provider.bedrock.BedrockConfig;
import dev.batchlane.provider.bedrock.BedrockProvider;
import dev.batchlane.provider.bedrock.BedrockQuotas;
import dev.batchlane.simulator.bedrock.BedrockSimulator;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.bedrock.BedrockClient;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Bedrock's adapter through the real AWS SDK clients against the Bedrock simulator, which reads
 * input and writes output in the suite's own bucket on S3Mock, built as BedrockConformanceTest and
 * BedrockProviderTest build it. The seed draws the quota "minimum records per job", so some shards
 * run as batch jobs and the smaller ones (and most resubmissions) record by record on demand, where
 * each model call is billed: the invariant gains that no record is invoked twice on demand.
 *
 * <p>The adapter's own S3 calls (the copy into the input prefix, reading output, cleanup) use the
 * account owner's client, not a function's: one adapter serves the suite's three services here.
 * BedrockStackTest (infra/local) runs Bedrock's work under each function's enforced role.
 */
final class BedrockSim implements Sim {
    private static final String CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0";
    private static final String ROLE = "arn:aws:iam::123456789012:role/batchlane-bedrock";
    private static final String INPUT = "bedrock/input/";
    private static final String OUTPUT = "bedrock/output/";
    private static final StaticCredentialsProvider CREDS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("faults", "faults"));

    /**
     * The bound of one model call. A slow call holds its answer for twice as long: the model ran
     * and billed, the client gave up, and the record's outcome is unknown (never invoked again).
     */
    private static final Duration MODEL_CALL = Duration.ofSeconds(2);

    private static final Pattern CASE = Pattern.compile("\"case ([0-9]+)[\" ]");

    private final String bucket;
    private final int minRecords;
    private final LoseUploadAnswers uploads = new LoseUploadAnswers();
    private final S3Client s3;
    private final S3Client providerS3;
    final BedrockSimulator sim;
    private final BedrockClient bedrock;
    private final BedrockRuntimeClient runtime;

    BedrockSim(long seed, URI s3Endpoint, String bucket) {
        this.bucket = bucket;
        // A seed of its own for the quota, so the draws of the test's Random stay as they were.
        this.minRecords = 20 + new Random(seed * 0x9E3779B97F4A7C15L + 1).nextInt(100);
        this.s3 = s3(s3Endpoint, null);
        this.providerS3 = s3(s3Endpoint, uploads);
        this.sim =
                BedrockSimulator.builder()
                        .s3(s3)
                        .stepDuration(Duration.ZERO)
                        .minRecords(minRecords)
                        .seed(seed)
                        .start();
        URI endpoint = URI.create(sim.endpoint());
        this.bedrock =
                BedrockClient.builder()
                        .endpointOverride(endpoint)
                        .region(Region.US_EAST_1)
                        .credentialsProvider(CREDS)
                        .httpClientBuilder(
                                UrlConnectionHttpClient.builder()
                                        .socketTimeout(Duration.ofSeconds(30)))
                        .build();
        // As the functions build it: one attempt per model call (a call is billed whether or not
        // its answer arrives, so the SDK must never send it again) and the whole call bounded.
        this.runtime =
                BedrockRuntimeClient.builder()
                        .endpointOverride(endpoint)
                        .region(Region.US_EAST_1)
                        .credentialsProvider(CREDS)
                        .httpClientBuilder(
                                UrlConnectionHttpClient.builder().socketTimeout(MODEL_CALL))
                        .overrideConfiguration(
                                c ->
                                        c.retryStrategy(AwsRetryStrategy.doNotRetry())
                                                .apiCallTimeout(MODEL_CALL)
                                                .apiCallAttemptTimeout(MODEL_CALL))
                        .build();
    }

    private static S3Client s3(URI endpoint, ExecutionInterceptor interceptor) {
        var builder =
                S3Client.builder()
                        .endpointOverride(endpoint)
                        .forcePathStyle(true)
                        .region(Region.US_EAST_1)
                        .credentialsProvider(CREDS)
                        .httpClientBuilder(UrlConnectionHttpClient.builder());
        if (interceptor != null) {
            builder.overrideConfiguration(o -> o.addExecutionInterceptor(interceptor));
        }
        return builder.build();
    }

    /**
     * The copy (or put) of a shard into the input prefix takes effect and its answer is lost, as a
     * reset after S3 stored the object.
     */
    private static final class LoseUploadAnswers implements ExecutionInterceptor {
        final AtomicInteger left = new AtomicInteger();

        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
            Object request = context.request();
            String key =
                    request instanceof CopyObjectRequest c
                            ? c.destinationKey()
                            : request instanceof PutObjectRequest p ? p.key() : null;
            if (key != null
                    && key.startsWith(INPUT)
                    && left.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw SdkClientException.create("Unable to execute HTTP request: Connection reset");
            }
        }
    }

    @Override
    public String name() {
        return "bedrock";
    }

    @Override
    public BatchProvider provider() {
        return new BedrockProvider(
                new BedrockConfig(
                        "us-east-1",
                        bucket,
                        ROLE,
                        INPUT,
                        OUTPUT,
                        CLAUDE,
                        new BedrockQuotas(minRecords, 50_000, 50_000, 1L << 30, 5L << 30, 10),
                        24,
                        20,
                        Optional.empty(),
                        Optional.empty(),
                        MODEL_CALL),
                bedrock,
                runtime,
                providerS3);
    }

    /**
     * The prompt names the request ({@code case i}, unique over the seed's files even where ids
     * repeat), so the simulator's log tells which request a model call ran.
     */
    @Override
    public String idField() {
        return "recordId";
    }

    @Override
    public String line(String id, int i) {
        return "{\"recordId\":\""
                + id
                + "\",\"modelInput\":{\"anthropic_version\":\"bedrock-2023-05-31\","
                + "\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"case "
                + i
                + "\"}]}}";
    }

    @Override
    public String injectFaults(Random r, List<String> ids, int shardSize) {
        List<String> said = new ArrayList<>();
        said.add("min records " + minRecords);
        // Bedrock's errorCode is an HTTP status: 5xx and 429 passing, 400 final.
        double fraction = r.nextDouble() * 0.08;
        long salt = r.nextLong();
        sim.failRecords(id -> Draws.byId(salt, fraction, id), 500, "Internal server error");
        said.add(String.format("%.3f of records 500", fraction));
        Set<String> refused = Draws.pick(r, ids, () -> 1 + r.nextInt(4));
        sim.failRecords(refused::contains, 400, "Malformed input request.");
        said.add(refused.size() + " refused (400)");
        Set<String> once = Draws.pick(r, ids, () -> r.nextInt(10));
        Set<String> failedOnce = ConcurrentHashMap.newKeySet();
        sim.failRecords(id -> once.contains(id) && failedOnce.add(id), 429, "Too many requests.");
        said.add(once.size() + " throttled once");
        if (r.nextBoolean()) {
            int n = 1 + r.nextInt(2);
            if (r.nextBoolean()) {
                sim.expireNextJobs(n);
                said.add(n + " job(s) expire");
            } else {
                double done = r.nextDouble();
                sim.partiallyCompleteNextJobs(n, done);
                said.add(String.format("%d job(s) time out, %.2f done", n, done));
            }
        }
        if (r.nextInt(3) == 0) {
            int n = 1 + r.nextInt(2);
            uploads.left.set(n);
            said.add("copy into input applied, answer lost (reset)×" + n);
        }
        if (r.nextInt(3) == 0) {
            int n = 1 + r.nextInt(2);
            int status = new int[] {500, 0, 200}[r.nextInt(3)];
            sim.loseNextCreateAnswers(n, status);
            said.add("create applied, answer lost (" + status + ")×" + n);
        }
        if (r.nextInt(4) == 0) {
            int n = 1 + r.nextInt(2);
            sim.slowNextCalls("invoke", MODEL_CALL.multipliedBy(2), n);
            said.add("model call slower than the client waits ×" + n);
        }
        // One injected fault per operation at a time (the simulator keeps the last asked for).
        Map<String, int[]> calls = new LinkedHashMap<>();
        if (r.nextInt(3) == 0) {
            // a full queue: Bedrock refuses the job with 400 ServiceQuotaExceededException
            calls.put("create", new int[] {400, 1 + r.nextInt(2)});
        }
        String[] ops = {"create", "get", "list", "stop", "invoke"};
        for (int i = 0; i < r.nextInt(4); i++) {
            String op = ops[r.nextInt(ops.length)];
            calls.put(op, new int[] {r.nextBoolean() ? 429 : 500, 1 + r.nextInt(2)});
        }
        calls.forEach(
                (op, f) -> {
                    sim.failNextCalls(op, f[0], f[1]);
                    said.add(op + " " + f[0] + "×" + f[1]);
                });
        return String.join(", ", said);
    }

    @Override
    public void assertClean(List<Shard> shards, String why) {
        Set<String> jobIds = shards.stream().map(Shard::jobId).collect(Collectors.toSet());
        List<String> left = new ArrayList<>();
        for (String prefix : List.of(INPUT, OUTPUT)) {
            s3.listObjectsV2Paginator(l -> l.bucket(bucket).prefix(prefix)).contents().stream()
                    .map(S3Object::key)
                    .filter(k -> jobIds.stream().anyMatch(k::contains))
                    .forEach(left::add);
        }
        assertThat(left).as("%s: objects left in Bedrock's prefixes", why).isEmpty();
        // Bedrock makes a job once per client request token; a second job for a shard breaks it.
        assertThat(sim.jobCount())
                .as("%s: jobs created, against the shards that ran as one", why)
                .isEqualTo(
                        shards.stream()
                                .filter(sh -> sh.batch().batchId() != null)
                                .filter(sh -> sh.batch().runMode() != RunMode.ON_DEMAND)
                                .count());
    }

    /**
     * Model calls that reached the model (answered, or slow), by the request their prompt names.
     */
    @Override
    public Map<String, Long> onDemandCalls() {
        Map<String, Long> calls = new TreeMap<>();
        for (BedrockSimulator.Recorded r : sim.requests()) {
            if (!"invoke".equals(r.operation()) || r.status() != 200) {
                continue; // refused before the model ran: may be sent again
            }
            Matcher m = CASE.matcher(r.requestBody());
            calls.merge(m.find() ? m.group(1) : "(no record named)", 1L, Long::sum);
        }
        return calls;
    }

    @Override
    public void close() {
        bedrock.close();
        runtime.close();
        sim.close();
        providerS3.close();
        s3.close();
    }
}
