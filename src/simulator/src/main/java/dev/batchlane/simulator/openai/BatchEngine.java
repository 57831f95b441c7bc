package dev.batchlane.simulator.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Creates batches and moves them through their statuses. A batch advances one status per {@code
 * retrieveBatch} call once {@code stepDuration} has passed since its last transition, so tests
 * decide exactly when a batch moves by choosing when to poll and what the clock says.
 */
final class BatchEngine {
    static final Duration COMPLETION_WINDOW = Duration.ofHours(24);

    /** Output files are kept 30 days unless {@code output_expires_after} says otherwise. */
    static final Duration DEFAULT_OUTPUT_TTL = Duration.ofDays(30);

    /** The endpoints {@code CreateBatchRequest.endpoint} allows, in the spec's order. */
    static final Set<String> ENDPOINTS =
            Collections.unmodifiableSet(
                    new LinkedHashSet<>(
                            List.of(
                                    ResponseSynthesizer.RESPONSES,
                                    ResponseSynthesizer.CHAT,
                                    ResponseSynthesizer.EMBEDDINGS,
                                    ResponseSynthesizer.COMPLETIONS,
                                    ResponseSynthesizer.MODERATIONS,
                                    ResponseSynthesizer.IMAGE_GENERATIONS,
                                    ResponseSynthesizer.IMAGE_EDITS,
                                    ResponseSynthesizer.VIDEOS)));

    private static final Set<String> CREATE_FIELDS =
            Set.of(
                    "input_file_id",
                    "endpoint",
                    "completion_window",
                    "metadata",
                    "output_expires_after");
    private static final String EXPIRED_MESSAGE =
            "This request could not be executed before the completion window expired.";
    private static final String CANCELLED_MESSAGE =
            "This request could not be executed before the batch was cancelled.";

    private final FileStore files;
    private final Dialect dialect;
    private final FaultPlan faults;
    private final Clock clock;
    private final ObjectMapper mapper;
    private final long seed;
    private final Map<String, BatchRecord> batches = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private volatile Duration stepDuration;
    private volatile double cachedInputFraction;
    private volatile double fractionCompletedBeforeCancel;

    /**
     * Added to while a batch's monitor is held (a batch finishing), so it takes no lock of the
     * engine's: a create holds the engine's monitor and then reads each batch's, and the two orders
     * would deadlock.
     */
    private final java.util.concurrent.atomic.AtomicReference<KnownUsage> knownUsage =
            new java.util.concurrent.atomic.AtomicReference<>(KnownUsage.ZERO);

    BatchEngine(
            FileStore files,
            FaultPlan faults,
            Clock clock,
            ObjectMapper mapper,
            long seed,
            Duration stepDuration,
            double cachedInputFraction,
            double fractionCompletedBeforeCancel) {
        this(
                files,
                faults,
                clock,
                mapper,
                seed,
                stepDuration,
                cachedInputFraction,
                fractionCompletedBeforeCancel,
                Dialect.OPENAI);
    }

    BatchEngine(
            FileStore files,
            FaultPlan faults,
            Clock clock,
            ObjectMapper mapper,
            long seed,
            Duration stepDuration,
            double cachedInputFraction,
            double fractionCompletedBeforeCancel,
            Dialect dialect) {
        this.dialect = dialect;
        this.files = files;
        this.faults = faults;
        this.clock = clock;
        this.mapper = mapper;
        this.seed = seed;
        this.stepDuration = stepDuration;
        this.cachedInputFraction = cachedInputFraction;
        this.fractionCompletedBeforeCancel = fractionCompletedBeforeCancel;
    }

