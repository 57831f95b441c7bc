package dev.batchlane.core.ingest;

import dev.batchlane.core.lane.Deadline;
import dev.batchlane.core.money.TokenEstimate;
import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;

/**
 * One streaming pass over a dropped file that validates every line, estimates its tokens and, while
 * the file is still clean, cuts it into shards and streams them to the bucket.
 *
 * <p>The expensive work per line (UTF-8 decoding, JSON parsing, token counting) runs on every core:
 * the reading thread cuts the stream into chunks of whole lines and hands them to workers; it then
 * takes the parsed chunks back <em>in file order</em> and does the sequential part itself — id
 * uniqueness, the provider's per-file rules, shard boundaries and staging. Line numbers, "duplicate
 * of line N" and shard boundaries are therefore exactly what a one-thread pass gives. At most
 * {@code 2 × parallelism + 1} chunks are in memory, whatever the file's size.
 *
 * <p>{@link LineParser} is the workers' half, {@link FileOrderChecks} the reading thread's, and
 * {@link ShardCutter} cuts and stages the shards for it; this class runs the threads and the
 * bounded hand-off between them.
 *
 * <p>Staging stops at the first violation (the shard being written is aborted); validation goes on
 * to report every bad line. The caller removes the shards already staged: a rejected file reaches
 * no provider.
 */
public final class IngestPass {
    /** Where staged shards go; null for a validation-only pass. */
    public interface Stager {
        /** Starts writing shard {@code index} (1-based). */
        ObjectStore.Upload open(int index) throws IOException;

        /** Shard {@code shard} is completely written and visible. */
        void staged(StagedShard shard) throws IOException;
    }

    /**
     * One staged shard: its index, requests and bytes as written (newline-terminated lines), and
     * what its requests are estimated to use, by model.
     */
    public record StagedShard(
            int index, long requests, long bytes, Map<String, TokenEstimate> estimates) {
        public StagedShard {
            estimates = Map.copyOf(estimates);
        }

        /** A shard whose requests were not estimated (nothing to price or admit). */
        public StagedShard(int index, long requests, long bytes) {
            this(index, requests, bytes, Map.of());
        }

        /** The input tokens the shard enqueues at the provider, estimated. */
        public long inputTokens() {
            long sum = 0;
            for (TokenEstimate t : estimates.values()) {
                sum = TokenEstimate.saturatedSum(sum, t.inputTokens());
            }
            return sum;
        }
    }

    /** Progress of a long pass, reported every few seconds. */
    @FunctionalInterface
    public interface Progress {
        void report(long bytesRead, int shardsStaged);

        Progress NONE = (b, s) -> {};
    }

    /** How the pass runs. */
    public record Options(
            int parallelism,
            int chunkBytes,
            Duration progressEvery,
            Deadline deadline,
            Duration deadlineMargin,
            Clock clock) {
        /**
         * About 1 MiB of whole lines per chunk: enough to amortise a hand-off, few enough to bound
         * memory.
         */
        public static final int DEFAULT_CHUNK_BYTES = 1 << 20;

        public static Options defaults() {
            return new Options(
                    Runtime.getRuntime().availableProcessors(),
                    DEFAULT_CHUNK_BYTES,
                    Duration.ofSeconds(5),
                    Deadline.none(),
                    Duration.ZERO,
                    Clock.systemUTC());
        }

        public Options withDeadline(Deadline d, Duration margin, Clock c) {
            return new Options(parallelism, chunkBytes, progressEvery, d, margin, c);
        }

        public Options withParallelism(int n) {
            return new Options(n, chunkBytes, progressEvery, deadline, deadlineMargin, clock);
        }

        public Options withChunkBytes(int n) {
            return new Options(parallelism, n, progressEvery, deadline, deadlineMargin, clock);
        }
    }

    /**
     * What the pass found, and the shards it staged (all of them only when {@code
     * checked.valid()}).
     */
    public record PassSummary(
            FileValidator.Validation checked, List<StagedShard> shards, Duration elapsed) {}

    /** Thrown when the invocation's time ran out before the pass could end. */
    public static final class OutOfTime extends RuntimeException {
        public OutOfTime(String message) {
            super(message);
        }
    }

