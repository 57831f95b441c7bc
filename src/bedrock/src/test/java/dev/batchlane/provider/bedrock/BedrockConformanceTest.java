package dev.batchlane.provider.bedrock;

import dev.batchlane.conformance.ConformanceTarget;
import dev.batchlane.conformance.LostAnswer;
import dev.batchlane.conformance.ProviderConformance;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.emulators.S3MockServer;
import dev.batchlane.simulator.MutableClock;
import dev.batchlane.simulator.bedrock.BedrockSimulator;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.bedrock.BedrockClient;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The provider conformance kit, run by the Bedrock adapter through the real AWS SDK clients against
 * the Bedrock simulator over S3Mock. Lost answers of the upload (the copy of the shard into the
 * input prefix) are made at the S3 client's transport, after S3 has acted.
 */
class BedrockConformanceTest extends ProviderConformance {
    private static final String BUCKET = "lane";
    private static final String CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0";
    private static final String ROLE = "arn:aws:iam::123456789012:role/batchlane-bedrock";
    private static final StaticCredentialsProvider CREDS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));
    private static final AtomicInteger TARGETS = new AtomicInteger();

    /**
     * The SDK's standard retries, pinned to their documented three attempts so that a fault meant
     * for one call of the adapter is injected into each of its attempts.
     */
    private static final int ATTEMPTS = 3;

    private static final software.amazon.awssdk.retries.api.RetryStrategy RETRIES =
            software.amazon.awssdk.awscore.retry.AwsRetryStrategy.standardRetryStrategy()
                    .toBuilder()
                    .maxAttempts(ATTEMPTS)
                    .build();
    private static S3MockServer s3mock;

    @BeforeAll
    static void startS3() {
        s3mock = S3MockServer.start(BUCKET);
    }

    @AfterAll
    static void stopS3() {
        s3mock.close();
    }

    @Override
    protected ConformanceTarget target() {
        return new Target();
    }

    /**
     * Loses the answer of the next copy or put into the input prefix after S3 has stored the
     * object; remembers every input key stored.
     */
    private static final class LoseUploadAnswer implements ExecutionInterceptor {
        final AtomicReference<LostAnswer> next = new AtomicReference<>();
        final Set<String> inputs = ConcurrentHashMap.newKeySet();
        final String inputPrefix;

        LoseUploadAnswer(String inputPrefix) {
            this.inputPrefix = inputPrefix;
        }

        private String inputKey(Context.AfterExecution context) {
            Object request = context.request();
            String key =
                    request instanceof CopyObjectRequest c
                            ? c.destinationKey()
                            : request instanceof PutObjectRequest p ? p.key() : null;
            return key != null && key.startsWith(inputPrefix) ? key : null;
        }

        @Override
        public SdkHttpResponse modifyHttpResponse(
                Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
            Object request = context.request();
            boolean upload =
                    request instanceof CopyObjectRequest || request instanceof PutObjectRequest;
            if (upload
                    && context.httpResponse().isSuccessful()
                    && next.compareAndSet(LostAnswer.SERVER_ERROR, null)) {
                // S3 stored the object; the edge answers 500. The SDK retries the same copy.
                return context.httpResponse().toBuilder().statusCode(500).build();
            }
            return context.httpResponse();
        }

        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
            String key = inputKey(context);
            if (key == null) {
                return;
            }
            inputs.add(key);
            LostAnswer how = next.get();
            if (how == LostAnswer.RESET && next.compareAndSet(how, null)) {
                throw SdkClientException.create("Unable to execute HTTP request: Connection reset");
            }
            if (how == LostAnswer.CUT_SUCCESS && next.compareAndSet(how, null)) {
                throw SdkClientException.create(
                        "Unable to unmarshall response (the body ended early)");
            }
        }
    }

    private static final class Target implements ConformanceTarget {
        private static final Duration STEP = Duration.ofSeconds(10);
        private final String root = "bedrock-" + TARGETS.incrementAndGet() + "/";
        private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
        private final LoseUploadAnswer uploads = new LoseUploadAnswer(root + "input/");
        private final S3Client s3 = s3(null);
        private final S3Client providerS3 = s3(uploads);
        private final BedrockSimulator sim =
                BedrockSimulator.builder()
                        .s3(s3)
                        .clock(clock)
                        .stepDuration(STEP)
                        .minRecords(2)
                        .seed(17)
                        .start();
        private final BedrockClient bedrock =
                BedrockClient.builder()
                        .endpointOverride(URI.create(sim.endpoint()))
                        .overrideConfiguration(o -> o.retryStrategy(RETRIES))
                        .region(Region.US_EAST_1)
                        .credentialsProvider(CREDS)
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .build();
        private final BedrockRuntimeClient runtime =
                BedrockRuntimeClient.builder()
                        .endpointOverride(URI.create(sim.endpoint()))
                        .region(Region.US_EAST_1)
                        .credentialsProvider(CREDS)
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .build();
        private final BedrockProvider provider =
                new BedrockProvider(
                        new BedrockConfig(
                                "us-east-1",
                                BUCKET,
                                ROLE,
                                root + "input/",
                                root + "output/",
                                CLAUDE,
                                new BedrockQuotas(2, 50_000, 50_000, 1L << 30, 5L << 30, 10),
                                24,
                                4,
                                Optional.empty(),
                                Optional.empty(),
                                Duration.ofSeconds(30)),
                        bedrock,
                        runtime,
                        providerS3);

        private static S3Client s3(ExecutionInterceptor interceptor) {
            var builder =
                    S3Client.builder()
                            .endpointOverride(s3mock.endpoint())
                            .forcePathStyle(true)
                            .region(Region.US_EAST_1)
                            .credentialsProvider(CREDS)
                            .httpClientBuilder(UrlConnectionHttpClient.builder());
            if (interceptor != null) {
                builder.overrideConfiguration(o -> o.addExecutionInterceptor(interceptor));
            }
            return builder.build();
        }

        @Override
        public BatchProvider provider() {
            return provider;
        }

        @Override
        public String endpoint() {
            return BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true);
        }

        /** Staged in the lane's bucket first, as ingest leaves it, so upload copies it. */
        @Override
        public Payload shard(String jobId, String shard, List<String> customIds) {
            StringBuilder lines = new StringBuilder();
            for (String id : customIds) {
                lines.append("{\"recordId\":\"")
                        .append(id)
                        .append("\",\"modelInput\":{\"anthropic_version\":\"bedrock-2023-05-31\",")
                        .append("\"max_tokens\":16,\"messages\":[{\"role\":\"user\",")
                        .append("\"content\":\"say hello to ")
                        .append(id)
                        .append("\"}]}}\n");
            }
            byte[] bytes = lines.toString().getBytes(StandardCharsets.UTF_8);
            String key = root + "staging/" + jobId + "/" + shard + ".jsonl";
            s3.putObject(p -> p.bucket(BUCKET).key(key), RequestBody.fromBytes(bytes));
            return new Payload(
                    jobId + "-" + shard + ".jsonl",
                    bytes.length,
                    () -> new ByteArrayInputStream(bytes),
                    key);
        }

        @Override
        public Instant now() {
            return clock.instant();
        }

        @Override
        public void advance() {
            clock.advance(STEP);
        }

        @Override
        public void loseNextAnswer(CreationAttempt.Step step, LostAnswer how) {
            if (step == CreationAttempt.Step.UPLOAD) {
                uploads.next.set(how);
                return;
            }
            sim.loseNextCreateAnswers(
                    1,
                    switch (how) {
                        case SERVER_ERROR -> 500;
                        case RESET -> 0;
                        case CUT_SUCCESS -> 200;
                    });
        }

        @Override
        public void failNextCreateBeforeActing() {
            // The SDK retries a 500 by itself: every attempt of the one call fails.
            sim.failNextCalls("create", 500, ATTEMPTS);
        }

        @Override
        public void rateLimitNextCreate() {
            sim.failNextCalls("create", 429, ATTEMPTS);
        }

        /** Bedrock refuses a job beyond its quota with 400 ServiceQuotaExceededException. */
        @Override
        public void fillQueueForNextCreate() {
            sim.failNextCalls("create", 400, 1);
        }

        /** Bedrock's timeout ends a running job PartiallyCompleted, with what it processed. */
        @Override
        public void expireNextBatch() {
            sim.partiallyCompleteNextJobs(1, 0.5);
        }

        @Override
        public void damageNextResults(Set<String> missing, Set<String> unreadable) {
            sim.damageNextResults(missing, unreadable);
        }

        @Override
        public int batchesMade() {
            return sim.jobCount();
        }

        @Override
        public int inputsMade() {
            return uploads.inputs.size();
        }

        @Override
        public List<String> leftovers() {
            return List.of(root + "input/", root + "output/").stream()
                    .flatMap(
                            prefix ->
                                    s3
                                            .listObjectsV2Paginator(
                                                    l -> l.bucket(BUCKET).prefix(prefix))
                                            .contents()
                                            .stream())
                    .map(S3Object::key)
                    .sorted()
                    .toList();
        }

        @Override
        public IngestLimits serviceLimits() {
            return new IngestLimits(50_000, 1L << 30, (int) (1L << 30) - 1, 20, Long.MAX_VALUE);
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
}