    /**
     * Validates a {@code CreateBatchRequest} as OpenAI does synchronously; the input file is
     * checked later.
     */
    BatchRecord create(JsonNode request) throws IOException {
        if (request == null || !request.isObject()) {
            throw ApiError.badRequest("The request body must be a JSON object.", null, null);
        }
        for (Iterator<String> names = request.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!dialect.createFields().contains(name)) {
                throw ApiError.badRequest(
                        "Unrecognized request argument supplied: " + name,
                        name,
                        "unknown_parameter");
            }
        }
        String inputFileId = requiredText(request, "input_file_id");
        String endpoint = requiredText(request, "endpoint");
        String window = requiredText(request, "completion_window");
        if (!dialect.endpoints().contains(endpoint)) {
            throw ApiError.invalidValue(
                    "endpoint",
                    "Invalid value for 'endpoint': '"
                            + endpoint
                            + "'. Supported values are: "
                            + String.join(", ", dialect.endpoints())
                            + ".");
        }
        if (!dialect.completionWindows().contains(window)) {
            throw ApiError.invalidValue(
                    "completion_window",
                    "Invalid value for 'completion_window': '"
                            + window
                            + "'. Supported values are: "
                            + String.join(
                                    ", ", new java.util.TreeSet<>(dialect.completionWindows()))
                            + ".");
        }
        Map<String, String> metadata = metadata(request.get("metadata"));
        Long outputTtl = outputExpiresAfter(request.get("output_expires_after"));
        return open(inputFileId, endpoint, window, metadata, outputTtl, null);
    }

    /**
     * Validates a Mistral {@code POST /v1/batch/jobs}: {@code input_files} (one file here), {@code
     * endpoint}, {@code model}, optional {@code metadata} and {@code timeout_hours}.
     */
    BatchRecord createJob(JsonNode request) throws IOException {
        if (request == null || !request.isObject()) {
            throw ApiError.badRequest("The request body must be a JSON object.", null, null);
        }
        Set<String> fields =
                Set.of("input_files", "endpoint", "model", "agent_id", "metadata", "timeout_hours");
        for (Iterator<String> names = request.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!fields.contains(name)) {
                throw new ApiError(
                        422,
                        "invalid_request_error",
                        "Extra inputs are not permitted: " + name,
                        name,
                        null);
            }
        }
        JsonNode inputs = request.get("input_files");
        if (inputs == null || !inputs.isArray() || inputs.isEmpty() || !inputs.get(0).isTextual()) {
            throw new ApiError(
                    422,
                    "invalid_request_error",
                    "input_files: a non-empty list of file ids is required",
                    "input_files",
                    null);
        }
        if (inputs.size() > 1) {
            throw ApiError.badRequest(
                    "This simulator runs one input file per job.", "input_files", null);
        }
        String endpoint = requiredText(request, "endpoint");
        if (!dialect.endpoints().contains(endpoint)) {
            throw new ApiError(
                    422,
                    "invalid_request_error",
                    "endpoint: '"
                            + endpoint
                            + "' is not one of "
                            + String.join(", ", dialect.endpoints()),
                    "endpoint",
                    null);
        }
        JsonNode model = request.get("model");
        if (model == null || !model.isTextual() || model.asText().isEmpty()) {
            throw ApiError.badRequest(
                    "A model (or an agent_id, which this simulator does not run) is required.",
                    "model",
                    null);
        }
        JsonNode hours = request.get("timeout_hours");
        long timeoutHours = 24;
        if (hours != null && !hours.isNull()) {
            if (!hours.canConvertToInt() || hours.asInt() < 1 || hours.asInt() > 168) {
                throw new ApiError(
                        422,
                        "invalid_request_error",
                        "timeout_hours must be an integer from 1 to 168",
                        "timeout_hours",
                        null);
            }
            timeoutHours = hours.asInt();
        }
        return open(
                inputs.get(0).asText(),
                endpoint,
                timeoutHours + "h",
                metadata(request.get("metadata")),
                null,
                model.asText());
    }

    private BatchRecord open(
            String inputFileId,
            String endpoint,
            String window,
            Map<String, String> metadata,
            Long outputTtl,
            String model)
            throws IOException {
        StoredFile input =
                files.get(inputFileId)
                        .orElseThrow(
                                () ->
                                        ApiError.badRequest(
                                                "Invalid 'input_file_id': '"
                                                        + inputFileId
                                                        + "'. File with ID '"
                                                        + inputFileId
                                                        + "' does not exist.",
                                                "input_file_id",
                                                "invalid_value"));
        if (!input.purpose().equals(dialect.purpose())) {
            throw ApiError.badRequest(
                    "Invalid 'input_file_id': '"
                            + inputFileId
                            + "' has purpose '"
                            + input.purpose()
                            + "'; a batch input file must have purpose '"
                            + dialect.purpose()
                            + "'.",
                    "input_file_id",
                    "invalid_value");
        }
        Path snapshot = files.snapshot(input);
        synchronized (this) {
            FaultPlan.ValidationFailure forced = faults.takeValidationFailure();
            long tokens = 0;
            Long limit = faults.enqueuedTokenLimit();
            if (limit != null) {
                String[] found = {null};
                tokens = promptTokens(snapshot, endpoint, found);
                long enqueued =
                        batches.values().stream().mapToLong(BatchRecord::enqueuedTokens).sum();
                if (enqueued + tokens > limit) {
                    String message =
                            "Enqueued token limit reached for "
                                    + (found[0] == null ? "the model" : found[0])
                                    + " in organization org-simulator. Limit: "
                                    + String.format(java.util.Locale.ROOT, "%,d", limit)
                                    + " enqueued tokens. Please try again once some in_progress batches have"
                                    + " been completed.";
                    if (faults.refuseOverLimitAtCreate()) {
                        Files.deleteIfExists(snapshot);
                        throw ApiError.badRequest(message, null, "token_limit_exceeded");
                    }
                    if (forced == null) {
                        forced = new FaultPlan.ValidationFailure("token_limit_exceeded", message);
                    }
                    tokens = 0; // a batch failed for the limit holds no place in the queue
                }
            }
            BatchRecord batch =
                    new BatchRecord(
                            dialect == Dialect.MISTRAL ? Ids.uuid() : Ids.batch(),
                            endpoint,
                            inputFileId,
                            window,
                            metadata,
                            clock.instant(),
                            outputTtl,
                            sequence.incrementAndGet(),
                            faults.takeExpiry(),
                            forced,
                            snapshot,
                            dialect,
                            model);
            batch.tokens = tokens;
            batches.put(batch.id, batch);
            return batch;
        }
    }

    /** The prompt tokens of a batch's lines, counted as its results will report them. */
    private long promptTokens(Path snapshot, String endpoint, String[] model) throws IOException {
        long sum = 0;
        try (java.io.BufferedReader r = Files.newBufferedReader(snapshot)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    JsonNode body = mapper.readTree(line).path("body");
                    if (model[0] == null && body.path("model").isTextual()) {
                        model[0] = body.path("model").asText();
                    }
                    sum += ResponseSynthesizer.promptTokens(endpoint, body);
                } catch (IOException | RuntimeException unreadable) {
                    // validation reports the line; it holds no tokens
                }
            }
        }
        return sum;
    }

    /** The batch, advanced first if its step time has come. */
    BatchRecord retrieve(String id) throws IOException {
        BatchRecord batch = find(id);
        advance(batch);
        return batch;
    }

    BatchRecord cancel(String id) {
        BatchRecord batch = find(id);
        Instant now = clock.instant();
        synchronized (batch) {
            switch (batch.status) {
                case VALIDATING, IN_PROGRESS, FINALIZING -> {
                    batch.cancelledFrom = batch.status;
                    batch.status = BatchStatus.CANCELLING;
                    batch.cancellingAt = now.getEpochSecond();
                    batch.lastTransition = now;
                }
                case CANCELLING -> {
                    // Cancelling twice is harmless, as it is on OpenAI.
                }
                case FAILED, COMPLETED, EXPIRED, CANCELLED ->
                        throw ApiError.badRequest(
                                "Cannot cancel a batch with status '" + batch.status.wire() + "'.",
                                null,
                                null);
            }
        }
        return batch;
    }

    /** All batches, newest first, as {@code listBatches} returns them. */
    List<BatchRecord> list() {
        return batches.values().stream()
                .sorted(Comparator.comparingLong((BatchRecord b) -> b.sequence).reversed())
                .toList();
    }

    Optional<BatchRecord> get(String id) {
        return Optional.ofNullable(batches.get(id));
    }

    KnownUsage knownUsage() {
        return knownUsage.get();
    }

    void setStepDuration(Duration stepDuration) {
        this.stepDuration = stepDuration;
    }

    void setCachedInputFraction(double fraction) {
        this.cachedInputFraction = fraction;
    }

    void setFractionCompletedBeforeCancel(double fraction) {
        this.fractionCompletedBeforeCancel = fraction;
    }

    synchronized void clear() {
        batches.clear();
        knownUsage.set(KnownUsage.ZERO);
    }

    private BatchRecord find(String id) {
        BatchRecord batch = batches.get(id);
        if (batch == null) {
            throw ApiError.notFound("No batch found with id '" + id + "'.", "batch_id");
        }
        return batch;
    }

    private void advance(BatchRecord batch) throws IOException {
        Instant now = clock.instant();
        synchronized (batch) {
            if (batch.status.terminal() || now.isBefore(batch.lastTransition.plus(stepDuration))) {
                return;
            }
            long t = now.getEpochSecond();
            boolean windowClosed = t >= batch.expiresAt && dialect.expiresAtWindowEnd();
            switch (batch.status) {
                case VALIDATING -> {
                    if (windowClosed) {
                        finish(batch, BatchStatus.EXPIRED, null, t);
                    } else {
                        validate(batch, t);
                    }
                }
                case IN_PROGRESS -> {
                    if (batch.plannedExpiry != null || windowClosed) {
                        double done = batch.plannedExpiry == null ? 0 : batch.plannedExpiry;
                        finish(
                                batch,
                                BatchStatus.EXPIRED,
                                run(batch, done, "batch_expired", EXPIRED_MESSAGE),
                                t);
                    } else {
                        batch.pending = run(batch, 1.0, null, null);
                        batch.completed = batch.pending.succeeded();
                        batch.failed = batch.pending.failed();
                        batch.status = BatchStatus.FINALIZING;
                        batch.finalizingAt = t;
                    }
                }
                case FINALIZING -> finish(batch, BatchStatus.COMPLETED, batch.pending, t);
                case CANCELLING -> {
                    BatchResults results =
                            switch (batch.cancelledFrom) {
                                case IN_PROGRESS ->
                                        run(
                                                batch,
                                                fractionCompletedBeforeCancel,
                                                "batch_cancelled",
                                                CANCELLED_MESSAGE);
                                case FINALIZING -> batch.pending;
                                default -> null;
                            };
                    finish(batch, BatchStatus.CANCELLED, results, t);
                }
                default ->
                        throw new IllegalStateException(
                                "batch " + batch.id + " cannot advance from " + batch.status);
            }
            batch.lastTransition = now;
        }
    }

    private void validate(BatchRecord batch, long t) throws IOException {
        InputFile input = InputFile.validate(batch.inputSnapshot, batch.endpoint, mapper, dialect);
        List<BatchError> errors = input.errors();
        if (errors.isEmpty() && batch.forcedValidationFailure != null) {
            errors =
                    List.of(
                            new BatchError(
                                    batch.forcedValidationFailure.code(),
                                    batch.forcedValidationFailure.message(),
                                    null,
                                    null));
        }
        if (!errors.isEmpty()) {
            batch.errors = errors;
            batch.status = BatchStatus.FAILED;
            batch.failedAt = t;
            dropInput(batch);
            return;
        }
        batch.input = input;
        if (batch.model == null) {
            batch.model = input.model();
        }
        batch.total = input.size();
        batch.status = BatchStatus.IN_PROGRESS;
        batch.inProgressAt = t;
    }

    /**
     * Runs the batch's lines in a seeded shuffled order — OpenAI does not keep input order, and
     * clients must not rely on it — executing the first {@code fractionDone} of them and writing
     * the rest to the error file as not executed, with {@code unfinishedCode}.
     */
    private BatchResults run(
            BatchRecord batch, double fractionDone, String unfinishedCode, String unfinishedMessage)
            throws IOException {
        InputFile input = batch.input;
        int n = input.size();
        int[] order = shuffledOrder(n);
        int executed = (int) Math.round(n * fractionDone);
        long created = clock.instant().getEpochSecond();
        double cachedFraction = cachedInputFraction;
        Path outputPath = files.newTempFile("output-");
        Path errorPath = files.newTempFile("error-");
        int succeeded = 0;
        int failed = 0;
        KnownUsage usage = KnownUsage.ZERO;
        FaultPlan.ResultDamage damage = faults.takeResultDamage();
        try (FileChannel channel = FileChannel.open(input.path(), StandardOpenOption.READ);
                LineWriter output = new LineWriter(outputPath, damage);
                LineWriter errors = new LineWriter(errorPath, damage)) {
            for (int k = 0; k < n; k++) {
                JsonNode line = mapper.readTree(input.line(channel, order[k]));
                String customId = line.get("custom_id").asText();
                if (k >= executed) {
                    errors.write(unfinishedLine(customId, unfinishedCode, unfinishedMessage));
                    continue;
                }
                JsonNode body = line.get("body");
                if (dialect == Dialect.MISTRAL
                        && body.isObject()
                        && !body.has("model")
                        && batch.model != null) {
                    // Mistral takes the model from the job when a line does not name it.
                    body = ((ObjectNode) body.deepCopy()).put("model", batch.model);
                }
                String endpoint = Dialect.canonical(batch.endpoint);
                FaultPlan.LineFailure failure =
                        faults.lineFailure(customId)
                                .orElse(ResponseSynthesizer.check(endpoint, body));
                if (failure != null) {
                    errors.write(failedLine(customId, failure));
                    failed++;
                } else {
                    ResponseSynthesizer.Result result =
                            ResponseSynthesizer.respond(
                                    endpoint, customId, body, created, cachedFraction);
                    output.write(succeededLine(customId, result.body()));
                    usage = usage.plus(result.usage());
                    succeeded++;
                }
            }
            return new BatchResults(
                    outputPath,
                    output.lines,
                    output.bytes,
                    errorPath,
                    errors.lines,
                    errors.bytes,
                    succeeded,
                    failed,
                    usage);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(outputPath);
            Files.deleteIfExists(errorPath);
            throw e;
        }
    }

    /** Moves a batch to a terminal status, publishing its result files (if any) as OpenAI files. */
    private void finish(BatchRecord batch, BatchStatus status, BatchResults results, long t)
            throws IOException {
        if (results != null) {
            long ttl =
                    batch.outputExpiresAfterSeconds != null
                            ? batch.outputExpiresAfterSeconds
                            : DEFAULT_OUTPUT_TTL.toSeconds();
            batch.outputFileId =
                    publish(
                            results.outputPath(),
                            results.outputLines(),
                            results.outputBytes(),
                            batch.id + "_output.jsonl",
                            t,
                            ttl);
            batch.errorFileId =
                    publish(
                            results.errorPath(),
                            results.errorLines(),
                            results.errorBytes(),
                            batch.id + "_error.jsonl",
                            t,
                            ttl,
                            dialect.alwaysPublishesErrorFile());
            batch.completed = results.succeeded();
            batch.failed = results.failed();
            batch.usage = results.usage();
            knownUsage.updateAndGet(u -> u.plus(results.usage()));
        }
        batch.pending = null;
        batch.status = status;
        switch (status) {
            case COMPLETED -> batch.completedAt = t;
            case EXPIRED -> batch.expiredAt = t;
            case CANCELLED -> batch.cancelledAt = t;
            default -> throw new IllegalStateException(status + " is not a finishing status");
        }
        dropInput(batch);
    }

    /** Registers a result file, or deletes it and returns null when it has no lines. */
    private String publish(Path path, int lines, long bytes, String filename, long t, long ttl)
            throws IOException {
        return publish(path, lines, bytes, filename, t, ttl, false);
    }

    /**
     * With {@code evenEmpty}, a file without lines is published too, as Azure does with error
     * files.
     */
    private String publish(
            Path path, int lines, long bytes, String filename, long t, long ttl, boolean evenEmpty)
            throws IOException {
        if (lines == 0 && !evenEmpty) {
            Files.deleteIfExists(path);
            return null;
        }
        return files.register(path, filename, "batch_output", bytes, t, t + ttl).id();
    }

    private void dropInput(BatchRecord batch) throws IOException {
        batch.input = null;
        if (batch.inputSnapshot != null) {
            Files.deleteIfExists(batch.inputSnapshot);
            batch.inputSnapshot = null;
        }
    }

    private int[] shuffledOrder(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random random = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    private static ObjectNode succeededLine(String customId, ObjectNode body) {
        ObjectNode line = newLine(customId);
        ObjectNode response = line.putObject("response");
        response.put("status_code", 200);
        response.put("request_id", Ids.request());
        response.set("body", body);
        line.putNull("error");
        return line;
    }

    private static ObjectNode failedLine(String customId, FaultPlan.LineFailure failure) {
        ObjectNode line = newLine(customId);
        ObjectNode response = line.putObject("response");
        response.put("status_code", failure.status());
        response.put("request_id", Ids.request());
        ObjectNode error = response.putObject("body").putObject("error");
        error.put("message", failure.message());
        error.put("type", ApiError.typeFor(failure.status()));
        error.put("param", failure.param());
        error.put("code", failure.code());
        line.putNull("error");
        return line;
    }

    private static ObjectNode unfinishedLine(String customId, String code, String message) {
        ObjectNode line = newLine(customId);
        line.putNull("response");
        line.putObject("error").put("code", code).put("message", message);
        return line;
    }

    private static ObjectNode newLine(String customId) {
        ObjectNode line = JsonNodeFactory.instance.objectNode();
        line.put("id", Ids.batchRequest());
        line.put("custom_id", customId);
        return line;
    }

    private static String requiredText(JsonNode request, String field) {
        JsonNode value = request.get(field);
        if (value == null || value.isNull() || (value.isTextual() && value.asText().isEmpty())) {
            throw ApiError.missing(field);
        }
        if (!value.isTextual()) {
            throw ApiError.invalidValue(
                    field, "Invalid type for '" + field + "': expected a string.");
        }
        return value.asText();
    }

    /**
     * Metadata: at most 16 pairs, keys up to 64 and values up to 512 characters (spec Metadata).
     */
    private static Map<String, String> metadata(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw ApiError.invalidValue(
                    "metadata", "Invalid type for 'metadata': expected an object.");
        }
        if (node.size() > 16) {
            throw ApiError.invalidValue(
                    "metadata",
                    "Invalid 'metadata': too many properties. Expected at most 16, got "
                            + node.size()
                            + ".");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (entry.getKey().length() > 64) {
                throw ApiError.invalidValue(
                        "metadata",
                        "Invalid 'metadata': key '"
                                + entry.getKey()
                                + "' is longer than 64 characters.");
            }
            if (!entry.getValue().isTextual()) {
                throw ApiError.invalidValue(
                        "metadata",
                        "Invalid 'metadata': the value of '"
                                + entry.getKey()
                                + "' must be a string.");
            }
            if (entry.getValue().asText().length() > 512) {
                throw ApiError.invalidValue(
                        "metadata",
                        "Invalid 'metadata': the value of '"
                                + entry.getKey()
                                + "' is longer than 512 characters.");
            }
            metadata.put(entry.getKey(), entry.getValue().asText());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static Long outputExpiresAfter(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()
                || !"created_at".equals(node.path("anchor").asText())
                || !node.path("seconds").canConvertToLong()) {
            throw ApiError.invalidValue(
                    "output_expires_after",
                    "Invalid 'output_expires_after': expected {\"anchor\": \"created_at\", \"seconds\": <int>}.");
        }
        long seconds = node.path("seconds").asLong();
        FileStore.checkExpirySeconds(seconds, "output_expires_after.seconds");
        return seconds;
    }

    /** Writes JSONL lines through a buffer, counting lines and bytes for the file's metadata. */
    private final class LineWriter implements AutoCloseable {
        private final OutputStream out;
        int lines;
        long bytes;

        private final FaultPlan.ResultDamage damage;

        LineWriter(Path path, FaultPlan.ResultDamage damage) throws IOException {
            this.out = new BufferedOutputStream(Files.newOutputStream(path), 64 * 1024);
            this.damage = damage;
        }

        void write(ObjectNode line) throws IOException {
            String customId = line.path("custom_id").asText();
            if (damage != null && damage.missing().contains(customId)) {
                // Counted as done, yet its line never reaches the file, as in the field.
                return;
            }
            byte[] json = mapper.writeValueAsBytes(line);
            if (damage != null && damage.unreadable().contains(customId)) {
                // Cut mid-document: no reader can take the custom_id from it with confidence.
                json = java.util.Arrays.copyOf(json, Math.max(1, json.length / 3));
            }
            out.write(json);
            out.write('\n');
            lines++;
            bytes += json.length + 1;
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
