package dev.batchlane.provider.bedrock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
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
import software.amazon.awssdk.services.bedrock.model.ModelInvocationJobStatus;
import software.amazon.awssdk.services.bedrock.model.ValidationException;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The adapter through the real AWS SDK clients against the Bedrock simulator over S3Mock: the SDK's
 * own marshalling and unmarshalling are the check that both sides speak the wire protocol.
 */
class BedrockProviderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BUCKET = "lane";
    private static final String CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0";
    private static final String ROLE = "arn:aws:iam::123456789012:role/batchlane-bedrock";

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

    private static BedrockRuntimeClient runtimeClient(Duration timeout) {
        return bed.runtimeClient(timeout);
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    @BeforeEach
    void provider() {
        // Tests share one simulator; the pacing test sets its own concurrency quota.
        provider =
                new BedrockProvider(
                        config(new BedrockQuotas(100, 50_000, 50_000, 1L << 30, 5L << 30, 1000)),
                        bedrock,
                        runtime,
                        s3);
    }

    private static BedrockConfig onDemandConfig(Duration callTimeout, Duration stepBudget) {
        return new BedrockConfig(
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
                callTimeout,
                stepBudget);
    }

    /** The folder an on-demand run writes its lines and markers to. */
    private static String onDemandFolder(Submission s) {
        String rest = s.batchId().split("\\|", 4)[3].substring("bedrock/input/".length());
        return "bedrock/output/" + rest.substring(0, rest.indexOf('/')) + "/ondemand/";
    }

    /** Calls since the {@code from}-th request that carried this test's record (ids end in n). */
    private static long invokesOf(String recordId, int from) {
        List<BedrockSimulator.Recorded> all = sim.requests();
        return all.subList(from, all.size()).stream()
                .filter(r -> r.operation().equals("invoke"))
                .filter(r -> r.requestBody().contains("\"score " + recordId.substring(1) + "\""))
                .count();
    }

    private static BedrockConfig config(BedrockQuotas quotas) {
        return new BedrockConfig(
                "us-east-1",
                BUCKET,
                ROLE,
                "bedrock/input/",
                "bedrock/output/",
                CLAUDE,
                quotas,
                24,
                4,
                Optional.empty(),
                Optional.empty(),
                Duration.ofSeconds(30));
    }

    /**
     * A staged shard in the bucket, as ShardSubmitter hands it over: name, size and the object's
     * key.
     */
    private Payload staged(int records, String idPrefix) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < records; i++) {
            sb.append("{\"recordId\":\"")
                    .append(idPrefix)
                    .append(i)
                    .append(
                            "\",\"modelInput\":{\"anthropic_version\":"
                                    + "\"bedrock-2023-05-31\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"score ")
                    .append(i)
                    .append("\"}]}}\n");
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        String job = "job-" + String.format("%020x", shardCounter.incrementAndGet());
        String key = "staging/" + job + "/shard-00000.jsonl";
        s3.putObject(p -> p.bucket(BUCKET).key(key), RequestBody.fromBytes(bytes));
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

    private List<LineResult> results(BatchView v) {
        List<LineResult> out = new ArrayList<>();
        provider.streamResults(v, out::add);
        return out;
    }

    private static List<String> keys(String prefix) {
        return s3.listObjectsV2Paginator(l -> l.bucket(BUCKET).prefix(prefix)).contents().stream()
                .map(S3Object::key)
                .toList();
    }

    @Test
    void submit_copiesTheShardToTheInputPrefix_andEveryRecordComesBackOnceByRecordId() {
        Payload p = staged(150, "r");
        sim.failRecords(id -> id.equals("r7"), 400, "bad request");
        Submission s =
                provider.submit(
                        p,
                        BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true),
                        meta(p));

        assertThat(s.batchId())
                .matches(
                        "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/[a-z0-9]{12}");
        assertThat(s.inputFileId()).startsWith("bedrock/input/").endsWith(p.name());
        assertThat(keys(s.inputFileId())).containsExactly(s.inputFileId());
        BatchView v = untilTerminal(s.batchId());
        assertThat(v.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(v.providerStatus()).isEqualTo("Completed");
        assertThat(v.counts().total()).isEqualTo(150);

        List<LineResult> lines = results(v);
        assertThat(lines).extracting(LineResult::customId).doesNotHaveDuplicates().hasSize(150);
        // Bedrock does not keep the input order; the simulator shuffles, so the join must use ids.
        assertThat(lines.get(0).customId()).isNotEqualTo("r0");
        LineResult failed =
                lines.stream().filter(l -> l.customId().equals("r7")).findFirst().orElseThrow();
        assertThat(failed.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(failed.statusCode()).isEqualTo(400);
        assertThat(failed.failureKind()).isEqualTo(dev.batchlane.core.provider.FailureKind.FINAL);
        assertThat(failed.errorJson()).contains("bad request");
        LineResult ok =
                lines.stream().filter(l -> l.customId().equals("r8")).findFirst().orElseThrow();
        assertThat(ok.outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(ok.usage().outputTokens()).isPositive();
        assertThat(provider.manifest(v.outputFileId()).succeeded()).isEqualTo(149);

        provider.cleanup(s.inputFileId(), v.outputFileId(), v.errorFileId());
        assertThat(keys("bedrock/")).noneMatch(k -> k.contains(p.name().replace(".jsonl", "")));
    }

    @Test
    void create_repeatedForTheSameShardAttempt_returnsTheSameJob() {
        Payload p = staged(120, "d");
        String endpoint = BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true);
        String input = provider.upload(p);
        int before = sim.jobCount();
        Submission first = provider.create(input, p, endpoint, meta(p));
        Submission again = provider.create(input, p, endpoint, meta(p));
        assertThat(again.batchId()).isEqualTo(first.batchId());
        assertThat(sim.jobCount()).isEqualTo(before + 1);
    }

    @Test
    void create_sendsNameTokenTagsAndTheTwoPrefixesOfTheLanesBucket() throws Exception {
        Payload p = staged(100, "n");
        Submission s =
                provider.submit(
                        p,
                        BedrockContract.endpointFor(CLAUDE, InvocationType.CONVERSE, true),
                        meta(p));
        JsonNode sent =
                JSON.readTree(
                        sim.requests().stream()
                                .filter(r -> r.operation().equals("create") && r.status() == 200)
                                .reduce((a, b) -> b)
                                .orElseThrow()
                                .requestBody());
        String job = meta(p).get("batchlane_job_id");
        assertThat(sent.path("jobName").asText()).isEqualTo("batchlane-" + job + "-00000");
        assertThat(sent.path("clientRequestToken").asText())
                .isEqualTo(BedrockJobs.token("batchlane-" + job + "-00000", s.inputFileId()));
        assertThat(sent.path("modelInvocationType").asText()).isEqualTo("Converse");
        assertThat(sent.path("roleArn").asText()).isEqualTo(ROLE);
        assertThat(sent.at("/inputDataConfig/s3InputDataConfig/s3Uri").asText())
                .isEqualTo("s3://lane/" + s.inputFileId());
        assertThat(sent.at("/outputDataConfig/s3OutputDataConfig/s3Uri").asText())
                .isEqualTo("s3://lane/bedrock/output/batchlane-" + job + "-00000/");
        assertThat(sent.path("tags").toString())
                .contains("\"key\":\"batchlane:job\",\"value\":\"" + job + "\"");
    }

    @Test
    void aShardBelowTheMinimum_runsOnDemandThroughTheRuntime_aFewRecordsPerPoll() {
        Payload p = staged(10, "o");
        int jobs = sim.jobCount();
        int calls = sim.runtimeCalls();
        Submission s =
                provider.submit(
                        p,
                        BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true),
                        meta(p));
        assertThat(s.batchId()).startsWith("ondemand|");
        assertThat(s.runMode())
                .as("the lane knows it runs on demand from the mode, not the word")
                .isEqualTo(dev.batchlane.core.provider.RunMode.ON_DEMAND);
        assertThat(s.providerStatus()).isEqualTo("OnDemand");
        assertThat(sim.jobCount()).isEqualTo(jobs);

        BatchView first = provider.retrieve(s.batchId());
        assertThat(first.state()).isEqualTo(BatchState.RUNNING);
        assertThat(sim.runtimeCalls() - calls).isEqualTo(4);
        assertThat(provider.retrieve(s.batchId()).state()).isEqualTo(BatchState.RUNNING);
        BatchView done = provider.retrieve(s.batchId());
        assertThat(done.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(sim.runtimeCalls() - calls).isEqualTo(10);
        // A poll after the end runs nothing again.
        assertThat(provider.retrieve(s.batchId()).state()).isEqualTo(BatchState.COMPLETED);
        assertThat(sim.runtimeCalls() - calls).isEqualTo(10);

        List<LineResult> lines = results(done);
        assertThat(lines)
                .extracting(LineResult::customId)
                .containsExactlyInAnyOrder(
                        "o0", "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o9");
        assertThat(lines)
                .allMatch(l -> l.outcome() == Outcome.SUCCEEDED && l.usage().inputTokens() > 0);
        assertThat(provider.manifest(done.outputFileId()).succeeded()).isEqualTo(10);
        provider.cleanup(s.inputFileId(), done.outputFileId(), null);
        assertThat(keys("bedrock/")).noneMatch(k -> k.contains(p.name().replace(".jsonl", "")));
    }

    @Test
    void onDemand_throttled_goesOnAtTheNextPollWithoutLosingOrRepeatingRecords() {
        Payload p = staged(6, "t");
        Submission s =
                provider.submit(
                        p,
                        BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true),
                        meta(p));
        sim.failNextCalls("invoke", 429, 1);
        BatchView v = provider.retrieve(s.batchId());
        assertThat(v.state()).isEqualTo(BatchState.RUNNING);
        v = provider.retrieve(s.batchId());
        v = provider.retrieve(s.batchId());
        assertThat(v.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(results(v))
                .extracting(LineResult::customId)
                .containsExactlyInAnyOrder("t0", "t1", "t2", "t3", "t4", "t5");
    }

    /** A poll's function that is stopped after {@code reads} readings of its clock. */
    private static final class DyingClock extends java.time.Clock {
        private final AtomicInteger reads;

        DyingClock(int reads) {
            this.reads = new AtomicInteger(reads);
        }

        @Override
        public Instant instant() {
            if (reads.getAndDecrement() <= 0) {
                throw new IllegalStateException("the poll function timed out here");
            }
            return Instant.parse("2026-12-01T10:00:00Z");
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    @Test
    void onDemand_aStepCutShortKeepsEveryLineItPaidFor_andTheNextStepNeverInvokesThemAgain() {
        int from = sim.requests().size();
        Payload p = staged(4, "k");
        Submission s =
                provider.submit(
                        p,
                        BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true),
                        meta(p));
        int calls = sim.calls("invoke");
        BedrockProvider dying =
                new BedrockProvider(
                        onDemandConfig(Duration.ofSeconds(30), Duration.ofMinutes(2)),
                        bedrock,
                        runtime,
                        s3,
                        new DyingClock(3));
        // The step's function dies before its third call: two records ran and were billed.
        assertThatThrownBy(() -> dying.retrieve(s.batchId()))
                .hasMessageContaining("timed out here");
        assertThat(sim.calls("invoke") - calls).isEqualTo(2);
        assertThat(keys(onDemandFolder(s)))
                .as("each record's line is written as its call completes")
                .contains(
                        onDemandFolder(s) + "record-000000.jsonl.out",
                        onDemandFolder(s) + "record-000001.jsonl.out");

        BatchView done = provider.retrieve(s.batchId());
        assertThat(done.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(sim.calls("invoke") - calls).as("each record invoked once").isEqualTo(4);
        assertThat(List.of("k0", "k1", "k2", "k3"))
                .allMatch(id -> invokesOf(id, from) == 1, "invoked exactly once");
        assertThat(results(done))
                .extracting(LineResult::customId)
                .containsExactlyInAnyOrder("k0", "k1", "k2", "k3");
    }

    @Test
    void onDemand_aRecordStartedWithoutALine_endsOutcomeUnknown_andIsNeverInvokedAgain() {
        int from = sim.requests().size();
        Payload p = staged(3, "u");
        Submission s =
                provider.submit(
                        p,
                        BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true),
                        meta(p));
        // An earlier step sent record u1 and died before writing its answer.
        s3.putObject(
                r -> r.bucket(BUCKET).key(onDemandFolder(s) + "record-000001.started"),
                RequestBody.fromString(""));
        int calls = sim.calls("invoke");
        BatchView done = provider.retrieve(s.batchId());
        assertThat(done.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(sim.calls("invoke") - calls).isEqualTo(2);
        assertThat(invokesOf("u1", from)).isZero();
        LineResult u1 =
                results(done).stream().filter(l -> l.customId().equals("u1")).findFirst().get();
        assertThat(u1.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(u1.failureKind())
                .as("final: a resubmission would invoke it again")
                .isEqualTo(dev.batchlane.core.provider.FailureKind.FINAL);
        assertThat(u1.errorJson())
                .contains(OnDemandRun.OUTCOME_UNKNOWN)
                .contains("u1")
                .contains(p.name().replace(".jsonl", ""));
        assertThat(provider.manifest(done.outputFileId()).succeeded()).isEqualTo(2);
    }

    @Test
    void onDemand_aTimedOutModelCallIsSentOnce_andEndsOutcomeUnknown() {
        int from = sim.requests().size();
        Payload p = staged(3, "w");
        Submission s =
                provider.submit(
                        p,
                        BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true),
                        meta(p));
        BedrockRuntimeClient impatient = runtimeClient(Duration.ofSeconds(1));
        try {
            BedrockProvider lane =
                    new BedrockProvider(
                            onDemandConfig(Duration.ofSeconds(1), Duration.ofMinutes(2)),
                            bedrock,
                            impatient,
                            s3);
            // The model runs (and bills) the first call; its answer comes after the client left.
            sim.slowNextCalls("invoke", Duration.ofSeconds(4), 1);
            int calls = sim.calls("invoke");
            BatchView done = lane.retrieve(s.batchId());
            assertThat(sim.calls("invoke") - calls)
                    .as("the SDK does not send a timed-out model call again")
                    .isEqualTo(3);
            assertThat(invokesOf("w0", from)).isEqualTo(1);
            assertThat(done.state()).isEqualTo(BatchState.COMPLETED);
            LineResult w0 =
                    results(done).stream().filter(l -> l.customId().equals("w0")).findFirst().get();
            assertThat(w0.errorJson()).contains(OnDemandRun.OUTCOME_UNKNOWN);
            assertThat(w0.failureKind()).isEqualTo(dev.batchlane.core.provider.FailureKind.FINAL);
        } finally {
            sim.slowNextCalls("invoke", Duration.ZERO, 0);
            impatient.close();
        }
    }

    @Test
    void onDemand_aServerErrorIsNotRetriedByTheClient() {
        int from = sim.requests().size();
        Payload p = staged(2, "e");
        Submission s =
                provider.submit(
                        p,
                        BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true),
                        meta(p));
        sim.failNextCalls("invoke", 500, 1);
        int calls = sim.calls("invoke");
        BatchView done = provider.retrieve(s.batchId());
        assertThat(sim.calls("invoke") - calls).isEqualTo(2);
        assertThat(invokesOf("e0", from)).isEqualTo(1);
        assertThat(done.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(results(done))
                .filteredOn(l -> l.customId().equals("e0"))
                .singleElement()
                .satisfies(l -> assertThat(l.errorJson()).contains(OnDemandRun.OUTCOME_UNKNOWN));
    }

    @Test
    void onDemand_aStepStartsNoCallThatCouldOutlastItsDeadline() {
        Payload p = staged(5, "d");
        Submission s =
                provider.submit(
                        p,
                        BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true),
                        meta(p));
        // Every model call takes 40 s of the step's time: the clock moves with the simulator.
        int base = sim.runtimeCalls();
        Instant start = Instant.parse("2026-12-01T10:00:00Z");
        java.time.Clock slowCalls =
                new java.time.Clock() {
                    @Override
                    public Instant instant() {
                        return start.plusSeconds(40L * (sim.runtimeCalls() - base));
                    }

                    @Override
                    public java.time.ZoneId getZone() {
                        return java.time.ZoneOffset.UTC;
                    }

                    @Override
                    public java.time.Clock withZone(java.time.ZoneId zone) {
                        return this;
                    }
                };
        // 100 s per step, 30 s a call at worst plus the 10 s margin: a third call would start at
        // 80 s with 20 s left, so the step stops after two of its four records.
        BedrockProvider timed =
                new BedrockProvider(
                        onDemandConfig(Duration.ofSeconds(30), Duration.ofSeconds(100)),
                        bedrock,
                        runtime,
                        s3,
                        slowCalls);
        assertThat(timed.retrieve(s.batchId()).state()).isEqualTo(BatchState.RUNNING);
        assertThat(sim.runtimeCalls() - base).isEqualTo(2);
        // The next poll's step has its own deadline, 100 s after it starts (at 80 s).
        assertThat(timed.retrieve(s.batchId()).state()).isEqualTo(BatchState.RUNNING);
        assertThat(sim.runtimeCalls() - base).isEqualTo(4);
    }

    /**
     * Two steps of one run overlap (two poll invocations at once, or a step retried while the first
     * still waits on the model): the second runs the records the first has not reached, and the
     * first, when its call returns, must not invoke them again from its stale listing. The fault
     * suite found this (seed 8): records billed twice.
     */
    @Test
    void onDemand_twoStepsOverlapping_neverInvokeARecordTwice() throws Exception {
        int from = sim.requests().size();
        Payload p = staged(4, "v");
        Submission s =
                provider.submit(
                        p,
                        BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true),
                        meta(p));
        int calls = sim.calls("invoke");
        // The first step's first call is held at the model while a second step runs.
        sim.slowNextCalls("invoke", Duration.ofSeconds(3), 1);
        try {
            var first =
                    java.util.concurrent.CompletableFuture.supplyAsync(
                            () -> provider.retrieve(s.batchId()));
            long giveUp = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (sim.calls("invoke") == calls && System.nanoTime() < giveUp) {
                Thread.sleep(5); // waiting for the first call to reach the model, not timing it
            }
            assertThat(sim.calls("invoke") - calls).as("the first step's call").isEqualTo(1);
            provider.retrieve(s.batchId());
            first.join();
        } finally {
            sim.slowNextCalls("invoke", Duration.ZERO, 0);
        }
        BatchView done = provider.retrieve(s.batchId());

        assertThat(List.of("v0", "v1", "v2", "v3"))
                .allMatch(id -> invokesOf(id, from) == 1, "invoked exactly once");
        assertThat(done.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(results(done))
                .extracting(LineResult::customId)
                .containsExactlyInAnyOrder("v0", "v1", "v2", "v3");
    }

    @Test
    void onDemand_cancelStopsFurtherCalls_andWhatRanIsKeptForTheJoin() {
        Payload p = staged(6, "c");
        Submission s =
                provider.submit(
                        p,
                        BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true),
                        meta(p));
        int calls = sim.calls("invoke");
        assertThat(provider.retrieve(s.batchId()).state()).isEqualTo(BatchState.RUNNING);
        assertThat(sim.calls("invoke") - calls).isEqualTo(4);

        provider.cancel(s.batchId());
        BatchView v = provider.retrieve(s.batchId());
        assertThat(v.state()).isEqualTo(BatchState.CANCELLED);
        assertThat(sim.calls("invoke") - calls).as("no call after the cancel").isEqualTo(4);
        assertThat(provider.retrieve(s.batchId()).state()).isEqualTo(BatchState.CANCELLED);
        assertThat(sim.calls("invoke") - calls).isEqualTo(4);
        assertThat(v.outputFileId()).isEqualTo(onDemandFolder(s));
        assertThat(results(v))
                .extracting(LineResult::customId)
                .containsExactlyInAnyOrder("c0", "c1", "c2", "c3");
        assertThat(provider.manifest(v.outputFileId()).succeeded()).isEqualTo(4);
    }

    @Test
    void onDemandConverse_carriesTextMessagesAndReportsConverseUsage() {
        String body =
                "{\"recordId\":\"c1\",\"modelInput\":{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}],"
                        + "\"inferenceConfig\":{\"maxTokens\":5}}}\n";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String key = "staging/job-conv/shard-00000.jsonl";
        s3.putObject(r -> r.bucket(BUCKET).key(key), RequestBody.fromBytes(bytes));
        Payload p =
                new Payload(
                        "job-conv-00000.jsonl",
                        bytes.length,
                        () -> new ByteArrayInputStream(bytes),
                        key);
        Submission s =
                provider.submit(
                        p,
                        BedrockContract.endpointFor(CLAUDE, InvocationType.CONVERSE, true),
                        Map.of("batchlane_job_id", "job-conv", "batchlane_shard", "00000"));
        BatchView v = provider.retrieve(s.batchId());
        assertThat(v.state()).isEqualTo(BatchState.COMPLETED);
        LineResult r = results(v).get(0);
        assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(r.responseJson()).contains("\"stopReason\"");
        assertThat(r.usage().outputTokens()).isEqualTo(5);
    }

    @Test
    void aShardBelowTheMinimum_withOnDemandNever_isRefusedForGood_namingTheQuota() {
        Payload p = staged(3, "x");
        assertThatThrownBy(
                        () ->
                                provider.submit(
                                        p,
                                        BedrockContract.endpointFor(
                                                CLAUDE, InvocationType.INVOKE_MODEL, false),
                                        meta(p)))
                .isInstanceOfSatisfying(
                        ProviderException.class,
                        e -> {
                            assertThat(e.retryable()).isFalse();
                            assertThat(e.code()).isEqualTo("below_minimum_records");
                            assertThat(e.getMessage())
                                    .contains("Minimum number of records per batch inference job")
                                    .contains("(100)");
                        });
    }

    @Test
    void theServiceItself_failsAJobBelowItsMinimum_atValidation() {
        Payload p = staged(5, "m");
        String input = provider.upload(p);
        String arn =
                bedrock.createModelInvocationJob(
                                r ->
                                        r.jobName("direct-small-" + shardCounter.get())
                                                .roleArn(ROLE)
                                                .modelId(CLAUDE)
                                                .inputDataConfig(
                                                        i ->
                                                                i.s3InputDataConfig(
                                                                        c ->
                                                                                c.s3Uri(
                                                                                        "s3://lane/"
                                                                                                + input)))
                                                .outputDataConfig(
                                                        o ->
                                                                o.s3OutputDataConfig(
                                                                        c ->
                                                                                c.s3Uri(
                                                                                        "s3://lane/bedrock/output/direct/"))))
                        .jobArn();
        BatchView v = untilTerminal(arn);
        assertThat(v.state()).isEqualTo(BatchState.FAILED);
        assertThat(v.error()).contains("minimum of 100");
    }

    @Test
    void partiallyCompleted_endsWithTheProcessedRecords_andTheRestHaveNoLine() {
        Payload p = staged(200, "p");
        sim.partiallyCompleteNextJobs(1, 0.5);
        Submission s =
                provider.submit(
                        p,
                        BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true),
                        meta(p));
        BatchView v = untilTerminal(s.batchId());
        assertThat(v.providerStatus()).isEqualTo("PartiallyCompleted");
        assertThat(v.state()).isEqualTo(BatchState.EXPIRED);
        assertThat(results(v)).hasSize(100);
    }

    @Test
    void expired_mapsToExpired_withNoOutput() {
        Payload p = staged(100, "e");
        sim.expireNextJobs(1);
        Submission s =
                provider.submit(
                        p,
                        BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true),
                        meta(p));
        BatchView v = untilTerminal(s.batchId());
        assertThat(v.state()).isEqualTo(BatchState.EXPIRED);
        assertThat(v.providerStatus()).isEqualTo("Expired");
        assertThat(results(v)).isEmpty();
    }

    @Test
    void cancel_stopsTheJob_throughStoppingToStopped() {
        Payload p = staged(100, "s");
        Submission s =
                provider.submit(
                        p,
                        BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true),
                        meta(p));
        provider.cancel(s.batchId());
        assertThat(provider.retrieve(s.batchId()).state()).isEqualTo(BatchState.CANCELLING);
        clock.advance(Duration.ofSeconds(10));
        BatchView v = provider.retrieve(s.batchId());
        assertThat(v.state()).isEqualTo(BatchState.CANCELLED);
        assertThat(v.providerStatus()).isEqualTo("Stopped");
    }

    @Test
    void throttledOrOverQuotaCreates_areRetryable_aBadRequestIsNot() {
        Payload p = staged(100, "q");
        String endpoint = BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true);
        // More than the SDK's own retries of a throttled call (3 attempts in its standard mode).
        sim.failNextCalls("create", 429, 5);
        assertThatThrownBy(() -> provider.submit(p, endpoint, meta(p)))
                .isInstanceOfSatisfying(
                        ProviderException.class, e -> assertThat(e.retryable()).isTrue());
        sim.failNextCalls("create", 400, 1);
        assertThatThrownBy(() -> provider.submit(p, endpoint, meta(p)))
                .isInstanceOfSatisfying(
                        ProviderException.class, e -> assertThat(e.retryable()).isTrue());
        Payload q = staged(100, "q");
        assertThatThrownBy(() -> provider.submit(q, "/model/not a model!/invoke", meta(q)))
                .isInstanceOfSatisfying(
                        ProviderException.class,
                        e -> {
                            assertThat(e.retryable()).isFalse();
                            assertThat(e.code()).isEqualTo("ValidationException");
                        });
    }

    @Test
    void concurrentJobsAtTheQuota_holdTheShardBack() {
        long active =
                bedrock
                        .listModelInvocationJobsPaginator(r -> r.nameContains("batchlane-"))
                        .invocationJobSummaries()
                        .stream()
                        .filter(
                                j ->
                                        !List.of(
                                                        "Completed",
                                                        "PartiallyCompleted",
                                                        "Failed",
                                                        "Stopped",
                                                        "Expired")
                                                .contains(j.statusAsString()))
                        .count();
        BedrockQuotas one =
                new BedrockQuotas(100, 50_000, 50_000, 1L << 30, 5L << 30, (int) active + 1);
        BedrockProvider paced = new BedrockProvider(config(one), bedrock, runtime, s3);
        Payload a = staged(100, "a");
        String endpoint = BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true);
        paced.submit(a, endpoint, meta(a));
        Payload b = staged(100, "b");
        assertThatThrownBy(() -> paced.submit(b, endpoint, meta(b)))
                .isInstanceOfSatisfying(
                        ProviderException.class,
                        e -> {
                            assertThat(e.retryable()).isTrue();
                            assertThat(e.code()).isEqualTo("concurrent_jobs");
                        });
    }

    @Test
    void everyBedrockStatus_mapsToOneState() {
        Map<ModelInvocationJobStatus, BatchState> mapped = new HashMap<>();
        for (ModelInvocationJobStatus s : ModelInvocationJobStatus.knownValues()) {
            mapped.put(s, BedrockStatus.stateOf(s, "arn", s.toString()));
        }
        assertThat(mapped)
                .hasSize(10)
                .containsEntry(ModelInvocationJobStatus.SCHEDULED, BatchState.PENDING)
                .containsEntry(ModelInvocationJobStatus.PARTIALLY_COMPLETED, BatchState.EXPIRED)
                .containsEntry(ModelInvocationJobStatus.STOPPING, BatchState.CANCELLING)
                .containsEntry(ModelInvocationJobStatus.EXPIRED, BatchState.EXPIRED);
        assertThatThrownBy(
                        () ->
                                BedrockStatus.stateOf(
                                        ModelInvocationJobStatus.UNKNOWN_TO_SDK_VERSION,
                                        "arn",
                                        "Paused"))
                .isInstanceOf(ProviderException.class)
                .hasMessageContaining("Paused");
    }

    @Test
    void theSimulatorRefusesAnUnsignedOrMalformedCreate_asTheServiceDoes() {
        assertThatThrownBy(
                        () ->
                                bedrock.createModelInvocationJob(
                                        r ->
                                                r.jobName("bad name!")
                                                        .roleArn("not-an-arn")
                                                        .modelId(CLAUDE)
                                                        .inputDataConfig(
                                                                i ->
                                                                        i.s3InputDataConfig(
                                                                                c ->
                                                                                        c.s3Uri(
                                                                                                "s3://lane/x.jsonl")))
                                                        .outputDataConfig(
                                                                o ->
                                                                        o.s3OutputDataConfig(
                                                                                c ->
                                                                                        c.s3Uri(
                                                                                                "s3://lane/out/")))
                                                        .timeoutDurationInHours(12)))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("jobName")
                .hasMessageContaining("roleArn")
                .hasMessageContaining("timeoutDurationInHours");
    }

    @Test
    void requestsAndAnswers_conformToTheServiceModel() throws Exception {
        Optional<ServiceModel> model = ServiceModel.load();
        assumeTrue(
                model.isPresent(),
                "../shared/specs/"
                        + ServiceModel.FILE
                        + " is not beside the repository; the provider's service model is not copied into it");
        Payload p = staged(100, "v");
        Submission s =
                provider.submit(
                        p,
                        BedrockContract.endpointFor(CLAUDE, InvocationType.INVOKE_MODEL, true),
                        meta(p));
        untilTerminal(s.batchId());
        provider.cancel(
                provider.submit(
                                staged(100, "w"),
                                BedrockContract.endpointFor(CLAUDE, InvocationType.CONVERSE, true),
                                Map.of(
                                        "batchlane_job_id",
                                        "job-w" + shardCounter.get(),
                                        "batchlane_shard",
                                        "00001"))
                        .batchId());
        List<String> problems = new ArrayList<>();
        Map<String, String> ops =
                Map.of(
                        "create",
                        "CreateModelInvocationJob",
                        "get",
                        "GetModelInvocationJob",
                        "list",
                        "ListModelInvocationJobs",
                        "stop",
                        "StopModelInvocationJob");
        int checked = 0;
        for (BedrockSimulator.Recorded r : sim.requests()) {
            String op = ops.get(r.operation());
            if (op == null) {
                continue;
            }
            JsonNode operation = model.get().operation(op);
            assertThat(r.method()).isEqualTo(operation.at("/http/method").asText());
            if (r.operation().equals("create") && r.status() == 200) {
                problems.addAll(
                        model.get()
                                .check(
                                        operation.at("/input/shape").asText(),
                                        JSON.readTree(r.requestBody())));
            }
            if (r.status() == 200) {
                problems.addAll(
                        model.get()
                                .check(
                                        operation.at("/output/shape").asText(),
                                        JSON.readTree(r.responseBody())));
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(5);
        assertThat(problems).isEmpty();
    }

    /**
     * A failed record's {@code errorCode} is an HTTP status: throttling and Bedrock's own trouble
     * pass, the record's own fault is final, and a record with neither output nor error is final.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(
            delimiter = '|',
            value = {
                "{\"recordId\":\"a\",\"error\":{\"errorCode\":429,\"errorMessage\":\"m\"}} | PASSING",
                "{\"recordId\":\"a\",\"error\":{\"errorCode\":500,\"errorMessage\":\"m\"}} | PASSING",
                "{\"recordId\":\"a\",\"error\":{\"errorCode\":400,\"errorMessage\":\"m\"}} | FINAL",
                "{\"recordId\":\"a\"} | FINAL",
            })
    void failedRecord_isClassifiedByItsErrorCode(
            String line, dev.batchlane.core.provider.FailureKind kind) throws Exception {
        LineResult r =
                BedrockResults.toResult(
                        new com.fasterxml.jackson.databind.ObjectMapper().readTree(line));

        assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(r.failureKind()).isEqualTo(kind);
    }
}
