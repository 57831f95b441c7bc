package dev.batchlane.core.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.ingest.Violation;
import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderBusy;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.provider.Usage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A batch provider driven by a script of answers, for the core's specification tests. It keeps what
 * it made (files, batches with their metadata and their requests), so a "lost answer" is a batch
 * that exists although the caller never heard of it, and {@link #findCreated} finds it the way the
 * OpenAI adapter does, by the lane's metadata.
 *
 * <p>Each create takes the next {@link Create} from the script (CREATED once the script is empty);
 * each batch created takes the next {@link Fate} (ALL_SUCCEED once that script is empty), and is
 * reported running for {@link #runningPolls} retrieves before it ends that way. Result lines come
 * from the requests the batch was created with, so joins are checked against real ids.
 */
public class ScriptedProvider implements BatchProvider {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the next create answers. */
    public enum Create {
        /** Made, answered. */
        CREATED,
        /** Made, but the answer was lost (502 after the provider acted). */
        LOST_ANSWER,
        /** Refused with 429, nothing made; Retry-After 30 s. */
        RATE_LIMITED,
        /**
         * Refused with {@code token_limit_exceeded}: the provider's enqueued-token queue is full.
         */
        TOKEN_LIMIT_EXCEEDED,
        /** Refused for good (400 invalid_request_error). */
        INVALID,
        /**
         * Made, and run request by request on demand rather than as a batch; its word for that,
         * {@code inline}, is one the lane has never heard.
         */
        ON_DEMAND
    }

    /** How a created batch ends. */
    public enum Fate {
        ALL_SUCCEED,
        /** Expired: the first half of its requests answered, the rest {@code batch_expired}. */
        EXPIRED,
        /**
         * Completed with mixed lines: each request whose id contains "limited" fails with 429
         * {@code rate_limit_exceeded}, "broken" with 400 {@code invalid_request_error}, "lost" gets
         * no line; the rest succeed.
         */
        PARTIAL,
        /**
         * Failed as a whole because the queue was full ({@code token_limit_exceeded}), nothing ran.
         */
        QUEUE_FULL,
        /**
         * Expired, in a word of its own ({@code window_closed}) and with no counts: the first half
         * of its requests answered, the rest without any line.
         */
        EXPIRED_IN_ITS_OWN_WORDS,
        /**
         * Cancelled by the provider, in a word of its own ({@code halted}) and with no counts: the
         * first half answered, the rest without any line.
         */
        CANCELLED_IN_ITS_OWN_WORDS
    }

    private final String name;
    private final RequestContract contract;
    private final Deque<Create> creates = new ArrayDeque<>();
    private final Deque<Fate> fates = new ArrayDeque<>();
    private final Map<String, Made> batches = new LinkedHashMap<>();
    private final Map<String, List<String>> files = new LinkedHashMap<>();
    private final Map<String, Integer> retrieves = new HashMap<>();

    /**
     * Every call by operation name, in order: "upload", "create", "retrieve", "cancel", "cleanup",
     * "findCreated".
     */
    public final List<String> calls = Collections.synchronizedList(new ArrayList<>());

    public volatile int runningPolls = 1;

    private record Made(
            String id,
            String fileId,
            Map<String, String> metadata,
            List<String> ids,
            Fate fate,
            boolean[] cancelled) {}

    public ScriptedProvider(String name) {
        this(name, OPENAI_LIKE);
    }

    public ScriptedProvider(String name, RequestContract contract) {
        this.name = name;
        this.contract = contract;
    }

    /** Appends answers for the next creates, in order. */
    public synchronized ScriptedProvider creates(Create... answers) {
        creates.addAll(List.of(answers));
        return this;
    }

    /** Appends fates for the next batches created, in order. */
    public synchronized ScriptedProvider batches(Fate... next) {
        fates.addAll(List.of(next));
        return this;
    }

    /** Batches made, answered or not, in order of creation. */
    public synchronized List<String> batchIds() {
        return List.copyOf(batches.keySet());
    }

    /** The request ids a batch was made with. */
    public synchronized List<String> requestsOf(String batchId) {
        return batches.get(batchId).ids();
    }

    /** How many calls of {@code operation} were made. */
    public long count(String operation) {
        synchronized (calls) {
            return calls.stream().filter(operation::equals).count();
        }
    }

    @Override
    public String name() {
        return name;
    }

    private volatile java.time.Duration inputFileLifetime;
    private volatile java.time.Clock fileClock;
    private final Map<String, java.time.Instant> uploadedAt = new java.util.HashMap<>();

    /** The input file each create named, in order (null for an inline create). */
    public final List<String> createdFrom = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * Uploaded files are deleted {@code lifetime} after their upload, by {@code clock}: a create
     * naming one later fails with a 404, as a provider answers for a file it no longer has.
     */
    public ScriptedProvider filesLive(java.time.Duration lifetime, java.time.Clock clock) {
        this.inputFileLifetime = lifetime;
        this.fileClock = clock;
        return this;
    }

    @Override
    public java.util.Optional<java.time.Duration> inputFileLifetime() {
        return java.util.Optional.ofNullable(inputFileLifetime);
    }

    /** Batches as large as the largest provider takes (50,000 requests, 200 MB). */
    public static final IngestLimits LIMITS =
            new IngestLimits(50_000, 200 * IngestLimits.MB, 10 * 1024 * 1024, 20, 50_000);

    @Override
    public IngestLimits limits() {
        return LIMITS;
    }

    @Override
    public RequestContract contract() {
        return contract;
    }

    @Override
    public synchronized String upload(Payload payload) {
        calls.add("upload");
        String id = "file-" + (files.size() + 1);
        files.put(id, ids(payload));
        if (fileClock != null) {
            uploadedAt.put(id, fileClock.instant());
        }
        return id;
    }

    @Override
    public Submission submit(Payload payload, String endpoint, Map<String, String> metadata) {
        return create(upload(payload), payload, endpoint, metadata);
    }

    @Override
    public synchronized Submission create(
            String inputFileId, Payload payload, String endpoint, Map<String, String> metadata) {
        calls.add("create");
        createdFrom.add(inputFileId);
        if (inputFileLifetime != null
                && inputFileId != null
                && !fileClock
                        .instant()
                        .isBefore(uploadedAt.get(inputFileId).plus(inputFileLifetime))) {
            throw new ProviderException(
                    name + ": create batch: 404 file " + inputFileId + " not found",
                    404,
                    "not_found",
                    false,
                    null);
        }
        Create answer = creates.isEmpty() ? Create.CREATED : creates.poll();
        switch (answer) {
            case RATE_LIMITED ->
                    throw new ProviderException(
                            name + ": create batch: 429 rate_limit_exceeded",
                            429,
                            "rate_limit_exceeded",
                            true,
                            Duration.ofSeconds(30),
                            null);
            case TOKEN_LIMIT_EXCEEDED ->
                    throw new ProviderException(
                            name
                                    + ": create batch: enqueued token limit"
                                    + " reached; limit 2,000,000",
                            400,
                            "token_limit_exceeded",
                            false,
                            null,
                            new ProviderBusy(
                                    ProviderBusy.Reason.ENQUEUED_TOKENS,
                                    2_000_000L,
                                    "token_limit_exceeded"),
                            null);
            case INVALID ->
                    throw new ProviderException(
                            name + ": create batch: 400 invalid_request_error",
                            400,
                            "invalid_request_error",
                            false,
                            null);
            case CREATED, LOST_ANSWER, ON_DEMAND -> {}
        }
        String id = "batch-" + (batches.size() + 1);
        List<String> ids = files.containsKey(inputFileId) ? files.get(inputFileId) : ids(payload);
        batches.put(
                id,
                new Made(
                        id,
                        inputFileId,
                        Map.copyOf(metadata),
                        ids,
                        fates.isEmpty() ? Fate.ALL_SUCCEED : fates.poll(),
                        new boolean[1]));
        if (answer == Create.LOST_ANSWER) {
            throw new ProviderException(
                    name + ": create batch: 502 Bad Gateway (the batch was made)",
                    502,
                    null,
                    true,
                    null);
        }
        return answer == Create.ON_DEMAND
                ? Submission.onDemand(id, inputFileId, BatchState.RUNNING, "inline")
                : Submission.batch(id, inputFileId, BatchState.PENDING, "validating");
    }

    @Override
    public synchronized Reconciliation findCreated(CreationQuery q) {
        calls.add("findCreated");
        for (Made b : batches.values()) {
            if (!q.taken(b.id()) && b.metadata().equals(q.metadata())) {
                return Reconciliation.batch(b.id(), b.fileId(), "validating", "metadata matches");
            }
        }
        return Reconciliation.nothing("no batch carries this shard's metadata");
    }

    @Override
    public synchronized BatchView retrieve(String batchId) {
        calls.add("retrieve");
        Made b = batches.get(batchId);
        if (b == null) {
            throw new ProviderException(
                    name + ": retrieve " + batchId + ": 404 not found",
                    404,
                    "not_found",
                    false,
                    null);
        }
        int n = retrieves.merge(batchId, 1, Integer::sum);
        long total = b.ids().size();
        if (b.cancelled()[0]) {
            return new BatchView(
                    batchId,
                    BatchState.CANCELLED,
                    "cancelled",
                    new BatchCounts(total, 0, 0),
                    null,
                    null,
                    null);
        }
        if (n <= runningPolls) {
            return new BatchView(
                    batchId,
                    BatchState.RUNNING,
                    "in_progress",
                    new BatchCounts(total, 0, 0),
                    null,
                    null,
                    null);
        }
        return switch (b.fate()) {
            case ALL_SUCCEED ->
                    new BatchView(
                            batchId,
                            BatchState.COMPLETED,
                            "completed",
                            new BatchCounts(total, total, 0),
                            "out-" + batchId,
                            null,
                            null);
            case PARTIAL -> {
                long failed =
                        b.ids().stream()
                                .filter(i -> i.contains("limited") || i.contains("broken"))
                                .count();
                long lost = b.ids().stream().filter(i -> i.contains("lost")).count();
                yield new BatchView(
                        batchId,
                        BatchState.COMPLETED,
                        "completed",
                        new BatchCounts(total, total - failed - lost, failed),
                        "out-" + batchId,
                        "err-" + batchId,
                        null);
            }
            case EXPIRED ->
                    new BatchView(
                            batchId,
                            BatchState.EXPIRED,
                            "expired",
                            new BatchCounts(total, total / 2, 0),
                            "out-" + batchId,
                            "err-" + batchId,
                            null);
            case EXPIRED_IN_ITS_OWN_WORDS ->
                    new BatchView(
                            batchId,
                            BatchState.EXPIRED,
                            "window_closed",
                            BatchCounts.NONE,
                            "out-" + batchId,
                            null,
                            null);
            case CANCELLED_IN_ITS_OWN_WORDS ->
                    new BatchView(
                            batchId,
                            BatchState.CANCELLED,
                            "halted",
                            BatchCounts.NONE,
                            "out-" + batchId,
                            null,
                            null);
            case QUEUE_FULL ->
                    new BatchView(
                            batchId,
                            BatchState.FAILED,
                            "failed",
                            new BatchCounts(total, 0, 0),
                            null,
                            null,
                            "token_limit_exceeded",
                            new ProviderBusy(
                                    ProviderBusy.Reason.ENQUEUED_TOKENS,
                                    null,
                                    "token_limit_exceeded"));
        };
    }

    @Override
    public synchronized void cancel(String batchId) {
        calls.add("cancel");
        Made b = batches.get(batchId);
        if (b != null) {
            b.cancelled()[0] = true;
        }
    }

    @Override
    public void streamResults(BatchView batch, Consumer<LineResult> sink) {
        Made b;
        synchronized (this) {
            calls.add("results");
            b = batches.get(batch.batchId());
        }
        if (b.cancelled()[0]) {
            return; // cancelled before it ran: no line for any request
        }
        List<String> ids = b.ids();
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            LineResult line =
                    switch (b.fate()) {
                        case ALL_SUCCEED -> ok(id);
                        case EXPIRED ->
                                i < ids.size() / 2
                                        ? ok(id)
                                        : new LineResult(
                                                id,
                                                Outcome.EXPIRED,
                                                null,
                                                null,
                                                "{\"code\":\"batch_expired\",\"message\":\"This request could not be executed before"
                                                        + " the completion window expired.\"}",
                                                null,
                                                "batch_expired",
                                                null);
                        case PARTIAL ->
                                id.contains("lost")
                                        ? null
                                        : id.contains("limited")
                                                ? failed(id, 429, "rate_limit_exceeded")
                                                : id.contains("broken")
                                                        ? failed(id, 400, "invalid_request_error")
                                                        : ok(id);
                        case QUEUE_FULL -> null;
                        case EXPIRED_IN_ITS_OWN_WORDS, CANCELLED_IN_ITS_OWN_WORDS ->
                                i < ids.size() / 2 ? ok(id) : null;
                    };
            if (line != null) {
                sink.accept(line);
            }
        }
    }

    private static LineResult ok(String id) {
        return new LineResult(
                id,
                Outcome.SUCCEEDED,
                200,
                "{\"id\":\"resp-" + id + "\",\"body\":{\"ok\":true}}",
                null,
                new Usage(10, 0, 5),
                null,
                "gpt-4o-mini");
    }

    private static LineResult failed(String id, int status, String code) {
        return new LineResult(
                id,
                Outcome.FAILED,
                status,
                null,
                "{\"code\":\"" + code + "\",\"message\":\"scripted failure\"}",
                new Usage(0, 0, 0),
                code,
                null);
    }

    @Override
    public synchronized void cleanup(String inputFileId, String outputFileId, String errorFileId) {
        calls.add("cleanup");
        files.remove(inputFileId);
    }

    /** The ids of a payload's lines, read the way the provider reads an uploaded file. */
    private List<String> ids(Payload payload) {
        List<String> out = new ArrayList<>();
        try (BufferedReader r =
                new BufferedReader(new InputStreamReader(payload.open(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank()) {
                    out.add(JSON.readTree(line).path(contract.idField()).asText());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    name + ": reading the uploaded payload " + payload.name(), e);
        }
        return out;
    }

    /**
     * A chat-completions contract of the OpenAI shape, as far as the core's generic rules go:
     * {@code custom_id}, {@code method}, {@code url} and {@code body.model}; one endpoint and one
     * model a file.
     */
    public static final RequestContract OPENAI_LIKE =
            new RequestContract() {
                @Override
                public String idField() {
                    return "custom_id";
                }

                @Override
                public FileRules startFile() {
                    return new FileRules() {
                        private String model;

                        @Override
                        public void check(
                                long lineNumber,
                                String customId,
                                ObjectNode line,
                                ViolationSink out) {
                            JsonNode body = line.get("body");
                            if (!"POST".equals(line.path("method").asText())
                                    || body == null
                                    || !body.isObject()) {
                                out.add(
                                        new Violation(
                                                lineNumber,
                                                customId,
                                                "request_invalid",
                                                "line "
                                                        + lineNumber
                                                        + " ("
                                                        + customId
                                                        + ") needs \"method\":\"POST\" and an object \"body\""));
                                return;
                            }
                            String m = body.path("model").asText(null);
                            if (m == null) {
                                out.add(
                                        new Violation(
                                                lineNumber,
                                                customId,
                                                "model_missing",
                                                "line "
                                                        + lineNumber
                                                        + " ("
                                                        + customId
                                                        + ") has no body.model"));
                            } else if (model == null) {
                                model = m;
                            } else if (!model.equals(m)) {
                                out.add(
                                        new Violation(
                                                lineNumber,
                                                customId,
                                                "model_mixed",
                                                "line "
                                                        + lineNumber
                                                        + " ("
                                                        + customId
                                                        + ") uses "
                                                        + m
                                                        + " but the file's first line uses "
                                                        + model));
                            }
                        }

                        @Override
                        public String endpoint() {
                            return "/v1/chat/completions";
                        }

                        @Override
                        public String model() {
                            return model;
                        }

                        @Override
                        public JsonNode requestBody(ObjectNode line) {
                            JsonNode body = line.get("body");
                            return body == null ? JSON.createObjectNode() : body;
                        }
                    };
                }
            };

    /** The ids of the requests a batch was created with, as a set (for assertions). */
    public synchronized Set<String> allRequested() {
        Set<String> out = new java.util.LinkedHashSet<>();
        batches.values().forEach(b -> out.addAll(b.ids()));
        return out;
    }
}
