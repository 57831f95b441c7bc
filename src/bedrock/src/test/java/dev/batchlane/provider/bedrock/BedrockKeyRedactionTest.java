package dev.batchlane.provider.bedrock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.simulator.MutableClock;
import dev.batchlane.simulator.bedrock.BedrockSimulator;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.bedrock.BedrockClient;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Text Bedrock sends back (a refused model call, a failed record, a failed job, a refused control
 * call) reaches the lane's result lines, a shard's batch error and its trouble only with every
 * key-shaped word redacted, through the real SDK clients against the simulator over S3Mock.
 */
class BedrockKeyRedactionTest {
    private static final String BUCKET = "lane";
    private static final String CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0";
    private static final String ROLE = "arn:aws:iam::123456789012:role/batchlane-bedrock";

    /** AWS's documented example key pair: the shapes, not anyone's key. */
    private static final String KEY_ID = "AKIAIOSFODNN7EXAMPLE";

    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static final String MASKED = "sk-pro********xyz";

    /** What a SigV4 failure quotes: the Authorization header, with the access key id in it. */
    private static final String SIGNING_ERROR =
            "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256"
                    + " Credential="
                    + KEY_ID
                    + "/20261201/us-east-1/bedrock/aws4_request, SignedHeaders=host";

    private static BedrockTestBed bed;
    private static S3Client s3;
    private static MutableClock clock;
    private static BedrockSimulator sim;
    private static BedrockClient bedrock;
    private static BedrockRuntimeClient runtime;
    private static final AtomicInteger shardCounter = new AtomicInteger();
    private BedrockProvider provider;

