package dev.batchlane.simulator.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A local OpenAI Files + Batch API on loopback, for testing clients the way they talk to OpenAI.
 *
 * <p>Serves under {@code /v1}: {@code POST/GET /files}, {@code GET/DELETE /files/{id}}, {@code GET
 * /files/{id}/content}, {@code POST/GET /batches}, {@code GET /batches/{id}} and {@code POST
 * /batches/{id}/cancel}, with bearer auth required. A batch advances one status (validating →
 * in_progress → finalizing → completed, or failed/expired/cancelling → cancelled) each time {@code
 * GET /batches/{id}} finds that the step duration has passed since its last transition, measured on
 * the injected clock; with {@link Duration#ZERO} every retrieve advances exactly one step. Failures
 * are injected through the methods below, never over HTTP.
 *
 * <pre>{@code
 * try (OpenAiSimulator sim = OpenAiSimulator.builder().stepDuration(Duration.ZERO).start()) {
 *     sim.failLines(id -> id.endsWith("-7"), 500, "server_error", "boom");
 *     // point the client at sim.baseUrl()
 * }
 * }</pre>
 */
public final class OpenAiSimulator implements AutoCloseable {
    /** Bounds the request log of a long-running simulator (a local stack polls for hours). */
    private static final int MAX_LOGGED_REQUESTS = 100_000;

    private final Dialect dialect;
    private final HttpServer server;
    private final ExecutorService executor;
    private final FileStore files;
    private final BatchEngine batches;
    private final FaultPlan faults = new FaultPlan();
    private final Deque<RecordedRequest> log = new ArrayDeque<>();
    private final AtomicInteger uploads = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Duration retryAfter;

    private OpenAiSimulator(Builder builder) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        this.retryAfter = builder.retryAfter;
        this.dialect = builder.dialect;
        this.files = new FileStore(builder.clock, dialect);
        this.batches =
                new BatchEngine(
                        files,
                        faults,
                        builder.clock,
                        mapper,
                        builder.seed,
                        builder.stepDuration,
                        builder.cachedInputFraction,
                        builder.fractionCompletedBeforeCancel,
                        dialect);
        AtomicInteger threadCount = new AtomicInteger();
        this.executor =
                Executors.newFixedThreadPool(
                        builder.threads,
                        runnable -> {
                            Thread thread =
                                    new Thread(
                                            runnable,
                                            "openai-sim-" + threadCount.incrementAndGet());
                            thread.setDaemon(true);
                            return thread;
                        });
        dev.batchlane.simulator.SimHttp.preferNoDelay();
        try {
            this.server =
                    HttpServer.create(
                            new InetSocketAddress(InetAddress.getByName("127.0.0.1"), builder.port),
                            0);
        } catch (IOException e) {
            executor.shutdownNow();
            files.close();
            throw e;
        }
        server.createContext(
                "/",
                new ApiHandler(
                        dialect,
                        files,
                        batches,
                        faults,
                        mapper,
                        this::record,
                        uploads,
                        () -> retryAfter));
        server.setExecutor(executor);
        server.start();
    }

    /** Starts a simulator with the defaults: a free port, the system clock, 1 s steps, seed 42. */
    public static OpenAiSimulator start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Settings fixed for the simulator's lifetime (step duration and a few others can change
     * later).
     */
    public static final class Builder {
        private int port;
        private Clock clock = Clock.systemUTC();
        private Duration stepDuration = Duration.ofSeconds(1);
        private long seed = 42;
        private int threads = 4;
        private double cachedInputFraction;
        private double fractionCompletedBeforeCancel = 0.5;
        private Duration retryAfter = Duration.ofSeconds(1);
        private Dialect dialect = Dialect.OPENAI;

        private Builder() {}

        /** The service to play (OpenAI by default); see {@link Dialect} for what each changes. */
        public Builder dialect(Dialect dialect) {
            this.dialect = Objects.requireNonNull(dialect, "dialect");
            return this;
        }

        /** The loopback port to listen on; 0 (the default) picks a free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be 0..65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /** The clock for timestamps and for deciding when a batch may advance. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The least time between two status transitions of a batch; default 1 s. */
        public Builder stepDuration(Duration stepDuration) {
            this.stepDuration = nonNegative(stepDuration, "stepDuration");
            return this;
        }

        /** The seed of the shuffle that orders output lines; default 42. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** HTTP worker threads; default 4. */
        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /** See {@link OpenAiSimulator#setCachedInputFraction(double)}; default 0. */
        public Builder cachedInputFraction(double fraction) {
            this.cachedInputFraction = fraction(fraction, "cachedInputFraction");
            return this;
        }

        /** See {@link OpenAiSimulator#setFractionCompletedBeforeCancel(double)}; default 0.5. */
        public Builder fractionCompletedBeforeCancel(double fraction) {
            this.fractionCompletedBeforeCancel =
                    fraction(fraction, "fractionCompletedBeforeCancel");
            return this;
        }

        /** See {@link OpenAiSimulator#setRetryAfter(Duration)}; default 1 s. */
        public Builder retryAfter(Duration retryAfter) {
            this.retryAfter = nonNegative(retryAfter, "retryAfter");
            return this;
        }

        public OpenAiSimulator start() {
            try {
                return new OpenAiSimulator(this);
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "Could not start the OpenAI simulator on port " + port, e);
            }
        }
    }

    /**
     * The API base URL clients are configured with, e.g. {@code http://127.0.0.1:54321/v1}; under
     * the dialect's prefix ({@code /openai/v1} for Azure and Groq).
     */
    public String baseUrl() {
        return "http://127.0.0.1:" + port() + dialect.prefix();
    }

    public Dialect dialect() {
        return dialect;
    }

    public URI baseUri() {
        return URI.create(baseUrl());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    // ---- failure controls -------------------------------------------------------------------

    /**
     * Makes every line whose custom_id matches fail with {@code statusCode}: it goes to the error
     * file with {@code {"error":{message,type,param,code}}} as its response body. Applies to lines
     * run after this call (lines run when a batch leaves {@code in_progress}); the first matching
     * rule wins, and predicate rules win over fraction rules.
     */
    public void failLines(
            Predicate<String> customIdPredicate, int statusCode, String code, String message) {
        Objects.requireNonNull(customIdPredicate, "customIdPredicate");
        faults.failLines(
                customIdPredicate,
                new FaultPlan.LineFailure(
                        errorStatus(statusCode),
                        code,
                        message == null ? ApiError.defaultMessage(statusCode) : message,
                        null));
    }

    /**
     * Makes about {@code fraction} of lines fail with a 500 {@code server_error}. Which lines fail
     * depends only on the seed and each custom_id, never on line order.
     */
    public void failFraction(double fraction, long seed) {
        failFraction(fraction, seed, 500, "server_error", ApiError.defaultMessage(500));
    }

    /** Like {@link #failFraction(double, long)} with a chosen status and error body. */
    public void failFraction(
            double fraction, long seed, int statusCode, String code, String message) {
        faults.failFraction(
                fraction(fraction, "fraction"),
                seed,
                new FaultPlan.LineFailure(
                        errorStatus(statusCode),
                        code,
                        message == null ? ApiError.defaultMessage(statusCode) : message,
                        null));
    }

    /**
     * Makes the next {@code count} batches created expire instead of finalizing: they go validating
     * → in_progress → expired, with {@code fractionCompletedBeforeExpiry} of their lines executed
     * (in the output or error file as usual) and the rest in the error file as {@code
     * batch_expired}. A batch whose 24 h window closes on the injected clock expires too.
     */
    public void expireNextBatches(int count, double fractionCompletedBeforeExpiry) {
        faults.expireNextBatches(
                count(count),
                fraction(fractionCompletedBeforeExpiry, "fractionCompletedBeforeExpiry"));
    }

    /**
     * Makes the next {@code count} batches created fail validation with this error (for example
     * {@code token_limit_exceeded}), even when their input file is valid.
     */
    public void failNextBatchValidations(int count, String code, String message) {
        faults.failNextBatchValidations(
                count(count),
                new FaultPlan.ValidationFailure(
                        Objects.requireNonNull(code, "code"),
                        Objects.requireNonNull(message, "message")));
    }

    /**
     * Makes the next {@code count} calls of an operation (its spec operationId, e.g. {@code
     * "createFile"}, {@code "createBatch"}, {@code "retrieveBatch"}, {@code "downloadFile"}, {@code
     * "deleteFile"}) answer {@code status} with the error envelope, without doing anything; a 429
     * carries {@code Retry-After} and {@code retry-after-ms} headers.
     */
    public void failNextCalls(String operation, int status, int count) {
        failNextCalls(Operation.fromOperationId(operation), status, count);
    }

    public void failNextCalls(Operation operation, int status, int count) {
        failNextCalls(
                operation,
                status,
                count,
                ApiError.defaultCode(status),
                ApiError.defaultMessage(status));
    }

    public void failNextCalls(
            Operation operation, int status, int count, String code, String message) {
        faults.addCallFaults(
                Objects.requireNonNull(operation, "operation"),
                new FaultPlan.CallFault(
                        errorStatus(status),
                        code,
                        message == null ? ApiError.defaultMessage(status) : message,
                        false),
                count(count));
    }

    /**
     * Makes the next {@code count} successful calls of {@code operation} (e.g. {@link
     * Operation#CREATE_FILE}, {@link Operation#CREATE_BATCH}) take effect — the file is stored, the
     * batch is created — and then lose their answer {@code how}: a 502 from the edge, a reset
     * connection, or a cut 200.
     */
    public void loseNextAnswers(Operation operation, LostAnswer how, int count) {
        faults.addLostAnswers(
                Objects.requireNonNull(operation, "operation"),
                Objects.requireNonNull(how, "how"),
                count(count));
    }

    /**
     * Makes the next {@code count} batch creations answer 400 {@code file_not_ready}: the input
     * file was uploaded but cannot be read yet. Nothing is created.
     */
    public void fileNotReadyForNextCreates(int count) {
        faults.addFileNotReady(count(count));
    }

    /**
     * An enqueued-token limit across the batches not yet done (validating, in progress, finalizing,
     * cancelling), counted in prompt tokens as results report them. A batch that would exceed it is
     * refused at create with 400 {@code token_limit_exceeded} when {@code refuseAtCreate}, or else
     * is created and fails in validation with that code in {@code errors.data}, as OpenAI does. The
     * message states the limit. Null removes it.
     */
    public void setEnqueuedTokenLimit(Long tokens, boolean refuseAtCreate) {
        faults.setEnqueuedTokenLimit(tokens, refuseAtCreate);
    }

    /** Makes the next {@code count} calls of an operation answer 200 with a truncated JSON body. */
    public void malformNextCalls(String operation, int count) {
        malformNextCalls(Operation.fromOperationId(operation), count);
    }

    public void malformNextCalls(Operation operation, int count) {
        faults.addCallFaults(
                Objects.requireNonNull(operation, "operation"),
                new FaultPlan.CallFault(200, null, null, true),
                count(count));
    }

    /** Delays every HTTP answer by {@code latency}. */
    /**
     * The next batch to write its results leaves out the lines of {@code missing} (still counted as
     * done) and writes the lines of {@code unreadable} cut short, whichever file they belong in.
     */
    public void damageNextResults(Set<String> missing, Set<String> unreadable) {
        faults.damageNextResults(
                new FaultPlan.ResultDamage(Set.copyOf(missing), Set.copyOf(unreadable)));
    }

    public void setLatency(Duration latency) {
        faults.setLatency(nonNegative(latency, "latency"));
    }

    /** Changes the least time between two status transitions of a batch. */
    public void setStepDuration(Duration stepDuration) {
        batches.setStepDuration(nonNegative(stepDuration, "stepDuration"));
    }

    /** The wait announced by injected 429 answers. */
    public void setRetryAfter(Duration retryAfter) {
        this.retryAfter = nonNegative(retryAfter, "retryAfter");
    }

    /** The share of each request's prompt tokens reported as cached (floored); default 0. */
    public void setCachedInputFraction(double fraction) {
        batches.setCachedInputFraction(fraction(fraction, "fraction"));
    }

    /**
     * The share of lines a batch cancelled while {@code in_progress} has executed by the time it is
     * cancelled; the rest land in the error file as {@code batch_cancelled}. Default 0.5.
     */
    public void setFractionCompletedBeforeCancel(double fraction) {
        batches.setFractionCompletedBeforeCancel(fraction(fraction, "fraction"));
    }

    // ---- observability ----------------------------------------------------------------------

    /** Successful {@code createFile} calls since start or the last {@link #reset()}. */
    public int uploadCount() {
        return uploads.get();
    }

    /** Ids of files not deleted: uploads and the output/error files of batches. */
    public Set<String> liveFileIds() {
        return files.ids();
    }

    /** All batches, oldest first. Reading them does not advance them. */
    public List<BatchSnapshot> batches() {
        List<BatchRecord> all = new ArrayList<>(batches.list());
        all.sort(Comparator.comparingLong(b -> b.sequence));
        return all.stream().map(BatchRecord::snapshot).toList();
    }

    public Optional<BatchSnapshot> batch(String id) {
        return batches.get(id).map(BatchRecord::snapshot);
    }

    /** Every HTTP request answered (the latest 100,000), in order, with its status. */
    public List<RecordedRequest> requestLog() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    private void record(RecordedRequest request) {
        synchronized (log) {
            if (log.size() == MAX_LOGGED_REQUESTS) {
                log.removeFirst();
            }
            log.addLast(request);
        }
    }

    /** The engine, for tests in this package that hold its monitor. */
    BatchEngine engine() {
        return batches;
    }

    /** Usage reported in the output lines of all batches that have published results. */
    public KnownUsage knownUsage() {
        return batches.knownUsage();
    }

    /**
     * Forgets all files (deleting their content), batches, injected failures, latency, the request
     * log and counters. Settings from the builder and later setters are kept.
     */
    public void reset() {
        faults.clear();
        batches.clear();
        files.clear();
        synchronized (log) {
            log.clear();
        }
        uploads.set(0);
    }

    /** Stops the server and deletes every file the simulator holds; later calls do nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.stop(0);
        executor.shutdownNow();
        files.close();
    }

    /**
     * Runs a simulator for a local stack: {@code [port [stepDuration]]}, e.g. {@code 8089 PT2S}.
     * Prints the base URL and serves until the process is stopped.
     */
    public static void main(String[] args) throws InterruptedException {
        Builder builder = builder();
        if (args.length > 0) {
            builder.port(Integer.parseInt(args[0]));
        }
        if (args.length > 1) {
            builder.stepDuration(Duration.parse(args[1]));
        }
        if (args.length > 2) {
            builder.dialect(Dialect.valueOf(args[2].toUpperCase(java.util.Locale.ROOT)));
        }
        OpenAiSimulator simulator = builder.start();
        Runtime.getRuntime().addShutdownHook(new Thread(simulator::close, "openai-sim-shutdown"));
        System.out.println(simulator.baseUrl());
        new CountDownLatch(1).await();
    }

    private static int errorStatus(int status) {
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException(
                    "status must be an HTTP error status (400..599), got " + status);
        }
        return status;
    }

    private static int count(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("count must not be negative, got " + count);
        }
        return count;
    }

    private static double fraction(double fraction, String name) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException(name + " must be between 0 and 1, got " + fraction);
        }
        return fraction;
    }

    private static Duration nonNegative(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, got " + duration);
        }
        return duration;
    }
}