    private final RequestContract contract;
    private final IngestLimits limits;
    private final long defaultMaxOutputTokens;
    private final Options options;
    private final QueueLimits queueLimits;

    public IngestPass(
            RequestContract contract,
            IngestLimits limits,
            long defaultMaxOutputTokens,
            Options options) {
        this(contract, limits, defaultMaxOutputTokens, options, QueueLimits.NONE);
    }

    /** {@code queueLimits}: the input tokens a shard of each model may hold at most. */
    public IngestPass(
            RequestContract contract,
            IngestLimits limits,
            long defaultMaxOutputTokens,
            Options options,
            QueueLimits queueLimits) {
        this.contract = contract;
        this.limits = limits;
        this.defaultMaxOutputTokens = defaultMaxOutputTokens;
        this.options = options;
        this.queueLimits = queueLimits;
    }

    /**
     * Reads {@code in} to its end. {@code allViolations} receives every violation in line order;
     * {@code stager} (null: validate only) receives the shards while the file is clean.
     */
    public PassSummary run(
            InputStream in, Consumer<Violation> allViolations, Stager stager, Progress progress)
            throws IOException {
        Instant started = options.clock().instant();
        MessageDigest sha = FileValidator.sha256();
        FileValidator.CountingStream counted =
                new FileValidator.CountingStream(new DigestInputStream(in, sha));
        LineReader reader = new LineReader(counted, limits.maxLineBytes());
        int parallelism = Math.max(1, options.parallelism());
        ExecutorService pool = Executors.newFixedThreadPool(parallelism, daemon("ingest-parse"));
        ExecutorService finisher = Executors.newSingleThreadExecutor(daemon("ingest-stage"));
        ShardCutter cutter = new ShardCutter(stager, limits, finisher);
        FileOrderChecks inOrder =
                new FileOrderChecks(
                        contract,
                        limits,
                        defaultMaxOutputTokens,
                        options,
                        allViolations,
                        progress,
                        counted,
                        cutter,
                        queueLimits);
        ThreadLocal<LineParser> parsers =
                ThreadLocal.withInitial(() -> new LineParser(contract, defaultMaxOutputTokens));
        ArrayDeque<CompletableFuture<LineChunk>> inFlight = new ArrayDeque<>();
        int maxInFlight = 2 * parallelism + 1;
        Throwable failure = null;
        try {
            LineChunk chunk = null;
            LineReader.Line line;
            while ((line = reader.next()) != null) {
                if (chunk == null) {
                    chunk = new LineChunk(line.number());
                }
                chunk.add(line);
                if (chunk.used >= options.chunkBytes() || chunk.count >= 8192) {
                    LineChunk full = chunk;
                    inFlight.add(
                            CompletableFuture.supplyAsync(
                                    () -> parsers.get().parseAll(full), pool));
                    chunk = null;
                    while (inFlight.size() >= maxInFlight) {
                        inOrder.merge(await(inFlight.poll()));
                    }
                }
            }
            if (chunk != null) {
                LineChunk last = chunk;
                inFlight.add(
                        CompletableFuture.supplyAsync(() -> parsers.get().parseAll(last), pool));
            }
            while (!inFlight.isEmpty()) {
                inOrder.merge(await(inFlight.poll()));
            }
            cutter.finish();
        } catch (IOException | RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            pool.shutdownNow();
            cutter.abort();
            try {
                // A shard still completing is finished (or fails) before the caller sees
                // the result, so its list of staged shards is whole and removing them
                // removes them all.
                cutter.awaitFinishing();
            } catch (IOException | RuntimeException e) {
                if (failure == null) {
                    throw e;
                }
                failure.addSuppressed(e);
            } finally {
                finisher.shutdown();
            }
        }
        FileValidator.Validation checked = inOrder.end(HexFormat.of().formatHex(sha.digest()));
        return new PassSummary(
                checked, cutter.staged(), Duration.between(started, options.clock().instant()));
    }

    /** Threads that never keep the JVM (a Lambda invocation's runtime) alive on their own. */
    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * The future's value; a failure on the worker or staging thread is thrown as if it happened
     * here.
     */
    static <T> T await(CompletableFuture<T> f) throws IOException {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }
}