    @BeforeAll
    static void start() {
        bed = BedrockTestBed.start();
        s3 = bed.s3;
        clock = bed.clock;
        sim = bed.sim;
        bedrock = bed.bedrock;
        runtime = bed.runtime;
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    @BeforeEach
    void provider() {
        provider =
                new BedrockProvider(
                        new BedrockConfig(
                                "us-east-1",
                                BUCKET,
                                ROLE,
                                "bedrock/input/",
                                "bedrock/output/",
                                CLAUDE,
                                new BedrockQuotas(100, 50_000, 50_000, 1L << 30, 5L << 30, 1000),
                                24,
                                4,
                                Optional.empty(),
                                Optional.empty(),
                                Duration.ofSeconds(30)),
                        bedrock,
                        runtime,
                        s3);
    }

    @Test
    void onDemand_aModelCallRefusedQuotingACredential_keepsItsLineWithTheCredentialRedacted() {
        Submission s = onDemand(staged(2, "a"));
        sim.failNextCalls("invoke", 403, 1, SIGNING_ERROR + " and secret " + SECRET);

        BatchView done = provider.retrieve(s.batchId());

        assertThat(done.state()).isEqualTo(BatchState.COMPLETED);
        LineResult a0 = line(done, "a0");
        assertThat(a0.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(a0.errorJson())
                .doesNotContain(KEY_ID)
                .doesNotContain(SECRET)
                .contains("Credential=[redacted]/20261201")
                .contains("secret [redacted]");
    }

    @Test
    void onDemand_aServerErrorQuotingASecret_endsOutcomeUnknownWithTheSecretRedacted() {
        Submission s = onDemand(staged(2, "b"));
        sim.failNextCalls("invoke", 500, 1, "signing with " + SECRET + " failed");

        BatchView done = provider.retrieve(s.batchId());

        LineResult b0 = line(done, "b0");
        assertThat(b0.errorJson())
                .contains(OnDemandRun.OUTCOME_UNKNOWN)
                .contains("signing with [redacted] failed")
                .doesNotContain(SECRET);
    }

    @Test
    void batchJob_aRecordFailedQuotingAMaskedKey_isJoinedWithTheFragmentRedacted() {
        Payload p = staged(100, "c");
        sim.failRecords(
                id -> id.equals("c7"),
                400,
                "Incorrect API key provided: "
                        + MASKED
                        + ". You can find your key in the console.");
        Submission s = provider.submit(p, endpoint(), meta(p));

        BatchView done = untilTerminal(s.batchId());

        LineResult c7 = line(done, "c7");
        assertThat(c7.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(c7.errorJson())
                .doesNotContain(MASKED)
                .doesNotContain("xyz")
                .contains("Incorrect API key provided: [redacted]. You can find");
    }

    @Test
    void aJobFailedQuotingACredential_reachesTheBatchErrorWithTheCredentialRedacted() {
        Payload p = staged(100, "d");
        sim.failNextJobs(1, "The service role could not read the input: " + SIGNING_ERROR);
        Submission s = provider.submit(p, endpoint(), meta(p));

        BatchView failed = untilTerminal(s.batchId());

        assertThat(failed.state()).isEqualTo(BatchState.FAILED);
        assertThat(failed.error())
                .doesNotContain(KEY_ID)
                .contains("could not read the input")
                .contains("Credential=[redacted]/20261201");
    }

    @Test
    void aStatusCallRefusedQuotingACredential_failsWithTheCredentialRedacted() {
        Payload p = staged(100, "e");
        Submission s = provider.submit(p, endpoint(), meta(p));
        sim.failNextCalls("get", 403, 1, SIGNING_ERROR + " and secret " + SECRET);

        ProviderException e =
                catchThrowableOfType(() -> provider.retrieve(s.batchId()), ProviderException.class);

        assertThat(e.getMessage())
                .doesNotContain(KEY_ID)
                .doesNotContain(SECRET)
                .contains("403")
                .contains("Credential=[redacted]/20261201");
        assertThat(e.retryable()).isFalse();
    }

    @Test
    void aResultLineQuotingAKey_isReadWithTheKeyRedacted() throws Exception {
        LineResult r =
                BedrockResults.toResult(
                        BedrockProvider.JSON.readTree(
                                "{\"recordId\":\"f0\",\"error\":{\"errorCode\":401,"
                                        + "\"errorMessage\":\"bad key "
                                        + KEY_ID
                                        + "\"}}"));

        assertThat(r.errorJson()).doesNotContain(KEY_ID).contains("bad key [redacted]");
        assertThat(r.statusCode()).isEqualTo(401);
    }

    private Submission onDemand(Payload p) {
        Submission s = provider.submit(p, endpoint(), meta(p));
        assertThat(s.batchId()).startsWith(BedrockProvider.ON_DEMAND);
        return s;
    }

    private static String endpoint() {
        return BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true);
    }

    private LineResult line(BatchView done, String recordId) {
        List<LineResult> out = new ArrayList<>();
        provider.streamResults(done, out::add);
        return out.stream().filter(l -> recordId.equals(l.customId())).findFirst().orElseThrow();
    }

    private BatchView untilTerminal(String batchId) {
        for (int i = 0; i < 20; i++) {
            BatchView v = provider.retrieve(batchId);
            if (v.state().terminal()) {
                return v;
            }
            clock.advance(Duration.ofSeconds(10));
        }
        throw new AssertionError("batch " + batchId + " never ended");
    }

    /** A staged shard in the bucket, as ShardSubmitter hands it over. */
    private Payload staged(int records, String idPrefix) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < records; i++) {
            sb.append("{\"recordId\":\"")
                    .append(idPrefix)
                    .append(i)
                    .append(
                            "\",\"modelInput\":{\"anthropic_version\":\"bedrock-2023-05-31\","
                                    + "\"max_tokens\":64,\"messages\":[{\"role\":\"user\","
                                    + "\"content\":\"score ")
                    .append(i)
                    .append("\"}]}}\n");
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        String job = "job-" + String.format("%020x", shardCounter.incrementAndGet());
        String key = "staging/" + job + "/shard-00000.jsonl";
        s3.putObject(r -> r.bucket(BUCKET).key(key), RequestBody.fromBytes(bytes));
        return new Payload(
                job + "-00000.jsonl", bytes.length, () -> new ByteArrayInputStream(bytes), key);
    }

    private static Map<String, String> meta(Payload p) {
        return Map.of(
                "batchlane_job_id",
                p.name().substring(0, p.name().lastIndexOf('-')),
                "batchlane_shard",
                "00000");
    }
}
