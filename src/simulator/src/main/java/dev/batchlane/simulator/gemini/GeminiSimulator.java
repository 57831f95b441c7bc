package dev.batchlane.simulator.gemini;

import com.sun.net.httpserver.HttpServer;
import dev.batchlane.simulator.SimHttp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Google's Gemini API (v1beta) batch mode on loopback: {@code /upload/v1beta/files} (resumable),
 * {@code /v1beta/files/*}, {@code /v1beta/models/*:batchGenerateContent}, {@code /v1beta/batches*}
 * and {@code /download/v1beta/files/*:download}. A batch goes PENDING → RUNNING → SUCCEEDED, one
 * step per {@code batches.get} after {@code stepDuration}; its responses file ({@code
 * files/batch-<id>}) lists every key once, shuffled. Errors use Google's envelope {@code {"error":
 * {code, message, status}}}.
 */
public final class GeminiSimulator implements AutoCloseable {
    /**
     * The largest file the Files API takes: the discovery document's {@code
     * media.upload.mediaUpload.maxSize}, 2 GB as Google counts it (2^31 bytes).
     */
    public static final long MAX_FILE_BYTES = 2_147_483_648L;

    /**
     * Resumable uploads take non-final chunks in multiples of this (Google's resumable-upload
     * granularity).
     */
    static final int CHUNK_GRANULARITY = 256 * 1024;

    private final HttpServer server;
    private final Path dir;
    private final FaultPlan faults = new FaultPlan();
    private final Wire wire;
    private final FileStore files;
    private final BatchEngine batches;

    private GeminiSimulator(Builder b) throws IOException {
        this.dir = Files.createTempDirectory("gemini-sim-");
        this.wire = new Wire(b.discovery);
        this.files = new FileStore(dir, b.clock, faults, wire, this::baseUrl);
        this.batches =
                new BatchEngine(
                        files, faults, wire, b.clock, new Random(b.seed), dir, b.stepDuration);
        ApiHandler api = new ApiHandler(b.apiKey, files, batches, wire);
        this.server = SimHttp.startLoopback(b.port, "/", "gemini-sim", api::handle);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private int port;
        private Clock clock = Clock.systemUTC();
        private Duration stepDuration = Duration.ofSeconds(1);
        private long seed = 42;
        private String apiKey;
        private DiscoveryDocument discovery;

        /**
         * Checks every JSON request body against the document's schemas as Google's servers do
         * (unknown fields are refused with 400), and every JSON answer before it is sent (an answer
         * that does not conform is recorded and sent as a 500, so a test cannot miss it).
         */
        public Builder discovery(DiscoveryDocument discovery) {
            this.discovery = discovery;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Builder stepDuration(Duration stepDuration) {
            this.stepDuration = stepDuration;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** The only key accepted; null accepts any non-empty key. */
        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        public GeminiSimulator start() {
            try {
                return new GeminiSimulator(this);
            } catch (IOException e) {
                throw new UncheckedIOException("the Gemini simulator did not start", e);
            }
        }
    }

    /** The API root without a version, as the Gemini base URL is configured. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    // ---- controls ----

    /**
     * Requests whose key matches end with this error ({@code google.rpc.Code} and its name) in the
     * responses file.
     */
    public void failLines(Predicate<String> keys, int rpcCode, String status, String message) {
        faults.lineFaults.add(new FaultPlan.LineFault(keys, rpcCode, status, message, false, null));
    }

    /**
     * As {@link #failLines}, but each matching key fails only the first time it runs; a
     * resubmission succeeds.
     */
    public void failLinesOnce(Predicate<String> keys, int rpcCode, String status, String message) {
        faults.lineFaults.add(
                new FaultPlan.LineFault(
                        keys,
                        rpcCode,
                        status,
                        message,
                        true,
                        java.util.concurrent.ConcurrentHashMap.newKeySet()));
    }

    /**
     * The next batch to write its responses leaves out the lines of {@code missing} and writes the
     * lines of {@code unreadable} cut short.
     */
    public void damageNextResults(Set<String> missing, Set<String> unreadable) {
        faults.damageNext(new FaultPlan.Damage(Set.copyOf(missing), Set.copyOf(unreadable)));
    }

    /** The next {@code count} batches expire (Google's 48 h limit) without any result. */
    public void expireNextBatches(int count) {
        faults.expireNext(count);
    }

    /**
     * The next {@code count} calls of an operation answer {@code status} without acting.
     * Operations: {@code upload.start}, {@code upload.chunk}, {@code upload.query}, {@code create},
     * {@code get}, {@code list}, {@code cancel}, {@code download}, {@code files.get}, {@code
     * files.delete}, {@code batches.delete}.
     */
    public void failNextCalls(String operation, int status, int count) {
        faults.callFaults.add(new FaultPlan.CallFault(operation, status, false, 0, count));
    }

    /** Like {@link #failNextCalls}, after {@code skip} calls of the operation have gone through. */
    public void failCallsAfter(String operation, int skip, int status, int count) {
        faults.callFaults.add(new FaultPlan.CallFault(operation, status, false, skip, count));
    }

    /**
     * The next {@code count} calls of an operation take effect, but their answer is lost: replaced
     * by {@code status}, or with status 0 the connection closed without an answer, or with 200 the
     * success answer cut short ({@code create} and {@code upload.chunk}).
     */
    public void loseNextAnswers(String operation, int status, int count) {
        faults.callFaults.add(new FaultPlan.CallFault(operation, status, true, 0, count));
    }

    public void setStepDuration(Duration stepDuration) {
        batches.stepDuration = stepDuration;
    }

    // ---- observability ----

    /** Files made by uploads that finished (result files excluded), deleted ones included. */
    public int uploadCount() {
        synchronized (files.files) {
            return (int) files.files.values().stream().filter(f -> !f.generated).count();
        }
    }

    /** Batches created, adopted ones included once. */
    public int createCount() {
        return batches.createCount();
    }

    public Set<String> liveBatchNames() {
        synchronized (batches.batches) {
            Set<String> live = new HashSet<>();
            batches.batches.values().stream()
                    .filter(b -> !b.deleted)
                    .forEach(b -> live.add("batches/" + b.id));
            return live;
        }
    }

    /** Display names of every batch ever created, with repeats: a shard made twice shows twice. */
    public List<String> createdDisplayNames() {
        synchronized (batches.batches) {
            return batches.batches.values().stream().map(b -> b.displayName).toList();
        }
    }

    public Set<String> liveFileNames() {
        synchronized (files.files) {
            Set<String> live = new HashSet<>();
            files.files.values().stream()
                    .filter(f -> !f.deleted)
                    .forEach(f -> live.add("files/" + f.id));
            return live;
        }
    }

    /**
     * Answers of the simulator that did not conform to the discovery document (empty when none was
     * given).
     */
    public List<String> conformanceProblems() {
        return List.copyOf(wire.conformanceProblems);
    }

    public List<String> requestLog() {
        return List.copyOf(wire.requestLog);
    }

    /** Prompt, candidate and thought tokens reported in successful lines. */
    public long[] knownUsage() {
        return batches.knownUsage();
    }

    @Override
    public void close() {
        server.stop(0);
        SimHttp.deleteTree(dir);
    }
}
