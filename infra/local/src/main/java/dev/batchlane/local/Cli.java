package dev.batchlane.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.aws.LocalAws;
import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardResult;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.Keys;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code ./batchlane}: run a file through the local stack, or keep the stack up and work against
 * it.
 */
@Command(
        name = "batchlane",
        mixinStandardHelpOptions = true,
        version = "batchlane 0.1.0",
        description =
                "Runs the Batchlane lane on this machine: emulators, provider simulator and the three functions.",
        subcommands = {
            Cli.Run.class,
            Cli.Up.class,
            Cli.Submit.class,
            Cli.Status.class,
            Cli.Results.class,
            Cli.Cancel.class,
            Cli.Resume.class,
            Cli.Redrive.class
        })
public final class Cli {
    static final ObjectMapper JSON = new ObjectMapper();

    static PrintStream out() {
        return System.out;
    }

    /**
     * Lines the emulators print on their own (DynamoDB Local's start-up dump, its parser's version
     * notes).
     */
    private static final java.util.regex.Pattern EMULATOR_NOISE =
            java.util.regex.Pattern.compile(
                    "^(Initializing DynamoDB Local|Port:|InMemory:|Version:|DbPath:|SharedDb:|shouldDelayTransientStatuses:"
                            + "|CorsParams:|SLF4J|ANTLR |.*Log4j API could not find a logging provider|\\s*$).*");

    public static void main(String[] args) {
        // The emulators' chatter would drown the progress lines a user is here to read.
        java.util.logging.LogManager.getLogManager().reset();
        System.setErr(quiet(System.err));
        PrintStream stdout = System.out;
        System.setOut(quiet(stdout));
        System.exit(new CommandLine(new Cli()).execute(args));
    }

    private static PrintStream quiet(PrintStream target) {
        return new PrintStream(
                new java.io.OutputStream() {
                    private final java.io.ByteArrayOutputStream line =
                            new java.io.ByteArrayOutputStream();

                    @Override
                    public synchronized void write(int b) {
                        if (b == '\r' && line.size() > 0) {
                            // a live progress bar redraws its line: pass it through at once
                            target.print(line.toString(StandardCharsets.UTF_8) + "\r");
                            target.flush();
                            line.reset();
                            return;
                        }
                        if (b != '\n') {
                            line.write(b);
                            return;
                        }
                        String text = line.toString(StandardCharsets.UTF_8);
                        line.reset();
                        if (!EMULATOR_NOISE.matcher(text).matches()) {
                            target.println(text);
                        }
                    }

                    @Override
                    public synchronized void flush() {
                        target.flush();
                    }
                },
                true,
                StandardCharsets.UTF_8);
    }

    static Path home() {
        return Path.of(System.getProperty("batchlane.home", ".")).toAbsolutePath().normalize();
    }

    static Stack.Options options(int maxRequests) {
        return new Stack.Options(
                        home(),
                        Duration.ofSeconds(2),
                        maxRequests,
                        System.getenv("OPENAI_API_KEY"),
                        System.getenv("OPENAI_BASE_URL"),
                        line -> out().println("  · " + line),
                        System.getenv("ANTHROPIC_API_KEY"),
                        System.getenv("ANTHROPIC_BASE_URL"))
                .withVendorEnv(System.getenv())
                .withGemini(
                        System.getenv("GEMINI_API_KEY"), System.getenv("GOOGLE_GEMINI_BASE_URL"));
    }

    /**
     * The providers this stack runs; the first four are detected from a line's shape, the rest
     * named.
     */
    static final List<String> PROVIDERS =
            java.util.stream.Stream.concat(
                            java.util.stream.Stream.of("openai", "anthropic", "gemini", "bedrock"),
                            Stack.VendorTarget.names().stream())
                    .toList();

    // ---- run ----

    @Command(
            name = "run",
            description =
                    "Start the stack, drop FILE into inbox/<provider>/, follow the job, copy its objects to --out.")
    static final class Run implements Callable<Integer> {
        @Parameters(paramLabel = "FILE")
        Path file;

