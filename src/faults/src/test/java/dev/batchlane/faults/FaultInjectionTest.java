package dev.batchlane.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.aws.LocalAws;
import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.aws.dynamo.DynamoQueueBuffer;
import dev.batchlane.aws.dynamo.StreamPump;
import dev.batchlane.aws.dynamo.TableSetup;
import dev.batchlane.aws.s3.S3ObjectStore;
import dev.batchlane.core.complete.CompleteService;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.money.Money;
import dev.batchlane.core.poll.PollService;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.queue.Answer;
import dev.batchlane.core.queue.AnswerDelivery;
import dev.batchlane.core.queue.AnswerSink;
import dev.batchlane.core.queue.Flush;
import dev.batchlane.core.queue.QueueAnswers;
import dev.batchlane.core.queue.QueueBuffer;
import dev.batchlane.core.queue.QueueFlusher;
import dev.batchlane.core.queue.QueueIntake;
import dev.batchlane.core.queue.QueueKeys;
import dev.batchlane.core.queue.QueueName;
import dev.batchlane.core.queue.QueuePolicies;
import dev.batchlane.core.queue.QueuePolicy;
import dev.batchlane.core.storage.ObjectStore;
import dev.batchlane.emulators.DynamoDbLocalServer;
import dev.batchlane.emulators.S3MockServer;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The whole pipeline — ingest, poll, complete on real DynamoDB Local, S3Mock and one provider's
 * simulator, picked by the seed among all eight ({@code seed % 8}: Bedrock, OpenAI, Anthropic,
 * Azure, Groq, Mistral, Together, Gemini) — under faults drawn from the seed: creating calls
 * (uploads and creates) that take effect and lose their answer, provider queue limits, lines
 * failing for good or once, batches expiring with partial results, provider calls answering 429 or
 * 5xx, slow model calls on demand (Bedrock), a second job reusing the first one's ids, events
 * delivered twice, poll and complete running concurrently, DynamoDB transactions cancelled as
 * throttled or conflicting (through {@link DynamoFaultProxy}), and Lambda's retry of an invocation
 * that threw. One seed in eight drops fifty small files at once instead of one ({@link
 * FiftyDrops}): ingested in parallel, some twice at once, some sharing ids, some cancelled while a
 * creation is unresolved. Whatever the seed, the invariant must hold: every job has ended or is
 * flagged stuck within the suite's bound (and must have ended), every input custom_id is joined
 * exactly once, every failure is also in failed.jsonl in the input's format, the manifest's counts
 * add up, nothing is left at the provider, no shard's batch was created twice, no batch is recorded
 * by two shards or two jobs, and no request was run twice on demand. Every service signs with its
 * own key and its calls go through the local IAM enforcement ({@link Enforcement}) with its role
 * from the synthesized template; no test may see a denial. Seeds: {@code -Dfaults.seeds=1..200} or
 * {@code -Dfaults.seeds=4,9,17}.
 */
class FaultInjectionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BUCKET = "faults";
    private static final String TABLE = "faults";
    private static DynamoDbLocalServer dynamoServer;

    /** Between the lane and DynamoDB Local: answers some transactions as a busy DynamoDB does. */
    private static DynamoFaultProxy dynamoFaults;

    private static S3MockServer s3Server;
    private static S3Client s3;
    private static DynamoDbClient dynamo;
    private static StreamPump pump;
    private static DynamoJobStore jobs;
    private static S3ObjectStore objects;

    /**
     * The functions' own credentials and roles, enforced in front of S3Mock and the fault proxy.
     */
    private static Enforcement iam;

    private int denialsBefore;

    @BeforeAll
    static void start() {
        dynamoServer = DynamoDbLocalServer.start();
        s3Server = S3MockServer.start(BUCKET);
        s3 = LocalAws.s3(s3Server.endpoint());
        dynamoFaults = DynamoFaultProxy.start(dynamoServer.endpoint());
        dynamo = LocalAws.dynamo(dynamoFaults.endpoint());
        TableSetup.create(dynamo, TABLE);
        // The chain each function's calls take: IAM proxy → DynamoDB fault proxy → DynamoDB Local.
        iam =
                Enforcement.start(
                        BUCKET, s3Server.endpoint(), TABLE, dynamoFaults.endpoint(), dynamo);
        // Lambda's event source mapping reads the stream with complete's role.
        pump =
                new StreamPump(
                        LocalAws.dynamo(dynamoServer.endpoint()),
                        iam.streams("complete"),
                        TABLE,
                        "us-east-1");
        // The test's own view (the account owner's): unchecked.
        jobs = new DynamoJobStore(dynamo, TABLE);
        objects = new S3ObjectStore(s3, BUCKET);
    }

    /** Only a seed's own draw makes DynamoDB busy; every other test starts with it quiet. */
    @org.junit.jupiter.api.BeforeEach
    void quietDynamo() {
        dynamoFaults.reset();
        denialsBefore = iam.denials().size();
    }

    /** Whatever the faults, the functions' roles allowed every call they made. */
    @org.junit.jupiter.api.AfterEach
    void noDenials() {
        var denials = iam.denials();
        assertThat(denials.subList(denialsBefore, denials.size()))
                .as("calls the roles in %s refused", iam.templatePath())
                .isEmpty();
    }

    @AfterAll
    static void stop() {
        if (iam != null) {
            iam.close();
        }
        dynamoFaults.close();
        s3Server.close();
        dynamoServer.close();
    }

    static Stream<Long> seeds() {
        String spec = System.getProperty("faults.seeds", "1..8,13").trim();
        // A list of seeds and ranges: "1..200", "4,9,17", "1..8,13".
        return Stream.of(spec.split(","))
                .map(String::trim)
                .filter(x -> !x.isEmpty())
                .flatMap(
                        item -> {
                            if (item.contains("..")) {
                                String[] range = item.split("\\.\\.");
                                return LongStream.rangeClosed(
                                                Long.parseLong(range[0].trim()),
                                                Long.parseLong(range[1].trim()))
                                        .boxed();
                            }
                            return Stream.of(Long.parseLong(item));
                        });
    }

    /**
     * The providers a seed picks from, by {@code seed % 8}: seeds 1..8 run each once. OpenAI stays
     * at 1 and Anthropic at 2, so those seeds draw what they always drew.
     */
    private static final List<java.util.function.LongFunction<Sim>> PROVIDERS =
            List.of(
                    seed -> new BedrockSim(seed, s3Server.endpoint(), BUCKET),
                    OpenAiSim::new,
                    AnthropicSim::new,
                    AzureSim::new,
                    GroqSim::new,
                    MistralSim::new,
                    TogetherSim::new,
                    GeminiSim::new);

    // A hang (a simulator's deadlock once) otherwise costs every tick's timeout up to the bound and
    // then fails elsewhere; as a timeout it fails here, under this seed's name. A fifty-drop seed
    // takes under two minutes on a loaded machine, so fifteen only bounds a hang.
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void underRandomFaults_everyRequestEndsInExactlyOnePlace(long seed) throws Exception {
        Random r = new Random(seed);
        // Draws added after the first seeds were recorded come from a Random of their own, so the
        // seeds recorded so far replay the same. Its seed is spread (the golden ratio's odd
        // multiplier): java.util.Random's first draw barely moves between neighbouring seeds, and
        // new Random(~seed).nextInt(4) was the same for every seed from 1 to 200.
        Random more = new Random(seed * 0x9E3779B97F4A7C15L);
        try (Sim sim = PROVIDERS.get((int) Math.floorMod(seed, PROVIDERS.size())).apply(seed)) {
            int lines = 150 + r.nextInt(350);
            int shardSize = 40 + r.nextInt(80);
            Lane lane = new Lane(sim.provider(), shardSize);
            if (FiftyDrops.drawn(seed)) {
                dropFiftyAtOnce(seed, sim, lane, r, shardSize);
                return;
            }
            if (QueuedTraffic.drawn(seed)) {
                enqueueOneAtATime(seed, sim, lane, r, lines, shardSize);
                return;
            }
            List<String> ids = new ArrayList<>();
            StringBuilder file = new StringBuilder();
            for (int i = 0; i < lines; i++) {
                String id = "s" + seed + "-r" + i;
                ids.add(id);
                file.append(sim.line(id, i)).append('\n');
            }
            String faults =
                    sim.name() + ": " + injectDynamoFaults(r) + sim.injectFaults(r, ids, shardSize);

            String key = "inbox/" + sim.name() + "/seed-" + seed + ".jsonl";
            var ref = put(key, file.toString(), sim.metadata());
            Map<String, String> inputs = new java.util.LinkedHashMap<>();
            inputs.put(lane.ingestWithRetries(ref, r), file.toString());
            if (r.nextBoolean()) {
                lane.ingest.ingest(ref); // S3 delivers at least once
            }
            if (more.nextInt(4) == 0) {
                // Users reuse ids across files (req-1…, the same ids every day): a second job with
                // the same custom_ids runs beside the first, other requests behind them.
                StringBuilder again = new StringBuilder();
                for (int i = 0; i < lines; i++) {
                    again.append(sim.line(ids.get(i), lines + i)).append('\n');
                }
                var second =
                        put(
                                "inbox/" + sim.name() + "/seed-" + seed + "-again.jsonl",
                                again.toString(),
                                sim.metadata());
                inputs.put(lane.ingestWithRetries(second, r), again.toString());
                faults += ", a second job with the same ids";
            }
            String why = "seed " + seed + " (" + faults + ")";

            lane.runUntilDone(List.copyOf(inputs.keySet()), r);

            assertTerminalOrFlagged(inputs.keySet(), why);
            for (var input : inputs.entrySet()) {
                assertThat(jobs.job(input.getKey()).orElseThrow().status())
                        .as("%s: status of job %s", why, input.getKey())
                        .isEqualTo(JobStatus.COMPLETED);
                assertResults(input.getKey(), ids, input.getValue(), sim.idField(), why);
            }
            assertProvider(List.copyOf(inputs.keySet()), sim, why);
        }
    }

    /** See {@link QueuedTraffic}. */
    private static void enqueueOneAtATime(
            long seed, Sim sim, Lane lane, Random r, int lines, int shardSize) throws Exception {
        Random q = new Random(seed * 0x9E3779B97F4A7C15L + 3);
        QueueName queue = new QueueName(sim.name(), "seed-" + seed);
        List<String> ids = new ArrayList<>();
        List<String> requests = new ArrayList<>();
        for (int i = 0; i < lines; i++) {
            String id = "s" + seed + "-q" + i;
            ids.add(id);
            requests.add(sim.line(id, i));
        }
        int maxRequests = 20 + q.nextInt(120);
        boolean flusherDies = q.nextBoolean();
        String faults =
                sim.name()
                        + ": queued one at a time, "
                        + maxRequests
                        + " a flush"
                        + (flusherDies ? ", a flusher dying after fixing a flush" : "")
                        + ", "
                        + injectDynamoFaults(r)
                        + sim.injectFaults(r, ids, shardSize);
        String why = "seed " + seed + " (" + faults + ")";
        // The flusher's clock can be moved past a dead flusher's lease.
        java.util.concurrent.atomic.AtomicReference<Duration> skew =
                new java.util.concurrent.atomic.AtomicReference<>(Duration.ZERO);
        Clock flusherClock =
                new Clock() {
                    @Override
                    public java.time.ZoneId getZone() {
                        return java.time.ZoneOffset.UTC;
                    }

                    @Override
                    public Clock withZone(java.time.ZoneId zone) {
                        return this;
                    }

                    @Override
                    public java.time.Instant instant() {
                        return java.time.Instant.now().plus(skew.get());
                    }
                };
        RecordingAnswers sink = new RecordingAnswers(q);
        QueueLane ql = new QueueLane(lane, maxRequests, flusherDies, flusherClock, sink);

        // Enqueue: four invocations at once, each request once or twice, a few bad ones.
        List<String> bad = List.of("{\"not\": \"closed\"", "[1, 2]", "{\"custom_id\": 7}");
        List<Runnable> deliveries = new ArrayList<>();
        for (int i = 0; i < lines; i++) {
            byte[] line = requests.get(i).getBytes(StandardCharsets.UTF_8);
            int copies = q.nextInt(5) == 0 ? 2 : 1;
            for (int c = 0; c < copies; c++) {
                deliveries.add(() -> ql.enqueueWithRetries(queue, line, sim.metadata()));
            }
        }
        for (String b : bad) {
            deliveries.add(
                    () ->
                            ql.enqueueWithRetries(
                                    queue, b.getBytes(StandardCharsets.UTF_8), sim.metadata()));
        }
        java.util.Collections.shuffle(deliveries, q);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            deliveries.forEach(d -> done.add(pool.submit(d)));
            for (var f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(sink.refusals())
                .as("%s: bad requests answered at once", why)
                .hasSize(bad.size());

        // Flush, run each flush's job, answer; until every request is answered.
        Map<String, String> inputs = new java.util.LinkedHashMap<>();
        Map<String, List<String>> idsOf = new java.util.LinkedHashMap<>();
        Set<String> ingested = new HashSet<>();
        for (int round = 0; round < 40 && sink.answeredIds().size() < lines; round++) {
            Map<String, String> jobOfFlush = new HashMap<>();
            for (Flush f : ql.flushWithRetries(skew)) {
                if (f.jobId() != null) {
                    jobOfFlush.put(QueueKeys.inbox(f), f.jobId());
                }
            }
            // S3 announces every file a flush wrote, also those of a cycle that failed after
            // writing them (its list of flushes is lost with it): ingest reads what is there.
            String prefix = "inbox/" + sim.name() + "/queued/" + queue.name() + "/";
            for (String key : objects.list(prefix)) {
                if (ingested.contains(key)) {
                    continue;
                }
                String text = text(key);
                // As S3's event names it: the ETag without its quotes.
                String etag =
                        s3.headObject(b -> b.bucket(BUCKET).key(key)).eTag().replace("\"", "");
                var ref = new IngestService.ObjectRef(BUCKET, key, null, etag, text.length());
                String jobId = lane.ingestWithRetries(ref, r);
                if (jobOfFlush.containsKey(key)) {
                    assertThat(jobId)
                            .as("%s: the job of flush file %s", why, key)
                            .isEqualTo(jobOfFlush.get(key));
                }
                if (r.nextBoolean()) {
                    lane.ingest.ingest(ref); // S3 delivers at least once
                }
                ingested.add(key);
                List<String> flushed = new ArrayList<>();
                for (String l : text.split("\n")) {
                    flushed.add(JSON.readTree(l).path(sim.idField()).asText());
                }
                inputs.put(jobId, text);
                idsOf.put(jobId, flushed);
            }
            lane.runUntilDone(
                    inputs.keySet().stream()
                            .filter(j -> jobs.job(j).orElseThrow().status() != JobStatus.COMPLETED)
                            .toList(),
                    r);
            ql.answers.answerEnded(dev.batchlane.core.lane.Deadline.none());
        }

        // Each valid request in exactly one flush, each flush's job whole, each request answered
        // once.
        List<String> allFlushed = new ArrayList<>();
        idsOf.values().forEach(allFlushed::addAll);
        assertThat(allFlushed)
                .as("%s: requests across flushes", why)
                .containsExactlyInAnyOrderElementsOf(ids);
        assertTerminalOrFlagged(inputs.keySet(), why);
        Map<String, JsonNode> joined = new HashMap<>();
        for (var input : inputs.entrySet()) {
            assertThat(jobs.job(input.getKey()).orElseThrow().status())
                    .as("%s: status of job %s", why, input.getKey())
                    .isEqualTo(JobStatus.COMPLETED);
            joined.putAll(
                    assertResults(
                            input.getKey(),
                            idsOf.get(input.getKey()),
                            input.getValue(),
                            sim.idField(),
                            why));
        }
        assertProvider(List.copyOf(inputs.keySet()), sim, why);
        Map<String, List<JsonNode>> answers = sink.answersById();
        assertThat(answers.keySet())
                .as("%s: answered ids", why)
                .containsExactlyInAnyOrderElementsOf(ids);
        answers.forEach(
                (id, got) -> {
                    assertThat(got).as("%s: answers of %s", why, id).hasSize(1);
                    assertThat(got.get(0))
                            .as("%s: the answer of %s is its joined line", why, id)
                            .isEqualTo(joined.get(id));
                    try {
                        assertThat(JSON.readTree(text(QueueKeys.answer(queue, id))))
                                .as("%s: the kept answer of %s", why, id)
                                .isEqualTo(joined.get(id));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
        assertThat(ql.buffer.groups()).as("%s: nothing left waiting", why).isEmpty();
    }

    /**
     * Fifty small files dropped at once (see {@link FiftyDrops}), each delivered by its own
     * invocation on a pool of threads, some twice at the same moment; a few files reuse the same
     * ids; the jobs that still have a creation without an answer once their ingest returned are
     * cancelled then, beside a poll, and in half of these seeds one drawn job too. The seed's
     * faults are drawn as for one file, over all fifty files' ids. Every job must hold the
     * invariant on its own, its answers must be its own, and the provider's counts hold over all of
     * them.
     */
    private static void dropFiftyAtOnce(long seed, Sim sim, Lane lane, Random r, int shardSize)
            throws Exception {
        FiftyDrops drops = FiftyDrops.draw(seed, sim);
        String faults =
                sim.name()
                        + ": "
                        + drops
                        + ", "
                        + injectDynamoFaults(r)
                        + sim.injectFaults(r, drops.allIds(), shardSize);
        Map<FiftyDrops.Drop, String> jobOf = new java.util.LinkedHashMap<>();
        List<String> twins = new ArrayList<>();
        var pool = java.util.concurrent.Executors.newFixedThreadPool(FiftyDrops.INVOCATIONS);
        try {
            Map<FiftyDrops.Drop, List<java.util.concurrent.Future<String>>> deliveries =
                    new java.util.LinkedHashMap<>();
            for (FiftyDrops.Drop drop : drops.files()) {
                var ref = put(drop.key(), drop.text(), sim.metadata());
                var mine = new ArrayList<java.util.concurrent.Future<String>>();
                mine.add(pool.submit(() -> lane.ingestWithRetries(ref, r)));
                if (drop.twice()) {
                    mine.add(pool.submit(() -> lane.ingestWithRetries(ref, r)));
                }
                deliveries.put(drop, mine);
            }
            for (var d : deliveries.entrySet()) {
                Set<String> made = new java.util.LinkedHashSet<>();
                for (var f : d.getValue()) {
                    made.add(f.get());
                }
                assertThat(made)
                        .as(
                                "seed %d (%s): jobs made for %s by deliveries at the same moment",
                                seed, faults, d.getKey().key())
                        .hasSize(1);
                jobOf.put(d.getKey(), made.iterator().next());
                if (d.getValue().size() > 1) {
                    twins.add(d.getKey().name());
                }
            }
            // A cancel met while a creation's answer is still unknown must find what it made.
            List<String> cancelled = new ArrayList<>();
            List<java.util.concurrent.Future<?>> cancels = new ArrayList<>();
            for (var d : jobOf.entrySet()) {
                boolean unresolved =
                        jobs.shards(d.getValue()).stream()
                                .anyMatch(
                                        s ->
                                                s.status()
                                                                == dev.batchlane.core.job
                                                                        .ShardStatus.STAGED
                                                        && s.attempt() != null);
                if ((unresolved && cancelled.size() < 3) || d.getKey() == drops.cancelled()) {
                    cancelled.add(d.getKey().name() + (unresolved ? " (creation unresolved)" : ""));
                    cancels.add(pool.submit(() -> lane.cancelWithRetries(d.getValue())));
                }
            }
            lane.poll.pollDue();
            for (var c : cancels) {
                c.get();
            }
            faults +=
                    ", delivered twice at once: "
                            + twins
                            + ", cancelled after ingest: "
                            + cancelled;
        } finally {
            pool.shutdownNow();
        }
        String why = "seed " + seed + " (" + faults + ")";

        lane.deliveries = FiftyDrops.INVOCATIONS;
        lane.runUntilDone(List.copyOf(jobOf.values()), r, FiftyDrops.BOUND);

        assertTerminalOrFlagged(jobOf.values(), why);
        Map<String, Map<Integer, Long>> tokensBySharedId = new java.util.TreeMap<>();
        for (var d : jobOf.entrySet()) {
            FiftyDrops.Drop drop = d.getKey();
            String jobId = d.getValue();
            String whose = why + ", " + drop.name() + " (job " + jobId + ")";
            assertThat(jobs.job(jobId).orElseThrow().status())
                    .as("%s: status", whose)
                    .isEqualTo(JobStatus.COMPLETED);
            Map<String, JsonNode> joined =
                    assertResults(jobId, drop.ids(), drop.text(), sim.idField(), whose);
            if (drop.sharing() >= 0) {
                joined.forEach(
                        (id, line) -> {
                            JsonNode in = line.path("usage").path("input_tokens");
                            if (line.path("outcome").asText().equals("succeeded")
                                    && in.isNumber()) {
                                tokensBySharedId
                                        .computeIfAbsent(id, x -> new java.util.TreeMap<>())
                                        .put(drop.sharing(), in.asLong() - drop.sharing());
                            }
                        });
            }
        }
        // The files reusing ids differ only in their prompt's padding, one token per file, so an
        // answer joined into the wrong job shows as a count off by the difference.
        assertThat(tokensBySharedId)
                .as("%s: input tokens of each shared id, by file, less the file's padding", why)
                .isNotEmpty()
                .allSatisfy(
                        (id, byFile) ->
                                assertThat(new HashSet<>(byFile.values()))
                                        .as(
                                                "%s: %s answered in the files sharing it (%s)",
                                                why, id, byFile)
                                        .hasSize(1));
        assertProvider(List.copyOf(jobOf.values()), sim, why);
    }

    /**
     * Nobody waits forever: once the suite's bound of ticks has run, each job has ended or a shard
     * of it says why it cannot go on.
     */
    private static void assertTerminalOrFlagged(java.util.Collection<String> jobIds, String why) {
        for (String jobId : jobIds) {
            Job job = jobs.job(jobId).orElseThrow();
            if (job.status() == JobStatus.COMPLETED || job.status() == JobStatus.REJECTED) {
                continue;
            }
            List<String> open = new ArrayList<>();
            boolean flagged = false;
            for (var shard : jobs.shards(jobId)) {
                if (shard.status() == dev.batchlane.core.job.ShardStatus.COMPLETED) {
                    continue;
                }
                flagged |= shard.trouble() != null && shard.trouble().isStuck();
                open.add(
                        shard.id()
                                + " "
                                + shard.status()
                                + (shard.trouble() == null ? "" : " " + shard.trouble()));
            }
            assertThat(flagged)
                    .as(
                            "%s: job %s is %s after the bound, and no shard is flagged stuck: %s",
                            why, jobId, job.status(), open)
                    .isTrue();
        }
    }

    /**
     * DynamoDB busy, half the time: transactions (a shard's completion) cancelled as throttled or
     * conflicting.
     */
    private static String injectDynamoFaults(Random r) {
        dynamoFaults.reset();
        if (r.nextBoolean()) {
            double busy = r.nextDouble() * 0.3;
            dynamoFaults.failTransactions(busy, r.nextLong());
            return String.format("%.2f of transactions throttled or conflicting, ", busy);
        }
        return "";
    }

    private static void assertInvariant(
            String jobId, List<String> ids, String input, OpenAiSimulator sim, String why)
            throws IOException {
        assertInvariant(jobId, ids, input, new OpenAiSim(sim), why);
    }

    private static void assertInvariant(
            String jobId, List<String> ids, String input, Sim sim, String why) throws IOException {
        assertResults(jobId, ids, input, sim.idField(), why);
        assertProvider(List.of(jobId), sim, why);
    }

    /**
     * Every input request of the job joined once, each failure in failed.jsonl in the input's
     * format, and the manifest's counts adding up.
     */
    private static Map<String, JsonNode> assertResults(
            String jobId, List<String> ids, String input, String idField, String why)
            throws IOException {
        Map<String, JsonNode> joined = new HashMap<>();
        for (String k : objects.list("results/" + jobId + "/part-")) {
            for (String line : text(k).split("\n")) {
                if (line.isEmpty()) {
                    continue;
                }
                JsonNode n = JSON.readTree(line);
                assertThat(joined.put(n.get("custom_id").asText(), n))
                        .as("%s: %s joined twice", why, n.get("custom_id"))
                        .isNull();
            }
        }
        assertThat(joined.keySet())
                .as("%s: joined ids", why)
                .containsExactlyInAnyOrderElementsOf(ids);
        Set<String> notSucceeded = new HashSet<>();
        joined.forEach(
                (id, n) -> {
                    if (!n.get("outcome").asText().equals("succeeded")) {
                        notSucceeded.add(id);
                    }
                });
        List<String> failedList =
                objects.list("results/" + jobId + "/failed.jsonl").isEmpty()
                        ? List.of()
                        : List.of(text("results/" + jobId + "/failed.jsonl").split("\n"));
        Set<String> failedIds = new HashSet<>();
        for (String line : failedList) {
            assertThat(input)
                    .as("%s: failed.jsonl holds input lines verbatim", why)
                    .contains(line + "\n");
            assertThat(failedIds.add(JSON.readTree(line).path(idField).asText()))
                    .as("%s: failed twice", why)
                    .isTrue();
        }
        assertThat(failedIds)
                .as("%s: failed.jsonl lists exactly the requests that did not succeed", why)
                .isEqualTo(notSucceeded);
        JsonNode manifest = JSON.readTree(text("results/" + jobId + "/manifest.json"));
        JsonNode c = manifest.get("counts");
        assertThat(
                        c.get("succeeded").asLong()
                                + c.get("failed").asLong()
                                + c.get("expired").asLong()
                                + c.get("cancelled").asLong()
                                + c.get("missing").asLong())
                .as("%s: manifest counts", why)
                .isEqualTo(ids.size())
                .isEqualTo(c.get("requests").asLong());
        assertThat(c.get("succeeded").asLong()).isEqualTo(ids.size() - notSucceeded.size());
        return joined;
    }

    /**
     * What the provider was left with and charged for, over every job the seed ran on it: nothing
     * left, one batch per shard, no batch recorded by two shards or two jobs (an adoption on a
     * guess), and no request run twice on demand.
     */
    private static void assertProvider(List<String> jobIds, Sim sim, String why) {
        List<dev.batchlane.core.job.Shard> shards = new ArrayList<>();
        jobIds.forEach(id -> shards.addAll(jobs.shards(id)));
        Map<String, List<String>> byBatch = new java.util.TreeMap<>();
        for (var shard : shards) {
            if (shard.batch().batchId() != null) {
                byBatch.computeIfAbsent(shard.batch().batchId(), b -> new ArrayList<>())
                        .add(shard.id());
            }
        }
        assertThat(byBatch)
                .as("%s: provider batches recorded by more than one shard", why)
                .allSatisfy(
                        (batch, holders) ->
                                assertThat(holders)
                                        .as("%s: shards holding batch %s", why, batch)
                                        .hasSize(1));
        assertThat(sim.onDemandCalls())
                .as("%s: model calls run per request on demand", why)
                .allSatisfy(
                        (request, n) ->
                                assertThat(n)
                                        .as("%s: on-demand calls of %s", why, request)
                                        .isEqualTo(1L));
        sim.assertClean(shards, why);
    }

    /**
     * Anthropic's processing-queue limit, room for two shards of five: the creates beyond it are
     * refused with 429 rate_limit_error, and those shards wait staged and are sent again as earlier
     * batches end. Nothing fails for it, no batch is made twice, and the manifest says who waited.
     */
    @org.junit.jupiter.api.Test
    void anthropicQueueLimit_shardsBeyondItWaitAndAreResubmitted_noneFails() throws Exception {
        try (AnthropicSim a = new AnthropicSim(91)) {
            a.sim.setQueueLimit(80);
            Lane lane = new Lane(a.provider(), 40);
            List<String> ids = new ArrayList<>();
            StringBuilder file = new StringBuilder();
            for (int i = 0; i < 200; i++) {
                ids.add("queue-" + i);
                file.append(a.line("queue-" + i, i)).append('\n');
            }
            String jobId = drop(lane, "inbox/anthropic/queue-limit.jsonl", file.toString());

            Job job = lane.runUntilDone(jobId, new Random(5));

            assertThat(job.status()).isEqualTo(JobStatus.COMPLETED);
            assertInvariant(jobId, ids, file.toString(), a, "anthropic queue limit");
            assertThat(a.sim.queueRefusals()).as("creates the queue limit refused").isPositive();
            assertThat(a.sim.queuePeak()).as("requests processing at once").isLessThanOrEqualTo(80);
            assertThat(a.sim.createCount()).as("one batch per shard").isEqualTo(5);
            JsonNode manifest = JSON.readTree(text("results/" + jobId + "/manifest.json"));
            assertThat(manifest.at("/counts/succeeded").asLong()).isEqualTo(200);
            assertThat(manifest.at("/counts/failed").asLong()).isZero();
            int waited = 0;
            for (JsonNode shard : manifest.get("shards")) {
                waited += shard.path("queueWaits").asInt(0) > 0 ? 1 : 0;
            }
            assertThat(waited).as("shards the manifest shows waiting for the queue").isPositive();
        }
    }

    @org.junit.jupiter.api.Test
    void completeKilledAfterSomePartsAndBeforeTheManifest_rerunGivesTheSameObjectsAndCounts()
            throws Exception {
        try (OpenAiSimulator sim =
                OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(99).start()) {
            sim.failLines(id -> id.endsWith("7"), 400, "invalid_request_error", "Invalid request.");
            Lane lane =
                    new Lane(
                            sim,
                            40,
                            (function, store) ->
                                    function.equals("complete")
                                            ? new CrashingObjectStore(
                                                    store, k -> k.endsWith("/manifest.json"), 1)
                                            : store);
            List<String> ids = new ArrayList<>();
            String file = lines("crash-complete", 150, ids);
            String jobId = drop(lane, "inbox/openai/crash-complete.jsonl", file);

            Job job = lane.runUntilDone(jobId, new Random(1));

            assertThat(job.status()).isEqualTo(JobStatus.COMPLETED);
            assertInvariant(jobId, ids, file, sim, "crash before manifest");
            Map<String, String> first = snapshot("results/" + jobId + "/");
            JsonNode manifest = JSON.readTree(first.get("results/" + jobId + "/manifest.json"));
            // every shard's completion ran again to the end: same parts, same counts
            for (var shard : jobs.shards(jobId)) {
                lane.complete.complete(jobId, shard.index());
            }
            assertThat(snapshot("results/" + jobId + "/")).isEqualTo(first);
            assertThat(JSON.readTree(text("results/" + jobId + "/manifest.json")).get("counts"))
                    .isEqualTo(manifest.get("counts"));
            assertThat(jobs.job(jobId).orElseThrow().shardsCompleted())
                    .isEqualTo(jobs.shards(jobId).size());
        }
    }

    /**
     * The owner cancels while one batch has just completed at the provider (poll has not seen it
     * yet): OpenAI answers 400 to that cancel, and every other batch is cancelled all the same; the
     * job then ends with what finished, nothing left at the provider.
     */
    @org.junit.jupiter.api.Test
    void cancelWhileOneBatchJustCompleted_its400DoesNotStopTheOthers_andTheJobEnds()
            throws Exception {
        try (OpenAiSimulator sim =
                OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(92).start()) {
            sim.setFractionCompletedBeforeCancel(0.0);
            Lane lane = new Lane(sim, 40);
            List<String> ids = new ArrayList<>();
            String file = lines("cancel-all", 120, ids);
            String jobId = drop(lane, "inbox/openai/cancel-all.jsonl", file);
            var shards = jobs.shards(jobId);
            assertThat(shards)
                    .hasSize(3)
                    .allMatch(s -> s.status() == dev.batchlane.core.job.ShardStatus.SUBMITTED);
            var provider = lane.providers.get("openai");
            // the first batch runs to its end at the provider; the store still says it is running
            for (int i = 0;
                    i < 5
                            && provider.retrieve(shards.get(0).batch().batchId()).state()
                                    != dev.batchlane.core.provider.BatchState.COMPLETED;
                    i++) {}
            assertThat(sim.batch(shards.get(0).batch().batchId()).orElseThrow().status().wire())
                    .isEqualTo("completed");

            var result = lane.cancel.cancel(jobId);

            assertThat(result.batchesCancelled()).isEqualTo(2);
            for (var shard : shards.subList(1, 3)) {
                assertThat(sim.batch(shard.batch().batchId()).orElseThrow().status().wire())
                        .as(shard.id())
                        .isIn("cancelling", "cancelled");
            }
            Job job = lane.runUntilDone(jobId, new Random(2));
            assertThat(job.status()).isEqualTo(JobStatus.COMPLETED);
            JsonNode counts =
                    JSON.readTree(text("results/" + jobId + "/manifest.json")).get("counts");
            assertThat(counts.get("succeeded").asLong()).isEqualTo(40);
            assertThat(counts.get("cancelled").asLong()).isEqualTo(80);
            assertThat(sim.liveFileIds()).isEmpty();
        }
    }

    /**
     * Two complete invocations for the job's last shard overlap (a twin delivery, or a retry while
     * the first is still sending): the completion event goes out once, and a later rerun sends
     * nothing.
     */
    @org.junit.jupiter.api.Test
    void twoCompletesOfTheLastShardOverlap_theCompletionEventIsSentOnce() throws Exception {
        try (OpenAiSimulator sim =
                OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(93).start()) {
            Lane lane = new Lane(sim, 40);
            String jobId =
                    drop(
                            lane,
                            "inbox/openai/event-once.jsonl",
                            lines("event-once", 30, new ArrayList<>()));
            int last = jobs.shards(jobId).get(0).index();
            for (int tick = 0;
                    tick < 100
                            && jobs.shard(jobId, last).orElseThrow().status()
                                    != dev.batchlane.core.job.ShardStatus.ENDED;
                    tick++) {
                lane.poll.pollDue();
            }
            assertThat(jobs.shard(jobId, last).orElseThrow().status())
                    .isEqualTo(dev.batchlane.core.job.ShardStatus.ENDED);
            pump.drain(10); // this test delivers the shard's completion itself

            // the first invocation is held inside its send until the second has run
            var sending = new java.util.concurrent.CountDownLatch(1);
            var release = new java.util.concurrent.CountDownLatch(1);
            lane.events.holdFirst(sending, release);
            CompletableFuture<?> first =
                    CompletableFuture.runAsync(() -> lane.complete.complete(jobId, last));
            assertThat(sending.await(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            RuntimeException second = null;
            try {
                lane.complete.complete(jobId, last);
            } catch (RuntimeException e) {
                second = e; // refused while the first holds the claim: the stream hands the record
                // over again
            }
            release.countDown();
            first.join();
            assertThat(second)
                    .as("the overlapping invocation")
                    .isNotNull()
                    .hasMessageContaining(jobId);
            var again = lane.complete.complete(jobId, last); // the redelivery
            assertThat(again.jobCompleted()).isTrue();

            assertThat(jobs.job(jobId).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);
            assertThat(lane.events.sent)
                    .extracting(dev.batchlane.core.lane.JobEvents.JobCompleted::jobId)
                    .containsExactly(jobId);
        }
    }

    /**
     * Ingest stages shards while it validates; a bad line found after shards were staged must leave
     * none of them behind, no shard records, and nothing at the provider.
     */
    @org.junit.jupiter.api.Test
    void badLineAfterShardsWereStaged_rejectsTheFile_removesEveryStagedShard_andSubmitsNothing()
            throws Exception {
        try (OpenAiSimulator sim =
                OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(97).start()) {
            Lane lane = new Lane(sim, 30);
            String file =
                    lines("late-bad", 140, new ArrayList<>())
                            .replace(
                                    "\"content\":\"case 120\"}]}}",
                                    "\"content\":\"case 120\"}]},\"extra\":1}");
            String key = "inbox/openai/late-bad.jsonl";
            var result = lane.ingest.ingest(put(key, file, Map.of()));

            assertThat(result.outcome()).isEqualTo(IngestService.Outcome.REJECTED);
            assertThat(objects.list("staging/" + result.jobId() + "/"))
                    .as("staged shards left")
                    .isEmpty();
            assertThat(jobs.shards(result.jobId())).isEmpty();
            assertThat(sim.uploadCount()).isZero();
            assertThat(sim.batches()).isEmpty();
            assertThat(
                            text(
                                    dev.batchlane.core.lane.Keys.rejectedErrors(
                                            "openai", "late-bad", result.jobId())))
                    .contains("\"line\":121")
                    .contains("unknown_field");
        }
    }

    /**
     * An invocation whose time runs short after the pass: ingest submits nothing it could not
     * finish, leaves every shard due for poll, and poll submits them; the job runs to the end.
     */
    @org.junit.jupiter.api.Test
    void ingestShortOfTime_handsItsStagedShardsToPoll_whichSubmitsThem() throws Exception {
        try (OpenAiSimulator sim =
                OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(95).start()) {
            // 60 s left: enough for the pass (20 s margin), not for a submission (120 s margin).
            var tuning =
                    new IngestService.Tuning(
                            2,
                            Duration.ofSeconds(20),
                            Duration.ofSeconds(120),
                            Duration.ofSeconds(5));
            Lane lane = new Lane(sim, 30, tuning);
            List<String> ids = new ArrayList<>();
            String file = lines("short-of-time", 100, ids);
            String key = "inbox/openai/short-of-time.jsonl";
            var ref = put(key, file, Map.of());

            var result =
                    lane.ingest.ingest(
                            ref,
                            dev.batchlane.core.lane.Deadline.in(
                                    Clock.systemUTC(), Duration.ofSeconds(60)));

            assertThat(result.outcome()).isEqualTo(IngestService.Outcome.ACCEPTED);
            assertThat(sim.uploadCount()).as("uploads by ingest").isZero();
            assertThat(jobs.shards(result.jobId()))
                    .hasSize(4)
                    .allSatisfy(
                            s -> assertThat(s.timeline().dueAt()).as("due for poll").isNotNull());
            assertThat(jobs.job(result.jobId()).orElseThrow().status())
                    .isEqualTo(JobStatus.RUNNING);
            assertThat(jobs.ingestProgress(result.jobId()).orElseThrow().handedToPoll())
                    .isEqualTo(4);

            Job job = lane.runUntilDone(result.jobId(), new Random(3));
            assertThat(job.status()).isEqualTo(JobStatus.COMPLETED);
            assertInvariant(result.jobId(), ids, file, sim, "ingest short of time");
            JsonNode manifest = JSON.readTree(text("results/" + result.jobId() + "/manifest.json"));
            assertThat(manifest.at("/timings/ingest/shardsHandedToPoll").asInt()).isEqualTo(4);
            assertThat(manifest.at("/timings/ingest/shardsSubmittedByIngest").asInt()).isZero();
        }
    }

    @org.junit.jupiter.api.Test
    void overBudgetFile_hasItsStagedShardsRemoved_andNothingSubmitted() throws Exception {
        try (OpenAiSimulator sim =
                OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(96).start()) {
            Lane lane = new Lane(sim, 30);
            String file = lines("pricey", 100, new ArrayList<>());
            String key = "inbox/openai/pricey.jsonl";
            var result = lane.ingest.ingest(put(key, file, Map.of("budget-usd", "0.000001")));

            assertThat(result.outcome()).isEqualTo(IngestService.Outcome.REJECTED);
            assertThat(objects.list("staging/" + result.jobId() + "/")).isEmpty();
            assertThat(sim.uploadCount()).isZero();
            assertThat(
                            text(
                                    dev.batchlane.core.lane.Keys.rejectedReport(
                                            "openai", "pricey", result.jobId())))
                    .contains("over_budget");
        }
    }

    @org.junit.jupiter.api.Test
    void ingestKilledAfterStagingSomeShards_redeliveryFinishesTheJobWithoutDuplicates()
            throws Exception {
        try (OpenAiSimulator sim =
                OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(98).start()) {
            Lane lane =
                    new Lane(
                            sim,
                            30,
                            (function, store) ->
                                    function.equals("ingest")
                                            ? new CrashingObjectStore(
                                                    store, k -> k.endsWith("/shard-00003.jsonl"), 1)
                                            : store);
            List<String> ids = new ArrayList<>();
            String file = lines("crash-ingest", 140, ids);
            String key = "inbox/openai/crash-ingest.jsonl";
            var ref = put(key, file, Map.of());

            org.assertj.core.api.Assertions.assertThatThrownBy(() -> lane.ingest.ingest(ref))
                    .isInstanceOf(CrashingObjectStore.Crash.class);
            int uploadsAfterCrash = sim.uploadCount();
            String jobId = lane.ingest.ingest(ref).jobId(); // S3's redelivery

            assertThat(sim.uploadCount() - uploadsAfterCrash)
                    .as("shards submitted after the redelivery")
                    .isEqualTo(5 - uploadsAfterCrash);
            Job job = lane.runUntilDone(jobId, new Random(2));
            assertThat(job.status()).isEqualTo(JobStatus.COMPLETED);
            assertThat(job.shardCount()).isEqualTo(5);
            assertInvariant(jobId, ids, file, sim, "crash while staging");
        }
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

    private static String drop(Lane lane, String key, String file) {
        return lane.ingest.ingest(put(key, file, Map.of())).jobId();
    }

    /**
     * Puts {@code file} at {@code key} with {@code metadata}; returns the reference its S3 event
     * would carry.
     */
    private static IngestService.ObjectRef put(
            String key, String file, Map<String, String> metadata) {
        s3.putObject(
                b -> b.bucket(BUCKET).key(key).metadata(metadata), RequestBody.fromString(file));
        String etag = s3.headObject(b -> b.bucket(BUCKET).key(key)).eTag();
        return new IngestService.ObjectRef(BUCKET, key, null, etag, file.length());
    }

    private static Map<String, String> snapshot(String prefix) {
        Map<String, String> m = new java.util.TreeMap<>();
        for (String k : objects.list(prefix)) {
            m.put(k, text(k));
        }
        return m;
    }

    private static String text(String key) {
        return s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asString(StandardCharsets.UTF_8);
    }

    /**
     * The queue's services as the functions wire them: the intake with enqueue's role, the flusher
     * and the answerer with poll's (its bucket writes crashing once before a flush's inbox file
     * when the seed says the flusher dies).
     */
    private static final class QueueLane {
        final QueueIntake intake;
        final QueueFlusher flusher;
        final QueueAnswers answers;
        final QueueBuffer buffer;

        QueueLane(
                Lane lane,
                int maxRequests,
                boolean flusherDies,
                Clock flusherClock,
                AnswerSink sink) {
            QueuePolicies policies =
                    new QueuePolicies(
                            new QueuePolicy(
                                    Duration.ofSeconds(1),
                                    maxRequests,
                                    0,
                                    QueuePolicy.BelowMinimum.ON_DEMAND,
                                    null),
                            Map.of());
            ObjectStore enqueueObjects = new S3ObjectStore(iam.s3("enqueue"), BUCKET);
            intake =
                    new QueueIntake(
                            new DynamoQueueBuffer(iam.dynamo("enqueue"), TABLE, Clock.systemUTC()),
                            enqueueObjects,
                            lane.providers,
                            lane.settings,
                            new DynamoJobStore(iam.dynamo("enqueue"), TABLE),
                            new AnswerDelivery(enqueueObjects, sink, BUCKET),
                            Clock.systemUTC(),
                            dev.batchlane.core.lane.LaneMetrics.NONE);
            ObjectStore pollObjects = new S3ObjectStore(iam.s3("poll"), BUCKET);
            ObjectStore flusherObjects =
                    flusherDies
                            ? new CrashingObjectStore(
                                    pollObjects, key -> key.startsWith("inbox/"), 1)
                            : pollObjects;
            buffer = new DynamoQueueBuffer(iam.dynamo("poll"), TABLE, flusherClock);
            flusher =
                    new QueueFlusher(
                            buffer,
                            flusherObjects,
                            lane.providers,
                            lane.settings,
                            policies,
                            BUCKET,
                            flusherClock,
                            dev.batchlane.core.lane.LaneMetrics.NONE);
            answers =
                    new QueueAnswers(
                            buffer,
                            pollObjects,
                            new DynamoJobStore(iam.dynamo("poll"), TABLE),
                            new AnswerDelivery(pollObjects, sink, BUCKET),
                            flusher,
                            flusherClock,
                            dev.batchlane.core.lane.LaneMetrics.NONE);
        }

        /** One SQS message to the enqueue function; a throw makes SQS deliver it again. */
        void enqueueWithRetries(QueueName queue, byte[] line, Map<String, String> metadata) {
            RuntimeException last = null;
            for (int attempt = 0; attempt < 8; attempt++) {
                try {
                    intake.accept(new QueueIntake.Incoming(queue, line, 1, null, metadata));
                    return;
                } catch (RuntimeException e) {
                    last = e;
                }
            }
            throw last;
        }

        /**
         * One poll's flush; a flusher that dies leaves its flush to the first poll after its lease,
         * which the skew moves the flusher's clock to.
         */
        List<Flush> flushWithRetries(java.util.concurrent.atomic.AtomicReference<Duration> skew) {
            RuntimeException last = null;
            for (int attempt = 0; attempt < 8; attempt++) {
                try {
                    return flusher.flushDue(dev.batchlane.core.lane.Deadline.none());
                } catch (RuntimeException e) {
                    last = e;
                    skew.updateAndGet(d -> d.plus(QueueFlusher.LEASE).plusMinutes(1));
                }
            }
            throw last;
        }
    }

    /**
     * A reply queue that refuses an answer now and then, the first time it is offered (the lane
     * must offer it again next cycle), and records what it took.
     */
    private static final class RecordingAnswers implements AnswerSink {
        private final Random random;
        private final Set<String> refusedOnce = java.util.concurrent.ConcurrentHashMap.newKeySet();
        private final List<Answer> taken =
                java.util.Collections.synchronizedList(new ArrayList<>());

        RecordingAnswers(Random random) {
            this.random = random;
        }

        @Override
        public synchronized List<Answer> send(List<Answer> answers) {
            List<Answer> refused = new ArrayList<>();
            for (Answer a : answers) {
                if (a.requestId() != null
                        && random.nextInt(10) == 0
                        && refusedOnce.add(a.requestId())) {
                    refused.add(a);
                } else {
                    taken.add(a);
                }
            }
            return refused;
        }

        List<Answer> refusals() {
            return taken.stream().filter(a -> "rejected".equals(a.outcome())).toList();
        }

        Set<String> answeredIds() {
            return answersById().keySet();
        }

        Map<String, List<JsonNode>> answersById() {
            Map<String, List<JsonNode>> out = new java.util.TreeMap<>();
            synchronized (taken) {
                for (Answer a : taken) {
                    if ("rejected".equals(a.outcome())) {
                        continue;
                    }
                    try {
                        out.computeIfAbsent(a.requestId(), k -> new ArrayList<>())
                                .add(JSON.readTree(a.body()));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }
            return out;
        }
    }

    /** Records every completion event; can hold the first send until told to go on. */
    private static final class RecordingEvents implements dev.batchlane.core.lane.JobEvents {
        final List<JobCompleted> sent = java.util.Collections.synchronizedList(new ArrayList<>());
        private volatile java.util.concurrent.CountDownLatch sending;
        private volatile java.util.concurrent.CountDownLatch release;

        void holdFirst(
                java.util.concurrent.CountDownLatch sending,
                java.util.concurrent.CountDownLatch release) {
            this.sending = sending;
            this.release = release;
        }

        @Override
        public void jobCompleted(JobCompleted event) {
            sent.add(event);
            var s = sending;
            if (s != null && s.getCount() > 0) {
                s.countDown();
                try {
                    release.await(60, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /**
     * The services as the functions wire them, and the parts AWS plays (retries, duplicates,
     * overlap).
     */
    private static final class Lane {
        final IngestService ingest;
        final PollService poll;
        final dev.batchlane.core.cancel.CancelService cancel;
        final CompleteService complete;
        final List<String> undelivered = new ArrayList<>();

        /**
         * Stream deliveries run at once: 1 (in order) unless a seed's many jobs want more, as
         * Lambda runs the stream's shards side by side.
         */
        int deliveries = 1;

        final RecordingEvents events = new RecordingEvents();
        final Providers providers;
        LaneSettings settings;

        Lane(OpenAiSimulator sim, int shardSize) throws IOException {
            this(new OpenAiSim(sim).provider(), shardSize);
        }

        Lane(BatchProvider provider, int shardSize) throws IOException {
            this(provider, shardSize, (function, store) -> store, IngestService.Tuning.defaults());
        }

        /** {@code wrap} may put a crashing store in front of one function's own. */
        Lane(OpenAiSimulator sim, int shardSize, BiFunction<String, ObjectStore, ObjectStore> wrap)
                throws IOException {
            this(new OpenAiSim(sim).provider(), shardSize, wrap, IngestService.Tuning.defaults());
        }

        Lane(OpenAiSimulator sim, int shardSize, IngestService.Tuning tuning) throws IOException {
            this(new OpenAiSim(sim).provider(), shardSize, (function, store) -> store, tuning);
        }

        /**
         * Each service as its function runs it: its own DynamoDB and S3 clients, signing with that
         * function's key, through the IAM enforcement.
         */
        Lane(
                BatchProvider provider,
                int shardSize,
                BiFunction<String, ObjectStore, ObjectStore> wrap,
                IngestService.Tuning tuning)
                throws IOException {
            Path tmp = Files.createTempDirectory("faults-");
            LaneSettings settings =
                    new LaneSettings(
                            new IngestLimits(shardSize, 10_000_000, 100_000, 20),
                            Duration.ZERO,
                            Duration.ZERO,
                            500,
                            tmp,
                            Money.defaults(),
                            2);
            this.settings = settings;
            providers = new Providers(List.of(provider));
            Clock clock = Clock.systemUTC();
            ingest =
                    new IngestService(
                            store("ingest"),
                            objects("ingest", wrap),
                            providers,
                            settings,
                            clock,
                            dev.batchlane.core.lane.LaneMetrics.NONE,
                            tuning);
            poll =
                    new PollService(
                            store("poll"), objects("poll", wrap), providers, settings, clock);
            // a cancel/<jobId> object reaches ingest, which runs the cancel with its own role
            cancel =
                    new dev.batchlane.core.cancel.CancelService(
                            store("ingest"),
                            objects("ingest", wrap),
                            providers,
                            settings,
                            clock,
                            dev.batchlane.core.lane.LaneMetrics.NONE);
            complete =
                    new CompleteService(
                            store("complete"),
                            objects("complete", wrap),
                            providers,
                            settings,
                            clock,
                            dev.batchlane.core.lane.LaneMetrics.NONE,
                            events);
        }

        private static DynamoJobStore store(String function) {
            return new DynamoJobStore(iam.dynamo(function), TABLE);
        }

        private static ObjectStore objects(
                String function, BiFunction<String, ObjectStore, ObjectStore> wrap) {
            return wrap.apply(function, new S3ObjectStore(iam.s3(function), BUCKET));
        }

        /** A {@code cancel/<jobId>} object reaches ingest, retried as any S3 event is. */
        void cancelWithRetries(String jobId) {
            RuntimeException last = null;
            for (int attempt = 0; attempt < 5; attempt++) {
                try {
                    cancel.cancel(jobId);
                    return;
                } catch (RuntimeException e) {
                    last = e;
                }
            }
            throw last;
        }

        /**
         * S3 → Lambda is asynchronous: a failed invocation is retried (twice on AWS; more here).
         */
        String ingestWithRetries(IngestService.ObjectRef ref, Random r) {
            RuntimeException last = null;
            for (int attempt = 0; attempt < 5; attempt++) {
                try {
                    return ingest.ingest(ref).jobId();
                } catch (RuntimeException e) {
                    last = e;
                }
            }
            throw last;
        }

        /**
         * Schedules and stream deliveries until the job completes, for at most 150 ticks that had
         * work. The lane's waits (a provider's Retry-After, backoff behind a full queue) run on the
         * wall clock, so a tick with nothing due pauses briefly and does not count: a seed whose
         * shards wait for a provider's queue is not cut short by how fast the ticks run.
         */
        Job runUntilDone(String jobId, Random r) throws Exception {
            runUntilDone(List.of(jobId), r);
            return jobs.job(jobId).orElseThrow();
        }

        /** As {@link #runUntilDone(String, Random)}, until every one of the jobs is done. */
        void runUntilDone(List<String> jobIds, Random r) throws Exception {
            runUntilDone(jobIds, r, 150);
        }

        /**
         * As {@link #runUntilDone(List, Random)}, for at most {@code bound} ticks that had work.
         */
        void runUntilDone(List<String> jobIds, Random r, int bound) throws Exception {
            int active = 0;
            for (int tick = 0; active < bound && tick < bound + 3000; tick++) {
                int due;
                if (r.nextInt(4) == 0) {
                    // two schedules overlapping
                    CompletableFuture<PollService.Summary> other =
                            CompletableFuture.supplyAsync(poll::pollDue);
                    due = poll.pollDue().due() + other.join().due();
                } else {
                    due = poll.pollDue().due();
                }
                undelivered.addAll(pump.drain(10));
                List<String> batch = new ArrayList<>(undelivered);
                undelivered.clear();
                if (deliveries > 1) {
                    deliverInParallel(batch, r);
                } else {
                    for (String event : batch) {
                        try {
                            deliver(event, r);
                        } catch (RuntimeException e) {
                            undelivered.add(
                                    event); // the stream redelivers a batch whose invocation threw
                        }
                    }
                }
                if (jobIds.stream()
                        .allMatch(
                                id -> jobs.job(id).orElseThrow().status() == JobStatus.COMPLETED)) {
                    return;
                }
                if (due > 0 || !batch.isEmpty()) {
                    active++;
                } else {
                    Thread.sleep(20);
                }
            }
        }

        private void deliver(String event, Random r) throws Exception {
            for (JsonNode rec : JSON.readTree(event).get("Records")) {
                deliver(rec, r);
            }
        }

        /**
         * The tick's records delivered by up to {@link #deliveries} invocations at once, one per
         * job at a time and in the stream's order within a job (a job's items share a partition
         * key, and Lambda keeps a key's records in order). A record whose invocation threw is
         * handed over again with the job's records after it.
         */
        private void deliverInParallel(List<String> events, Random r) throws Exception {
            Map<String, List<JsonNode>> byJob = new java.util.LinkedHashMap<>();
            for (String event : events) {
                for (JsonNode rec : JSON.readTree(event).get("Records")) {
                    String job = rec.at("/dynamodb/Keys").toString();
                    byJob.computeIfAbsent(
                                    rec.at("/dynamodb/NewImage/jobId/S").asText(job),
                                    k -> new ArrayList<>())
                            .add(rec);
                }
            }
            var pool = java.util.concurrent.Executors.newFixedThreadPool(deliveries);
            try {
                List<java.util.concurrent.Future<?>> running = new ArrayList<>();
                for (List<JsonNode> records : byJob.values()) {
                    running.add(
                            pool.submit(
                                    () -> {
                                        for (int i = 0; i < records.size(); i++) {
                                            try {
                                                deliver(records.get(i), r);
                                            } catch (Exception e) {
                                                var again = JSON.createObjectNode();
                                                again.putArray("Records")
                                                        .addAll(records.subList(i, records.size()));
                                                synchronized (undelivered) {
                                                    undelivered.add(again.toString());
                                                }
                                                return;
                                            }
                                        }
                                    }));
                }
                for (var f : running) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
        }

        private void deliver(JsonNode rec, Random r) throws Exception {
            JsonNode ddb = rec.get("dynamodb");
            if ("job".equals(ddb.at("/NewImage/type/S").asText())
                    && "RUNNING".equals(ddb.at("/NewImage/status/S").asText())
                    && ddb.path("NewImage").has(DynamoJobStore.FINISH_REQUESTED)
                    && !ddb.path("OldImage").has(DynamoJobStore.FINISH_REQUESTED)) {
                complete.finish(ddb.at("/NewImage/jobId/S").asText());
                return;
            }
            if (!"ENDED".equals(ddb.at("/NewImage/status/S").asText())
                    || "ENDED".equals(ddb.at("/OldImage/status/S").asText())) {
                return;
            }
            String jobId = ddb.at("/NewImage/jobId/S").asText();
            int index = Integer.parseInt(ddb.at("/NewImage/shardIndex/N").asText());
            if (r.nextInt(3) == 0) {
                // the same record handled twice at once
                CompletableFuture<?> twin =
                        CompletableFuture.runAsync(() -> complete.complete(jobId, index));
                RuntimeException mine = null;
                try {
                    complete.complete(jobId, index);
                } catch (RuntimeException e) {
                    mine = e;
                }
                try {
                    twin.join();
                } catch (RuntimeException e) {
                    if (mine == null) {
                        mine = e;
                    }
                }
                if (mine != null) {
                    throw mine;
                }
            } else {
                complete.complete(jobId, index);
            }
        }
    }
}
