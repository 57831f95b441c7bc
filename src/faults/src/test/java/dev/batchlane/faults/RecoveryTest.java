package dev.batchlane.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.aws.LocalAws;
import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.aws.dynamo.StreamPump;
import dev.batchlane.aws.dynamo.TableSetup;
import dev.batchlane.aws.s3.S3ObjectStore;
import dev.batchlane.core.complete.CompleteService;
import dev.batchlane.core.complete.Redrive;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.money.Money;
import dev.batchlane.core.poll.PollService;
import dev.batchlane.core.storage.ObjectStore;
import dev.batchlane.emulators.DynamoDbLocalServer;
import dev.batchlane.emulators.S3MockServer;
import dev.batchlane.provider.openai.OpenAiConfig;
import dev.batchlane.provider.openai.OpenAiProvider;
import dev.batchlane.simulator.MutableClock;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Recovery on DynamoDB Local (behind a proxy that can answer as a busy DynamoDB does), S3Mock and
 * the OpenAI simulator: an ENDED shard is always completed, a resumed ingest is exact, and poll
 * keeps one shard's failure to that shard.
 */
class RecoveryTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BUCKET = "recovery";
    private static final String TABLE = "recovery";
    private static DynamoDbLocalServer dynamoServer;
    private static DynamoFaultProxy proxy;
    private static S3MockServer s3Server;
    private static S3Client s3;
    private static DynamoDbClient dynamo;
    private static StreamPump pump;
    private static DynamoJobStore jobs;
    private static S3ObjectStore objects;

    @BeforeAll
    static void start() {
        dynamoServer = DynamoDbLocalServer.start();
        proxy = DynamoFaultProxy.start(dynamoServer.endpoint());
        s3Server = S3MockServer.start(BUCKET);
        s3 = LocalAws.s3(s3Server.endpoint());
        dynamo = LocalAws.dynamo(proxy.endpoint());
        TableSetup.create(dynamo, TABLE);
        pump =
                new StreamPump(
                        LocalAws.dynamo(dynamoServer.endpoint()),
                        LocalAws.streams(dynamoServer.endpoint()),
                        TABLE,
                        "us-east-1");
        jobs = new DynamoJobStore(dynamo, TABLE);
        objects = new S3ObjectStore(s3, BUCKET);
    }

    @AfterAll
    static void stop() {
        proxy.close();
        s3Server.close();
        dynamoServer.close();
    }

    @BeforeEach
    void clean() {
        proxy.reset();
        pump.drain(1000);
    }

    // ---- item 4: an ENDED shard is always completed ----

    @ParameterizedTest
    @EnumSource(
            value = DynamoFaultProxy.Fault.class,
            names = {"TRANSACTION_THROTTLED", "TRANSACTION_CONFLICT"})
    void completeShard_throttledOrConflicting_isThrownForTheStreamToRetry_notTakenForDoneElsewhere(
            DynamoFaultProxy.Fault fault) throws Exception {
        try (OpenAiSimulator sim =
                OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(41).start()) {
            Lane lane = new Lane(sim, Clock.systemUTC());
            List<String> ids = new ArrayList<>();
            String jobId =
                    lane.drop(
                            "inbox/openai/busy-" + fault + ".jsonl",
                            lines("busy-" + fault, 30, ids));
            int index = jobs.shards(jobId).get(0).index();
            lane.pollUntil(jobId, index, ShardStatus.ENDED);
            proxy.failNext("TransactWriteItems", 1, fault);

            assertThatThrownBy(() -> lane.complete.complete(jobId, index))
                    .isInstanceOf(TransactionCanceledException.class);

            Shard after = jobs.shard(jobId, index).orElseThrow();
            assertThat(after.status())
                    .as("still ENDED, for the retry")
                    .isEqualTo(ShardStatus.ENDED);
            assertThat(after.timeline().claimedAt())
                    .as("the failed invocation gave its claim back")
                    .isNull();
            assertThat(lane.complete.complete(jobId, index).outcome())
                    .isEqualTo(CompleteService.Step.JOINED);
            assertThat(jobs.job(jobId).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);
            assertThat(proxy.injected()).isEqualTo(1);
        }
    }

    @Test
    void
            endedShardWhoseRecordWasLost_isRedrivenByPollAfterItsGrace_butNotWhileACompleteHoldsALiveClaim()
                    throws Exception {
        try (OpenAiSimulator sim =
                OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(42).start()) {
            MutableClock clock =
                    new MutableClock(
                            Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
            Lane lane = new Lane(sim, clock);
            String jobId =
                    lane.drop("inbox/openai/lost.jsonl", lines("lost", 30, new ArrayList<>()));
            int index = jobs.shards(jobId).get(0).index();
            lane.pollUntil(jobId, index, ShardStatus.ENDED);
            pump.drain(1000); // the stream record that would have started complete is lost

            // A complete invocation is running: it claimed the shard and has not finished.
            // A complete invocation is running: it claimed the shard and has not finished; the
            // shard is
            // due (its grace ran out) all the same.
            Shard ended = jobs.shard(jobId, index).orElseThrow();
            Shard claimed = jobs.updateShard(ended, ended.claimed(clock.instant())).orElseThrow();
            jobs.updateShard(claimed, claimed.withDue(clock.instant()));
            clock.advance(Duration.ofMinutes(5));
            lane.poll.pollDue();
            assertThat(endedRecords(pump.drain(1000))).as("not taken from a live claim").isEmpty();
            assertThat(jobs.shard(jobId, index).orElseThrow().timeline().claimedAt())
                    .isEqualTo(claimed.timeline().claimedAt());

            // That invocation died: once its lease is over, poll hands the shard to complete again.
            clock.advance(Shard.COMPLETE_LEASE);
            lane.poll.pollDue();
            List<String> records = endedRecords(pump.drain(1000));
            assertThat(records).containsExactly(jobId + "/" + Shard.partName(index));
            assertThat(jobs.stuckShards(jobId)).containsKey(Shard.partName(index));
            lane.complete.complete(jobId, index);

            assertThat(jobs.job(jobId).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);
            assertThat(jobs.stuckShards(jobId)).as("cleared once completed").isEmpty();
        }
    }

    @Test
    void redrive_handsEveryEndedShardOfAJobToCompleteAtOnce() throws Exception {
        try (OpenAiSimulator sim =
                OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(43).start()) {
            Lane lane = new Lane(sim, Clock.systemUTC());
            String jobId =
                    lane.drop("inbox/openai/dead-letter.jsonl", lines("dl", 90, new ArrayList<>()));
            for (Shard s : jobs.shards(jobId)) {
                lane.pollUntil(jobId, s.index(), ShardStatus.ENDED);
            }
            pump.drain(
                    1000); // complete failed every retry: the records went to the dead-letter queue

            Redrive.RedriveReport r =
                    new Redrive(jobs, Clock.systemUTC(), Duration.ofMinutes(30)).redrive(jobId);

            assertThat(r.shards()).isEqualTo(3);
            lane.deliver(pump.drain(1000));
            assertThat(jobs.job(jobId).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);
        }
    }

    // ---- item 5: resume is exact ----

    @Test
    void jobWhoseShardsAllFinishedBeforeItWasMarkedRunning_completes() throws Exception {
        try (OpenAiSimulator sim =
                OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(51).start()) {
            AtomicBoolean racing = new AtomicBoolean(true);
            Lane[] lane = new Lane[1];
            // Between ingest's last submission and its markRunning, every batch ends and is
            // completed.
            JobStore slowIngest =
                    intercept(
                            jobs,
                            "markRunning",
                            args -> {
                                if (racing.getAndSet(false)) {
                                    String jobId = (String) args[0];
                                    for (Shard s : jobs.shards(jobId)) {
                                        lane[0].pollUntil(jobId, s.index(), ShardStatus.ENDED);
                                    }
                                    lane[0].deliver(pump.drain(1000));
                                    assertThat(jobs.shards(jobId))
                                            .allMatch(s -> s.status() == ShardStatus.COMPLETED);
                                    assertThat(jobs.job(jobId).orElseThrow().status())
                                            .isEqualTo(JobStatus.INGESTING);
                                }
                            });
            lane[0] = new Lane(sim, Clock.systemUTC(), slowIngest, objects);
            String jobId =
                    lane[0].drop("inbox/openai/early.jsonl", lines("early", 60, new ArrayList<>()));

            lane[0].deliver(pump.drain(1000));

            assertThat(jobs.job(jobId).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);
            assertThat(objects.list("results/" + jobId + "/manifest.json")).hasSize(1);
        }
    }

    @Test
    void aTwinIngestThatFailsMidPass_neverOverwritesOrRemovesTheStagedFilesOfShardsThatExist()
            throws Exception {
        try (OpenAiSimulator sim =
                OpenAiSimulator.builder().stepDuration(Duration.ofDays(1)).seed(52).start()) {
            Lane first = new Lane(sim, Clock.systemUTC());
            List<String> ids = new ArrayList<>();
            String file = lines("twin", 100, ids);
            IngestService.ObjectRef ref = put("inbox/openai/twin.jsonl", file);
            String jobId = first.ingest.ingest(ref).jobId();
            Map<String, String> staged = new HashMap<>();
            for (Shard s : jobs.shards(jobId)) {
                staged.put(s.input().stagingKey(), text(s.input().stagingKey()));
            }
            // The twin delivery read "no job yet" before the first created it, and its pass then
            // fails.
            AtomicBoolean firstRead = new AtomicBoolean(true);
            JobStore blind =
                    intercept(
                            jobs,
                            "job",
                            args -> {},
                            (method, args) ->
                                    method.equals("job") && firstRead.getAndSet(false)
                                            ? java.util.Optional.empty()
                                            : null);
            Lane twin =
                    new Lane(
                            sim,
                            Clock.systemUTC(),
                            blind,
                            new CrashingObjectStore(
                                    objects,
                                    k ->
                                            k.startsWith("staging/" + jobId + "/")
                                                    && k.endsWith("shard-00003.jsonl"),
                                    1));

            assertThatThrownBy(() -> twin.ingest.ingest(ref)).isInstanceOf(RuntimeException.class);

            for (var e : staged.entrySet()) {
                assertThat(objects.list(e.getKey())).as(e.getKey() + " still there").hasSize(1);
                assertThat(text(e.getKey())).as(e.getKey() + " unchanged").isEqualTo(e.getValue());
            }
            sim.setStepDuration(Duration.ZERO);
            first.runUntilDone(jobId);
            assertThat(jobs.job(jobId).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);
        }
    }

    @Test
    void ingestThatFailedForGood_isRecordedWithItsReason_andResumeRunsItWithoutTheEvent()
            throws Exception {
        try (OpenAiSimulator sim =
                OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(53).start()) {
            AtomicInteger failures = new AtomicInteger();
            LaneMetrics counting =
                    new LaneMetrics() {
                        @Override
                        public void ingestFailed() {
                            failures.incrementAndGet();
                        }
                    };
            // Every attempt Lambda makes (three) fails while staging.
            ObjectStore broken = new CrashingObjectStore(objects, k -> k.startsWith("staging/"), 3);
            Lane lane = new Lane(sim, Clock.systemUTC(), jobs, broken, counting);
            IngestService.ObjectRef ref =
                    put("inbox/openai/doomed.jsonl", lines("doomed", 50, new ArrayList<>()));
            String jobId = dev.batchlane.core.lane.Keys.jobId(BUCKET, ref.key(), ref.etag());
            for (int attempt = 0; attempt < 3; attempt++) {
                assertThatThrownBy(() -> lane.ingest.ingest(ref))
                        .isInstanceOf(RuntimeException.class);
            }
            assertThat(jobs.job(jobId)).isEmpty();
            var failure = jobs.ingestFailure(jobId).orElseThrow();
            assertThat(failure.attempts()).isEqualTo(3);
            assertThat(failure.key()).isEqualTo(ref.key());
            assertThat(failure.error()).contains("Crash");
            assertThat(failures).hasValue(3);

            lane.ingest.resume(jobId, dev.batchlane.core.lane.Deadline.none());

            assertThat(jobs.ingestFailure(jobId))
                    .as("cleared by the attempt that succeeded")
                    .isEmpty();
            lane.runUntilDone(jobId);
            assertThat(jobs.job(jobId).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);
            assertThat(sim.batches().size())
                    .as("one batch per shard")
                    .isEqualTo(jobs.shards(jobId).size());
        }
    }

    @Test
    void resumeOfAJobStillIngesting_submitsOnlyWhatIsStaged_andCountsOnlyInputShards()
            throws Exception {
        try (OpenAiSimulator sim =
                OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(54).start()) {
            // The first attempt dies after submitting the first shard, before marking the job
            // running.
            JobStore dying =
                    intercept(
                            jobs,
                            "markRunning",
                            args -> {
                                throw new IllegalStateException("invocation killed");
                            });
            Lane lane = new Lane(sim, Clock.systemUTC(), dying, objects);
            IngestService.ObjectRef ref =
                    put("inbox/openai/half.jsonl", lines("half", 120, new ArrayList<>()));
            assertThatThrownBy(() -> lane.ingest.ingest(ref)).hasMessageContaining("killed");
            String jobId = dev.batchlane.core.lane.Keys.jobId(BUCKET, ref.key(), ref.etag());
            long batchesBefore = sim.batches().size();
            assertThat(batchesBefore).isEqualTo(3);

            Lane healthy = new Lane(sim, Clock.systemUTC());
            healthy.ingest.resume(jobId, dev.batchlane.core.lane.Deadline.none());

            assertThat(sim.batches().size())
                    .as("nothing at the provider twice")
                    .isEqualTo(batchesBefore);
            Job job = jobs.job(jobId).orElseThrow();
            assertThat(job.status()).isEqualTo(JobStatus.RUNNING);
            assertThat(job.shardCount()).isEqualTo(3);
            healthy.runUntilDone(jobId);
            assertThat(jobs.job(jobId).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);
        }
    }

    @Test
    void theSameBytesDroppedAgainUnderTheSameKeyWhileTheFirstJobRuns_areReportedNotRunTwice()
            throws Exception {
        try (OpenAiSimulator sim =
                OpenAiSimulator.builder().stepDuration(Duration.ofDays(1)).seed(55).start()) {
            // A versioned bucket: the second PUT of the same bytes is a new version, so a new job
            // id.
            ObjectStore versionless =
                    (ObjectStore)
                            Proxy.newProxyInstance(
                                    ObjectStore.class.getClassLoader(),
                                    new Class<?>[] {ObjectStore.class},
                                    (p, m, args) -> {
                                        Object[] a = args;
                                        if (m.getName().equals("open")
                                                && args != null
                                                && args.length == 2) {
                                            a = new Object[] {args[0], null};
                                        }
                                        try {
                                            return m.invoke(objects, a);
                                        } catch (java.lang.reflect.InvocationTargetException e) {
                                            throw e.getCause();
                                        }
                                    });
            Lane lane = new Lane(sim, Clock.systemUTC(), jobs, versionless);
            String file = lines("again", 40, new ArrayList<>());
            put("inbox/openai/again.jsonl", file);
            var v1 =
                    new IngestService.ObjectRef(
                            BUCKET, "inbox/openai/again.jsonl", "v1", "e", file.length());
            var v2 =
                    new IngestService.ObjectRef(
                            BUCKET, "inbox/openai/again.jsonl", "v2", "e", file.length());
            String first = lane.ingest.ingest(v1).jobId();

            IngestService.Ingestion again = lane.ingest.ingest(v2);

            assertThat(again.outcome()).isEqualTo(IngestService.Outcome.REJECTED);
            assertThat(sim.batches().size()).as("submitted once").isEqualTo(1);
            JsonNode report =
                    JSON.readTree(
                            text(
                                    dev.batchlane.core.lane.Keys.rejectedReport(
                                            "openai", "again", again.jobId())));
            assertThat(report.at("/firstViolations/0/code").asText()).isEqualTo("duplicate_input");
            assertThat(report.path("message").asText()).contains(first).contains("sha256");
        }
    }

    // ---- item 6: poll isolates failures ----

    @Test
    void aShardWithoutAJobRecord_hasItsFailureRecordedAndItsPollPushedOut_whileTheOthersMoveOn()
            throws Exception {
        try (OpenAiSimulator sim =
                OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(61).start()) {
            MutableClock clock =
                    new MutableClock(
                            Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
            Lane lane = new Lane(sim, clock);
            String jobId =
                    lane.drop(
                            "inbox/openai/healthy.jsonl", lines("healthy", 30, new ArrayList<>()));
            jobs.createShard(
                    Shard.staged(
                            "job-orphan", 3, "openai", "staging/none", 1, 1, 0, clock.instant()));

            PollService.Summary cycle = lane.poll.pollDue();

            assertThat(cycle.errors()).isEqualTo(1);
            assertThat(cycle.progressed() + cycle.ended())
                    .as("the cycle went on with the others")
                    .isEqualTo(1);
            Shard orphan = jobs.shard("job-orphan", 3).orElseThrow();
            assertThat(orphan.trouble()).isNotNull();
            assertThat(orphan.trouble().failures()).isEqualTo(1);
            assertThat(orphan.trouble().lastError()).contains("no job record");
            for (int i = 0; i < 3; i++) {
                clock.advance(Duration.ofHours(1));
                lane.poll.pollDue();
            }
            assertThat(jobs.stuckShards("job-orphan")).containsKey("00003");
            assertThat(jobs.shard("job-orphan", 3).orElseThrow().trouble().stuck())
                    .contains("no job record");
        }
    }

    // ---- the lane, as the functions wire it ----

    private static List<String> endedRecords(List<String> events) throws Exception {
        List<String> out = new ArrayList<>();
        for (String event : events) {
            for (JsonNode rec : JSON.readTree(event).get("Records")) {
                JsonNode ddb = rec.get("dynamodb");
                if ("ENDED".equals(ddb.at("/NewImage/status/S").asText())
                        && !"ENDED".equals(ddb.at("/OldImage/status/S").asText())) {
                    out.add(
                            ddb.at("/NewImage/jobId/S").asText()
                                    + "/"
                                    + Shard.partName(
                                            Integer.parseInt(
                                                    ddb.at("/NewImage/shardIndex/N").asText())));
                }
            }
        }
        return out;
    }

    /**
     * A store that runs {@code before} ahead of {@code method}, and may answer some calls itself.
     */
    private static JobStore intercept(
            JobStore real, String method, java.util.function.Consumer<Object[]> before) {
        return intercept(real, method, before, (m, a) -> null);
    }

    private static JobStore intercept(
            JobStore real,
            String method,
            java.util.function.Consumer<Object[]> before,
            java.util.function.BiFunction<String, Object[], Object> answer) {
        return (JobStore)
                Proxy.newProxyInstance(
                        JobStore.class.getClassLoader(),
                        new Class<?>[] {JobStore.class},
                        (p, m, args) -> {
                            Object mine = answer.apply(m.getName(), args);
                            if (mine != null) {
                                return mine;
                            }
                            if (m.getName().equals(method)) {
                                before.accept(args);
                            }
                            try {
                                return m.invoke(real, args);
                            } catch (java.lang.reflect.InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
    }

    private static String lines(String prefix, int n, List<String> ids) {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < n; i++) {
            String id = prefix + "-" + i;
            ids.add(id);
            file.append("{\"custom_id\":\"")
                    .append(id)
                    .append("\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",")
                    .append(
                            "\"body\":{\"model\":\"gpt-4o-mini\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",")
                    .append("\"content\":\"case ")
                    .append(i)
                    .append("\"}]}}\n");
        }
        return file.toString();
    }

    private static IngestService.ObjectRef put(String key, String file) {
        s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString(file));
        String etag = s3.headObject(b -> b.bucket(BUCKET).key(key)).eTag();
        return new IngestService.ObjectRef(BUCKET, key, null, etag, file.length());
    }

    private static String text(String key) {
        return s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asString(StandardCharsets.UTF_8);
    }

    private static final class Lane {
        final IngestService ingest;
        final PollService poll;
        final CompleteService complete;

        Lane(OpenAiSimulator sim, Clock clock) throws Exception {
            this(sim, clock, jobs, objects);
        }

        Lane(OpenAiSimulator sim, Clock clock, JobStore store, ObjectStore objects)
                throws Exception {
            this(sim, clock, store, objects, LaneMetrics.NONE);
        }

        Lane(
                OpenAiSimulator sim,
                Clock clock,
                JobStore store,
                ObjectStore objects,
                LaneMetrics metrics)
                throws Exception {
            LaneSettings settings =
                    new LaneSettings(
                            new IngestLimits(40, 10_000_000, 100_000, 20),
                            Duration.ZERO,
                            Duration.ZERO,
                            500,
                            Files.createTempDirectory("recovery-"),
                            Money.defaults(),
                            2);
            var provider =
                    new OpenAiProvider(
                            new OpenAiConfig(
                                    URI.create(sim.baseUrl()),
                                    "sk-recovery",
                                    Duration.ofSeconds(30)),
                            HttpClient.newHttpClient());
            Providers providers = new Providers(List.of(provider));
            ingest = new IngestService(store, objects, providers, settings, clock, metrics);
            poll = new PollService(jobs, objects, providers, settings, clock, metrics);
            complete = new CompleteService(jobs, objects, providers, settings, clock);
        }

        String drop(String key, String file) {
            return ingest.ingest(put(key, file)).jobId();
        }

        void pollUntil(String jobId, int index, ShardStatus status) {
            for (int i = 0;
                    i < 50 && jobs.shard(jobId, index).orElseThrow().status() != status;
                    i++) {
                poll.pollDue();
            }
            assertThat(jobs.shard(jobId, index).orElseThrow().status()).isEqualTo(status);
        }

        /**
         * Hands stream records to complete as the deployed filters would (shards into ENDED, finish
         * requests).
         */
        void deliver(List<String> events) {
            for (String event : events) {
                try {
                    for (JsonNode rec : JSON.readTree(event).get("Records")) {
                        JsonNode ddb = rec.get("dynamodb");
                        JsonNode next = ddb.path("NewImage");
                        if ("job".equals(next.at("/type/S").asText())
                                && "RUNNING".equals(next.at("/status/S").asText())
                                && next.has(DynamoJobStore.FINISH_REQUESTED)
                                && !ddb.path("OldImage").has(DynamoJobStore.FINISH_REQUESTED)) {
                            complete.finish(next.at("/jobId/S").asText());
                        } else if ("ENDED".equals(next.at("/status/S").asText())
                                && !"ENDED".equals(ddb.at("/OldImage/status/S").asText())) {
                            complete.complete(
                                    next.at("/jobId/S").asText(),
                                    Integer.parseInt(next.at("/shardIndex/N").asText()));
                        }
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }

        void runUntilDone(String jobId) {
            for (int tick = 0;
                    tick < 100 && jobs.job(jobId).orElseThrow().status() != JobStatus.COMPLETED;
                    tick++) {
                poll.pollDue();
                deliver(pump.drain(100));
            }
        }
    }
}