        @Option(
                names = "--provider",
                description =
                        "openai, anthropic, gemini, bedrock, azure, groq, together or mistral; "
                                + "openai, anthropic, gemini and bedrock are detected from the first line when omitted")
        String provider;

        @Option(names = "--budget-usd", description = "a budget cap, sent as x-amz-meta-budget-usd")
        String budget;

        @Option(
                names = "--model",
                description = "the file's model, sent as x-amz-meta-model (Gemini lines name none)")
        String model;

        @Option(
                names = "--out",
                defaultValue = "batchlane-out",
                description = "where the job's objects are copied (default ${DEFAULT-VALUE})")
        Path out;

        @Option(
                names = "--shard-size",
                defaultValue = "500",
                description = "requests per shard on the local stack (default ${DEFAULT-VALUE})")
        int shardSize;

        @Option(
                names = "--timeout",
                defaultValue = "PT30M",
                description = "give up after this long (ISO-8601, default ${DEFAULT-VALUE})")
        Duration timeout;

        @Option(
                names = "--stall-timeout",
                defaultValue = "${env:BATCHLANE_STALL_TIMEOUT:-PT10M}",
                description =
                        "give up when the job shows no progress for this long (ISO-8601, default ${DEFAULT-VALUE}; env BATCHLANE_STALL_TIMEOUT)")
        Duration stallTimeout;

        @Override
        public Integer call() throws Exception {
            String p = resolveProvider(file, provider);
            if (p == null) {
                return 2;
            }
            try (Stack stack = Stack.start(options(shardSize))) {
                return runJob(stack, file, p, budget, model, out, timeout, stallTimeout);
            }
        }
    }

    /**
     * Exit status of a job that cannot progress (ingest failed for good, shards stuck, a stall, the
     * timeout).
     */
    static final int CANNOT_PROGRESS = 3;

    /**
     * Drops the file, follows its job to the end: 0 completed, 1 rejected, 3 when it cannot
     * progress.
     */
    static int runJob(
            Stack stack,
            Path file,
            String provider,
            String budget,
            Path out,
            Duration timeout,
            Duration stallTimeout)
            throws IOException, InterruptedException {
        return runJob(stack, file, provider, budget, null, out, timeout, stallTimeout);
    }

    /** As above, with the file's {@code model} metadata (null: none). */
    static int runJob(
            Stack stack,
            Path file,
            String provider,
            String budget,
            String model,
            Path out,
            Duration timeout,
            Duration stallTimeout)
            throws IOException, InterruptedException {
        Drop drop = Drop.put(stack.s3(), file, provider, budget, model);
        out().println(
                        "dropped "
                                + file
                                + " as s3://"
                                + Stack.BUCKET
                                + "/"
                                + drop.key()
                                + " (job "
                                + drop.jobId()
                                + ")");
        Job job;
        try {
            job =
                    follow(
                            JobSource.of(stack.jobs(), stack.dynamo(), Stack.TABLE, stack::failure),
                            drop.jobId(),
                            timeout,
                            stallTimeout);
        } catch (CannotProgress e) {
            System.err.println(e.getMessage());
            return CANNOT_PROGRESS;
        }
        return finish(stack.s3(), job, drop, out);
    }

    static String resolveProvider(Path file, String provider) throws IOException {
        if (!Files.isRegularFile(file)) {
            System.err.println("no such file: " + file);
            return null;
        }
        if (provider == null) {
            provider = detect(file);
            if (provider == null) {
                System.err.println(
                        "could not tell the provider from the first line of "
                                + file
                                + "; pass --provider "
                                + String.join("|", PROVIDERS)
                                + " (a line of only custom_id and body is together's or mistral's)");
                return null;
            }
            out().println(
                            "provider: "
                                    + provider
                                    + " (detected from the first line; --provider overrides)");
        }
        if (!PROVIDERS.contains(provider)) {
            System.err.println(
                    "provider '"
                            + provider
                            + "' has no adapter yet; this stack runs "
                            + String.join(", ", PROVIDERS));
            return null;
        }
        return provider;
    }

