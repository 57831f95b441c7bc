package dev.batchlane.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.complete.CompleteService;
import dev.batchlane.core.complete.Joiner;
import dev.batchlane.core.ingest.FileValidator;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.money.Money;
import dev.batchlane.core.money.TokenEstimate;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.testkit.InMemoryJobStore;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One measurement, run in its own JVM by {@link BenchMain} so that its peak RSS ({@code VmHWM}) is
 * its own: {@code Measure MODE INPUT [RESULTS] WORKDIR}. Prints one line {@code RESULT {json}}.
 *
 * <ul>
 *   <li>{@code validate-count}, {@code validate-nocount}: {@code FileValidator.validate} alone;
 *   <li>{@code ingest-count}, {@code ingest-nocount}: {@code IngestService.ingest} end to end over
 *       a file-backed bucket and an in-memory job store; only the provider's submission is a no-op;
 *   <li>{@code complete}: {@code CompleteService.complete} of one ended shard (INPUT is the staged
 *       shard, RESULTS the provider's output file);
 *   <li>{@code join}: {@code Joiner.stagedIds} + {@code Joiner.join} alone over the same files;
 *   <li>{@code idle}: nothing, for the JVM's own RSS.
 * </ul>
 */
public final class Measure {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Measure() {}

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path input = Path.of(args[1]);
        Path results = args.length > 3 ? Path.of(args[2]) : null;
        Path work = Files.createTempDirectory(Path.of(args[args.length - 1]), "measure-");
        ObjectNode out = JSON.createObjectNode();
        out.put("mode", mode);
        try {
            long t0 = System.nanoTime();
            switch (mode) {
                case "validate-count", "validate-nocount" ->
                        validate(mode.endsWith("-count"), input, out);
                case "ingest-count", "ingest-nocount" ->
                        ingest(mode.endsWith("-count"), input, work, out);
                case "complete" -> complete(input, results, work, out);
                case "join" -> join(input, results, work, out);
                case "join-warm" -> {
                    // A complete function that has joined a few shards already (a warm container of
                    // a
                    // 36-shard job): the last of five joins in one JVM is timed, the first is kept.
                    double first = 0;
                    for (int round = 1; round <= 5; round++) {
                        long r0 = System.nanoTime();
                        join(input, results, work, out);
                        if (round == 1) {
                            first = (System.nanoTime() - r0) / 1e9;
                        }
                        t0 = r0;
                    }
                    out.put("firstRoundSeconds", first);
                }
                case "idle" -> out.put("lines", 0);
                default -> throw new IllegalArgumentException("unknown mode " + mode);
            }
            out.put("seconds", (System.nanoTime() - t0) / 1e9);
        } finally {
            deleteTree(work);
        }
        out.put("bytes", mode.equals("idle") ? 0 : Files.size(input));
        out.put("vmHwmKb", procStatus("VmHWM"));
        out.put("vmRssKb", procStatus("VmRSS"));
        out.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
        long gcs = 0;
        long gcMillis = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcs += Math.max(0, gc.getCollectionCount());
            gcMillis += Math.max(0, gc.getCollectionTime());
        }
        out.put(
                "gc",
                String.join(
                        "+",
                        ManagementFactory.getGarbageCollectorMXBeans().stream()
                                .map(GarbageCollectorMXBean::getName)
                                .toList()));
        out.put("gcCount", gcs);
        out.put("gcMillis", gcMillis);
        System.out.println("RESULT " + JSON.writeValueAsString(out));
    }

    private static InputStream open(Path file) throws IOException {
        return new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    }

    static LaneSettings settings(Path temp) {
        return new LaneSettings(
                IngestLimits.NO_CAP,
                Duration.ofMinutes(1),
                Duration.ofMinutes(30),
                25,
                temp,
                Money.defaults(),
                LaneSettings.DEFAULT_RESUBMIT_DEPTH);
    }

    private static void validate(boolean count, Path input, ObjectNode out) throws IOException {
        BenchProvider provider = new BenchProvider(count, null);
        FileValidator.Validation r;
        try (InputStream in = open(input)) {
            r =
                    new FileValidator(
                                    provider.contract(),
                                    provider.limits().cappedBy(IngestLimits.NO_CAP),
                                    Money.defaults().defaultMaxOutputTokens())
                            .validate(in, v -> {});
        }
        if (!r.valid()) {
            throw new IllegalStateException(
                    "generated file rejected: " + r.violationsByCode() + " " + r.sample());
        }
        out.put("lines", r.requests());
        out.put(
                "inputTokens",
                r.estimates().values().stream().mapToLong(TokenEstimate::inputTokens).sum());
    }

    private static void ingest(boolean count, Path input, Path work, ObjectNode out)
            throws IOException {
        Path bucket = Files.createDirectories(work.resolve("bucket"));
        Path temp = Files.createDirectories(work.resolve("tmp"));
        String key = "inbox/openai/" + input.getFileName();
        Path dropped = bucket.resolve(key);
        Files.createDirectories(dropped.getParent());
        try {
            Files.createLink(dropped, input); // the drop, without copying gigabytes
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(input, dropped);
        }
        InMemoryJobStore store = new InMemoryJobStore();
        FileObjectStore objects = new FileObjectStore(bucket);
        IngestService ingest =
                new IngestService(
                        store,
                        objects,
                        new Providers(List.of(new BenchProvider(count, null))),
                        settings(temp),
                        Clock.systemUTC());
        IngestService.Ingestion r =
                ingest.ingest(
                        new IngestService.ObjectRef(
                                "bench", key, null, "etag-bench", Files.size(input)));
        if (r.outcome() != IngestService.Outcome.ACCEPTED) {
            throw new IllegalStateException("ingest did not accept the generated file: " + r);
        }
        Job job = store.job(r.jobId()).orElseThrow();
        out.put("lines", r.requests());
        out.put("shards", r.shards());
        out.put("jobStatus", job.status().name());
        out.put("estimatedCostUsd", job.estimatedCostUsd());
    }

    /** An ended shard of one job, staged in the bucket, ready for complete. */
    private static Job stageEnded(
            InMemoryJobStore store, FileObjectStore objects, Path staged, long requests)
            throws IOException {
        String jobId = "job-bench-join";
        Instant now = Instant.now();
        store.createJob(
                Job.builder(jobId, "openai")
                        .status(JobStatus.RUNNING)
                        .input("bench", "inbox/openai/join.jsonl", "etag-bench")
                        .name("join")
                        .sha256("0")
                        .inputBytes(Files.size(staged))
                        .requestCount(requests)
                        .shardCount(1)
                        .model("gpt-4o-mini")
                        .endpoint("/v1/chat/completions")
                        .createdAt(now)
                        .submittedAt(now)
                        .build());
        String key = Keys.staging(jobId, 0);
        Path target = objects.path(key);
        Files.createDirectories(target.getParent());
        try {
            Files.createLink(target, staged);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(staged, target);
        }
        Shard shard =
                Shard.staged(jobId, 0, "openai", key, requests, Files.size(staged))
                        .submitted(
                                Submission.batch(
                                        "batch_bench", "file-in", BatchState.PENDING, "validating"),
                                now,
                                now)
                        .ended(
                                BatchState.COMPLETED,
                                "completed",
                                null,
                                "file-out",
                                null,
                                null,
                                now);
        store.createShard(shard);
        return store.job(jobId).orElseThrow();
    }

    private static void complete(Path staged, Path results, Path work, ObjectNode out)
            throws IOException {
        Path bucket = Files.createDirectories(work.resolve("bucket"));
        Path temp = Files.createDirectories(work.resolve("tmp"));
        InMemoryJobStore store = new InMemoryJobStore();
        FileObjectStore objects = new FileObjectStore(bucket);
        long requests = countLines(staged);
        Job job = stageEnded(store, objects, staged, requests);
        CompleteService complete =
                new CompleteService(
                        store,
                        objects,
                        new Providers(List.of(new BenchProvider(true, results))),
                        settings(temp),
                        Clock.systemUTC());
        long t0 = System.nanoTime();
        CompleteService.Completion r = complete.complete(job.jobId(), 0);
        out.put("operationSeconds", (System.nanoTime() - t0) / 1e9);
        if (r.outcome() != CompleteService.Step.JOINED || !r.jobCompleted()) {
            throw new IllegalStateException("complete did not join and finish the job: " + r);
        }
        var result = store.shard(job.jobId(), 0).orElseThrow().result();
        out.put("lines", result.total());
        out.put("succeeded", result.succeeded());
        out.put("failed", result.failed());
        out.put("partBytes", Files.size(objects.path(Keys.part(job.jobId(), 0))));
    }

    private static void join(Path staged, Path results, Path work, ObjectNode out)
            throws IOException {
        BenchProvider provider = new BenchProvider(true, results);
        Set<String> pending;
        try (InputStream in = open(staged)) {
            pending = Joiner.stagedIds(in, "custom_id");
        }
        Path part = work.resolve("part.jsonl");
        Joiner.Joined j;
        try (var partOut = new java.io.BufferedOutputStream(Files.newOutputStream(part), 1 << 16)) {
            j =
                    Joiner.join(
                            pending,
                            sink ->
                                    provider.streamResults(
                                            new BatchView(
                                                    "batch_bench",
                                                    null,
                                                    "completed",
                                                    null,
                                                    "file-out",
                                                    null,
                                                    null),
                                            sink),
                            new Joiner.Unanswered(Outcome.MISSING, "missing_result", "no result"),
                            true,
                            partOut,
                            "part");
        }
        out.put("lines", j.result().total());
        out.put("succeeded", j.result().succeeded());
        out.put("failed", j.result().failed());
        out.put("partBytes", Files.size(part));
    }

    private static long countLines(Path file) throws IOException {
        long n = 0;
        try (InputStream in = open(file)) {
            byte[] buf = new byte[1 << 16];
            int k;
            while ((k = in.read(buf)) > 0) {
                for (int i = 0; i < k; i++) {
                    if (buf[i] == '\n') {
                        n++;
                    }
                }
            }
        }
        return n;
    }

    /** A field of /proc/self/status in kB (VmHWM is the peak resident set), or -1 off Linux. */
    static long procStatus(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(
                            line.substring(field.length() + 1).replace("kB", "").trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