    /** The provider whose native line shape the first non-blank line has. */
    static String detect(Path file) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = JSON.readTree(line.replace("\uFEFF", ""));
                } catch (IOException e) {
                    return null;
                }
                if (n.has("custom_id") && n.has("body") && n.has("url")) {
                    return "openai";
                }
                if (n.has("custom_id") && n.has("params")) {
                    return "anthropic";
                }
                if (n.has("key") && n.has("request")) {
                    return "gemini";
                }
                if (n.has("recordId") && n.has("modelInput")) {
                    return "bedrock";
                }
                return null;
            }
        }
        return null;
    }

    record Drop(String key, String name, String jobId) {
        static Drop put(S3Client s3, Path file, String provider, String budget) {
            return put(s3, file, provider, budget, null);
        }

        /**
         * {@code model}: the file's model as {@code x-amz-meta-model}, which a Gemini file needs;
         * null for none.
         */
        static Drop put(S3Client s3, Path file, String provider, String budget, String model) {
            String key = "inbox/" + provider + "/" + file.getFileName();
            Map<String, String> metadata = new java.util.HashMap<>();
            if (budget != null) {
                metadata.put("budget-usd", budget);
            }
            if (model != null) {
                metadata.put("model", model);
            }
            var put =
                    s3.putObject(
                            b -> {
                                b.bucket(Stack.BUCKET).key(key).contentType("application/jsonl");
                                if (!metadata.isEmpty()) {
                                    b.metadata(metadata);
                                }
                            },
                            RequestBody.fromFile(file));
            String etag = put.eTag().replace("\"", "");
            String name = Keys.parseInbox(key).orElseThrow().name();
            return new Drop(key, name, Keys.jobId(Stack.BUCKET, key, etag));
        }
    }

    /**
     * A job that will not end by itself; the message names the job, the step, the reason and the
     * logs.
     */
    static final class CannotProgress extends RuntimeException {
        CannotProgress(String jobId, String step, String reason) {
            super(
                    "job "
                            + jobId
                            + " cannot progress: step "
                            + step
                            + ": "
                            + reason
                            + "\n  logs: "
                            + home().resolve(".batchlane/logs").resolve(step + ".log")
                            + " (all functions: "
                            + home().resolve(".batchlane/logs")
                            + ")");
        }
    }

    /**
     * What following a job reads: the store, the job's raw item (for progress attributes) and the
     * stack's own record of failures.
     */
    interface JobSource {
        Optional<Job> job(String jobId);

        List<Shard> shards(String jobId);

        Map<String, String> stuckShards(String jobId);

        /**
         * Bytes validated and shards staged so far ({@code progressBytes}, {@code progressShards},
         * {@code totalBytes}).
         */
        Map<String, Long> progress(String jobId);

        /** Why the job cannot progress, when the stack knows (its ingest failed every attempt). */
        Optional<String> failure(String jobId);

        static JobSource of(
                DynamoJobStore jobs,
                DynamoDbClient dynamo,
                String table,
                java.util.function.Function<String, Optional<String>> failures) {
            return new JobSource() {
                public Optional<Job> job(String jobId) {
                    return jobs.job(jobId);
                }

                public List<Shard> shards(String jobId) {
                    return jobs.shards(jobId);
                }

                public Map<String, String> stuckShards(String jobId) {
                    return jobs.stuckShards(jobId);
                }

                public Map<String, Long> progress(String jobId) {
                    return progressOf(jobs, jobId);
                }

                public Optional<String> failure(String jobId) {
                    return failures.apply(jobId);
                }
            };
        }
    }

    /**
     * What ingest recorded beside the job while its pass runs (the job record is written after it).
     */
    static Map<String, Long> progressOf(DynamoJobStore jobs, String jobId) {
        return jobs.ingestProgress(jobId)
                .<Map<String, Long>>map(
                        p ->
                                Map.of(
                                        "progressBytes",
                                        p.bytesRead(),
                                        "progressShards",
                                        (long) p.shardsStaged(),
                                        "totalBytes",
                                        p.totalBytes()))
                .orElse(Map.of());
    }

    /** Follows the job until it ends (no failure record, no stall detection beyond the timeout). */
    static Job follow(DynamoJobStore jobs, String jobId, Duration timeout)
            throws InterruptedException {
        return follow(
                JobSource.of(jobs, null, Stack.TABLE, id -> Optional.empty()),
                jobId,
                timeout,
                timeout);
    }

    /**
     * Follows the job until it ends, drawing a live bar on a terminal and plain lines otherwise.
     * Throws {@link CannotProgress} when it never will: its ingest failed every attempt, shards
     * were flagged stuck, nothing visible changed for {@code stallTimeout}, or {@code timeout}
     * passed.
     */
    static Job follow(JobSource source, String jobId, Duration timeout, Duration stallTimeout)
            throws InterruptedException {
        boolean tty = System.console() != null;
        Instant start = Instant.now();
        Instant deadline = start.plus(timeout);
        String last = "";
        Instant lastChange = start;
        while (true) {
            Job job = source.job(jobId).orElse(null);
            if (job != null
                    && (job.status() == JobStatus.COMPLETED
                            || job.status() == JobStatus.REJECTED)) {
                if (tty) {
                    out().println();
                }
                return job;
            }
            List<Shard> shards = job == null ? List.of() : source.shards(jobId);
            Optional<String> failed = source.failure(jobId);
            if (failed.isPresent()) {
                endLine(tty);
                throw new CannotProgress(
                        jobId,
                        failed.get().startsWith("IAM: ") ? failed.get().split(" ")[1] : "ingest",
                        failed.get());
            }
            if (job != null) {
                Map<String, String> stuck = source.stuckShards(jobId);
                if (!stuck.isEmpty()) {
                    endLine(tty);
                    throw new CannotProgress(
                            jobId, stuckStep(stuck, shards), "shards flagged stuck: " + stuck);
                }
            }
            String line =
                    job == null
                            ? "ingesting" + ingestProgress(null, source.progress(jobId))
                            : progress(job, shards, tty)
                                    + ingestProgress(job, source.progress(jobId));
            Instant now = Instant.now();
            if (!line.equals(last)) {
                lastChange = now;
                if (!tty) {
                    out().println(line);
                }
            }
            if (tty) {
                out().print("\r" + line + "   ");
                out().flush();
            }
            last = line;
            if (!now.isBefore(deadline)) {
                endLine(tty);
                throw new CannotProgress(
                        jobId,
                        step(job, shards),
                        "did not finish within " + timeout + " (--timeout)");
            }
            if (Duration.between(lastChange, now).compareTo(stallTimeout) >= 0) {
                endLine(tty);
                throw new CannotProgress(
                        jobId,
                        step(job, shards),
                        "no progress for "
                                + stallTimeout
                                + " (still: "
                                + line
                                + "); raise --stall-timeout or BATCHLANE_STALL_TIMEOUT if the provider is"
                                + " just slow");
            }
            Thread.sleep(500);
        }
    }

    private static void endLine(boolean tty) {
        if (tty) {
            out().println();
        }
    }

    /** The function that would move the job on next. */
    static String step(Job job, List<Shard> shards) {
        if (job == null || job.status() == JobStatus.INGESTING) {
            return "ingest";
        }
        boolean allEnded =
                !shards.isEmpty()
                        && shards.stream()
                                .allMatch(
                                        s ->
                                                s.status() == ShardStatus.ENDED
                                                        || s.status() == ShardStatus.COMPLETED);
        return allEnded ? "complete" : "poll";
    }

    private static String stuckStep(Map<String, String> stuck, List<Shard> shards) {
        boolean ended =
                shards.stream()
                        .anyMatch(
                                s ->
                                        s.status() == ShardStatus.ENDED
                                                && stuck.containsKey(Shard.partName(s.index())));
        return ended ? "complete" : "poll";
    }

    /**
     * "; 12.5 MB validated of 40.0 MB, 3 shards staged" while ingesting (job null: its record is
     * not written yet), from what the core recorded; nothing when absent.
     */
    static String ingestProgress(Job job, Map<String, Long> progress) {
        if ((job != null && job.status() != JobStatus.INGESTING) || progress.isEmpty()) {
            return job == null ? "…" : "";
        }
        StringBuilder sb = new StringBuilder();
        Long bytes = progress.get("progressBytes");
        if (bytes != null) {
            Long total = progress.get("totalBytes");
            sb.append(String.format(java.util.Locale.ROOT, "; %.1f MB validated", bytes / 1e6));
            if (total != null && total > 0) {
                sb.append(String.format(java.util.Locale.ROOT, " of %.1f MB", total / 1e6));
            }
        }
        Long staged = progress.get("progressShards");
        if (staged != null) {
            sb.append(sb.length() == 0 ? "; " : ", ")
                    .append(staged)
                    .append(staged == 1 ? " shard" : " shards")
                    .append(" staged");
        }
        return sb.toString();
    }

    static String progress(Job job, List<Shard> shards, boolean bar) {
        long submitted =
                shards.stream()
                        .filter(
                                s ->
                                        s.status() != ShardStatus.STAGED
                                                && s.status() != ShardStatus.SUBMITTING)
                        .count();
        long ended =
                shards.stream()
                        .filter(
                                s ->
                                        s.status() == ShardStatus.ENDED
                                                || s.status() == ShardStatus.COMPLETED)
                        .count();
        long inProgress = submitted - ended;
        long succeeded = 0;
        long failed = 0;
        for (Shard s : shards) {
            ShardResult r = s.result();
            if (r != null) {
                succeeded += r.succeeded();
                failed += r.total() - r.succeeded();
            } else {
                // not joined yet: the provider's own counters say how far the batch got
                succeeded += s.providerCounts().completed();
                failed += s.providerCounts().failed();
            }
        }
        int total = Math.max(1, shards.size());
        String text =
                String.format(
                        "%s: shards %d submitted / %d in progress / %d ended of %d; requests %d succeeded / %d failed of %d",
                        job.status().name().toLowerCase(),
                        submitted,
                        inProgress,
                        ended,
                        shards.size(),
                        succeeded,
                        failed,
                        job.requestCount());
        // Shards held back by the admission budget or the provider's queue limit, and how long.
        java.time.Instant now = java.time.Instant.now();
        long waiting = shards.stream().filter(s -> s.queueWait().since() != null).count();
        java.time.Duration waited =
                shards.stream()
                        .map(s -> s.queueWait().total(now))
                        .reduce(java.time.Duration.ZERO, java.time.Duration::plus);
        if (waiting > 0 || !waited.isZero()) {
            text +=
                    String.format(
                            "; %d waiting for the provider's queue, %ds waited in all",
                            waiting, waited.toSeconds());
        }
        if (!bar) {
            return text;
        }
        int width = 24;
        int filled = (int) (width * ended / total);
        return "[" + "#".repeat(filled) + "-".repeat(width - filled) + "] " + text;
    }

    static int finish(S3Client s3, Job job, Drop drop, Path out) throws IOException {
        String prefix =
                job.status() == JobStatus.REJECTED
                        ? Keys.rejected(job.provider(), job.name(), job.jobId())
                        : "results/" + job.jobId() + "/";
        int copied = copy(s3, prefix, out);
        Path where = out.resolve(prefix).toAbsolutePath().normalize();
        if (job.status() == JobStatus.REJECTED) {
            JsonNode report = JSON.readTree(out.resolve(prefix + "report.json").toFile());
            out().println("REJECTED: " + report.path("message").asText());
            for (JsonNode v : report.path("firstViolations")) {
                String at =
                        v.path("line").asLong() == 0 ? "file" : "line " + v.path("line").asLong();
                out().println(
                                "  "
                                        + at
                                        + " ["
                                        + v.path("code").asText()
                                        + "] "
                                        + v.path("message").asText());
            }
            out().println("report and error list (" + copied + " files): " + where);
            return 1;
        }
        JsonNode manifest = JSON.readTree(out.resolve(prefix + "manifest.json").toFile());
        JsonNode c = manifest.path("counts");
        out().println(
                        "COMPLETED: "
                                + c.path("succeeded").asLong()
                                + " succeeded, "
                                + c.path("failed").asLong()
                                + " failed, "
                                + c.path("expired").asLong()
                                + " expired, "
                                + c.path("cancelled").asLong()
                                + " cancelled of "
                                + c.path("requests").asLong()
                                + " requests; "
                                + manifest.at("/usage/totalTokens").asLong()
                                + " tokens");
        if (manifest.has("cost") && !manifest.at("/cost/batchUsd").isNull()) {
            out().println(
                            "cost: $"
                                    + manifest.at("/cost/batchUsd").decimalValue().toPlainString()
                                    + " at batch prices ($"
                                    + manifest.at("/cost/syncUsd").decimalValue().toPlainString()
                                    + " synchronously)");
        }
        if (manifest.has("failedFile")) {
            out().println(
                            "requests to fix and drop again: "
                                    + out.resolve(manifest.get("failedFile").asText())
                                            .toAbsolutePath()
                                            .normalize());
        }
        out().println("results (" + copied + " files): " + where);
        return 0;
    }

    static int copy(S3Client s3, String prefix, Path out) throws IOException {
        int n = 0;
        for (S3Object o :
                s3.listObjectsV2Paginator(b -> b.bucket(Stack.BUCKET).prefix(prefix)).contents()) {
            Path target = out.resolve(o.key());
            Files.createDirectories(target.getParent());
            Files.deleteIfExists(target);
            s3.getObject(b -> b.bucket(Stack.BUCKET).key(o.key()), target);
            n++;
        }
        return n;
    }

    // ---- up, and commands against a running stack ----

    static Path stateFile() {
        return home().resolve(".batchlane/stack.json");
    }

    @Command(
            name = "up",
            description =
                    "Start the stack and keep it running; drop files with the printed aws command or 'submit'.")
    static final class Up implements Callable<Integer> {
        @Option(names = "--shard-size", defaultValue = "500")
        int shardSize;

        @Override
        public Integer call() throws Exception {
            try (Stack stack = Stack.start(options(shardSize))) {
                Files.createDirectories(stateFile().getParent());
                Files.writeString(
                        stateFile(),
                        JSON.createObjectNode()
                                .put("s3Endpoint", stack.s3Endpoint())
                                .put("dynamodbEndpoint", stack.dynamoEndpoint())
                                .put("bucket", Stack.BUCKET)
                                .put("table", Stack.TABLE)
                                .toString());
                out().println(
                                "Batchlane is up. S3 endpoint: "
                                        + stack.s3Endpoint()
                                        + "  bucket: "
                                        + Stack.BUCKET);
                out().println("Drop a file:");
                out().println(
                                "  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws s3 cp examples/fraud-scoring.jsonl s3://"
                                        + Stack.BUCKET
                                        + "/inbox/openai/ --endpoint-url "
                                        + stack.s3Endpoint()
                                        + " --region us-east-1");
                out().println(
                                "or: ./batchlane submit FILE · ./batchlane status [JOB] · ./batchlane results JOB. Ctrl-C stops.");
                Thread.currentThread().join();
                return 0;
            } finally {
                Files.deleteIfExists(stateFile());
            }
        }
    }

    /** Clients for the stack that 'up' started. */
    record Running(S3Client s3, DynamoJobStore jobs, DynamoDbClient dynamo, String table) {
        static Running connect() throws IOException {
            if (!Files.isRegularFile(stateFile())) {
                throw new CommandLine.ParameterException(
                        new CommandLine(new Cli()),
                        "no running stack: start one with ./batchlane up (in another terminal)");
            }
            JsonNode state = JSON.readTree(stateFile().toFile());
            S3Client s3 = LocalAws.s3(java.net.URI.create(state.path("s3Endpoint").asText()));
            DynamoDbClient dynamo =
                    LocalAws.dynamo(java.net.URI.create(state.path("dynamodbEndpoint").asText()));
            String table = state.path("table").asText();
            return new Running(s3, new DynamoJobStore(dynamo, table), dynamo, table);
        }

        JobSource source() {
            return JobSource.of(jobs, dynamo, table, Cli::recordedFailure);
        }
    }

    @Command(
            name = "submit",
            description = "Drop FILE into the running stack's inbox and print the job id.")
    static final class Submit implements Callable<Integer> {
        @Parameters(paramLabel = "FILE")
        Path file;

        @Option(names = "--provider")
        String provider;

        @Option(names = "--budget-usd")
        String budget;

        @Option(names = "--model", description = "the file's model, sent as x-amz-meta-model")
        String model;

        @Override
        public Integer call() throws Exception {
            String p = resolveProvider(file, provider);
            if (p == null) {
                return 2;
            }
            Drop drop = Drop.put(Running.connect().s3(), file, p, budget, model);
            out().println(drop.jobId());
            return 0;
        }
    }

    @Command(
            name = "status",
            description = "Show a job's progress, or every job's when JOB is omitted.")
    static final class Status implements Callable<Integer> {
        @Parameters(paramLabel = "JOB", arity = "0..1")
        String jobId;

        @Override
        public Integer call() throws Exception {
            Running r = Running.connect();
            JobSource source = r.source();
            if (jobId != null) {
                Job job = r.jobs().job(jobId).orElse(null);
                String problem = problem(source, jobId, job);
                if (job == null && problem == null) {
                    System.err.println("no job " + jobId);
                    return 1;
                }
                if (job != null) {
                    out().println(jobId + "  " + job.inputKey() + "  " + statusLine(source, job));
                }
                if (problem != null) {
                    System.err.println(problem);
                    return CANNOT_PROGRESS;
                }
                return 0;
            }
            int status = 0;
            for (S3Object o :
                    r.s3().listObjectsV2Paginator(b -> b.bucket(Stack.BUCKET).prefix("inbox/"))
                            .contents()) {
                String id = Keys.jobId(Stack.BUCKET, o.key(), o.eTag().replace("\"", ""));
                Job job = r.jobs().job(id).orElse(null);
                out().println(
                                id
                                        + "  "
                                        + o.key()
                                        + "  "
                                        + (job == null
                                                ? "waiting for ingest"
                                                : statusLine(source, job)));
                String problem = problem(source, id, job);
                if (problem != null) {
                    System.err.println(problem);
                    status = CANNOT_PROGRESS;
                }
            }
            return status;
        }
    }

    static String statusLine(JobSource source, Job job) {
        return progress(job, source.shards(job.jobId()), false)
                + ingestProgress(job, source.progress(job.jobId()));
    }

    /**
     * What status reports as a job that cannot progress: its ingest failed for good, or shards are
     * stuck.
     */
    static String problem(JobSource source, String jobId, Job job) {
        if (job != null
                && (job.status() == JobStatus.COMPLETED || job.status() == JobStatus.REJECTED)) {
            return null;
        }
        Optional<String> failed = source.failure(jobId);
        if (failed.isPresent()) {
            return new CannotProgress(
                            jobId,
                            "ingest",
                            failed.get() + "; resume it with ./batchlane resume " + jobId)
                    .getMessage();
        }
        if (job != null) {
            Map<String, String> stuck = source.stuckShards(jobId);
            if (!stuck.isEmpty()) {
                return new CannotProgress(
                                jobId,
                                stuckStep(stuck, source.shards(jobId)),
                                "shards flagged stuck: " + stuck)
                        .getMessage();
            }
        }
        return null;
    }

    /** A failure the running stack recorded for 'status' (see Stack#failure). */
    static Optional<String> recordedFailure(String jobId) {
        Path f = Stack.failedDir(home()).resolve(jobId + ".txt");
        try {
            return Files.isRegularFile(f) ? Optional.of(Files.readString(f)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Command(
            name = "cancel",
            description =
                    "Cancel a running job: batches in flight are cancelled, what finished is kept.")
    static final class Cancel implements Callable<Integer> {
        @Parameters(paramLabel = "JOB")
        String jobId;

        @Override
        public Integer call() throws Exception {
            Running r = Running.connect();
            if (r.jobs().job(jobId).isEmpty()) {
                System.err.println("no job " + jobId);
                return 1;
            }
            r.s3().putObject(
                            b -> b.bucket(Stack.BUCKET).key("cancel/" + jobId),
                            RequestBody.empty());
            out().println(
                            "cancel requested for "
                                    + jobId
                                    + "; follow it with ./batchlane status "
                                    + jobId);
            return 0;
        }
    }

    @Command(
            name = "resume",
            description =
                    "Resume a job whose ingest failed or stopped: staged shards are submitted,"
                            + " shards already at the provider are left alone (writes resume/JOB, as on AWS).")
    static final class Resume implements Callable<Integer> {
        @Parameters(paramLabel = "JOB")
        String jobId;

        @Override
        public Integer call() throws Exception {
            Running r = Running.connect();
            if (r.jobs().job(jobId).isEmpty() && r.jobs().ingestFailure(jobId).isEmpty()) {
                System.err.println("no job " + jobId + " and no failed ingest recorded for it");
                return 1;
            }
            // A body of its own each time, so a second resume of the same job is a new object (and
            // event).
            r.s3().putObject(
                            b -> b.bucket(Stack.BUCKET).key(Keys.RESUME + jobId),
                            RequestBody.fromString(Instant.now().toString()));
            out().println(
                            "resume requested for "
                                    + jobId
                                    + "; follow it with ./batchlane status "
                                    + jobId);
            return 0;
        }
    }

    @Command(
            name = "redrive",
            description =
                    "Hand completion work that ran out of retries (the dead-letter records,"
                            + " or JOB's) to complete again; writes redrive/JOB for each job, as on AWS.")
    static final class Redrive implements Callable<Integer> {
        @Parameters(paramLabel = "JOB", arity = "0..1")
        String jobId;

        @Override
        public Integer call() throws Exception {
            Running r = Running.connect();
            java.util.Set<String> jobs = new java.util.TreeSet<>();
            List<Path> letters = List.of();
            Path dir = Stack.deadLetterDir(home());
            if (jobId != null) {
                jobs.add(jobId);
            } else if (Files.isDirectory(dir)) {
                try (var files = Files.list(dir)) {
                    letters = files.sorted().toList();
                }
                for (Path f : letters) {
                    for (JsonNode rec : JSON.readTree(f.toFile()).path("Records")) {
                        jobs.add(rec.at("/dynamodb/NewImage/jobId/S").asText());
                    }
                }
            }
            if (jobs.isEmpty()) {
                out().println(
                                "nothing to re-drive: the dead-letter records ("
                                        + dir
                                        + ") are empty");
                return 0;
            }
            for (String id : jobs) {
                r.s3().putObject(
                                b -> b.bucket(Stack.BUCKET).key(Keys.REDRIVE + id),
                                RequestBody.fromString(Instant.now().toString()));
                out().println("re-drive requested for " + id);
            }
            for (Path f : letters) {
                Files.deleteIfExists(f);
            }
            out().println("follow with ./batchlane status");
            return 0;
        }
    }

    @Command(name = "results", description = "Copy a finished job's objects to --out.")
    static final class Results implements Callable<Integer> {
        @Parameters(paramLabel = "JOB")
        String jobId;

        @Option(names = "--out", defaultValue = "batchlane-out")
        Path out;

        @Override
        public Integer call() throws Exception {
            Running r = Running.connect();
            Job job = r.jobs().job(jobId).orElse(null);
            if (job == null
                    || (job.status() != JobStatus.COMPLETED
                            && job.status() != JobStatus.REJECTED)) {
                System.err.println(
                        "job "
                                + jobId
                                + " has not finished"
                                + (job == null ? " (no such job)" : ": " + job.status()));
                return 1;
            }
            return finish(r.s3(), job, new Drop(job.inputKey(), job.name(), jobId), out);
        }
    }
}
