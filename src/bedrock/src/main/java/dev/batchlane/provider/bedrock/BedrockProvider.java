package dev.batchlane.provider.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.FailureKind;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.provider.Usage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.bedrock.BedrockClient;
import software.amazon.awssdk.services.bedrock.model.CreateModelInvocationJobResponse;
import software.amazon.awssdk.services.bedrock.model.GetModelInvocationJobResponse;
import software.amazon.awssdk.services.bedrock.model.ModelInvocationJobStatus;
import software.amazon.awssdk.services.bedrock.model.ModelInvocationJobSummary;
import software.amazon.awssdk.services.bedrock.model.SortOrder;
import software.amazon.awssdk.services.bedrock.model.Tag;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Amazon Bedrock batch inference on the lane's own bucket. A staged shard is copied server-side to
 * {@code <input prefix><job name>/} (the "upload"), a model invocation job reads it there and
 * writes {@code <output prefix><job name>/<bedrock job id>/<file>.jsonl.out} and {@code
 * manifest.json.out}; results are joined by {@code recordId}. A shard below the model's minimum
 * records per job cannot be a batch job: it runs through bedrock-runtime instead ({@link
 * OnDemandRun}), in the same output format, so results and cleanup are one path.
 */
public final class BedrockProvider implements BatchProvider {
    private static final System.Logger LOG = System.getLogger(BedrockProvider.class.getName());
    static final ObjectMapper JSON = new ObjectMapper();

    /** Batch ids of shards that run on demand start with this; real ones are job ARNs. */
    static final String ON_DEMAND = "ondemand|";

    static final String JOB_NAME_PREFIX = "batchlane-";
    private static final Set<ModelInvocationJobStatus> ACTIVE =
            EnumSet.of(
                    ModelInvocationJobStatus.SUBMITTED,
                    ModelInvocationJobStatus.VALIDATING,
                    ModelInvocationJobStatus.SCHEDULED,
                    ModelInvocationJobStatus.IN_PROGRESS,
                    ModelInvocationJobStatus.STOPPING);

    private final BedrockConfig config;
    private final BedrockClient bedrock;
    private final S3Client s3;
    private final OnDemandRun onDemand;
    private final BedrockContract contract;
    private final java.time.Clock clock;

    public BedrockProvider(
            BedrockConfig config,
            BedrockClient bedrock,
            BedrockRuntimeClient runtime,
            S3Client s3) {
        this(config, bedrock, runtime, s3, java.time.Clock.systemUTC());
    }

    /**
     * @param clock tells an on-demand step how much of its {@link
     *     BedrockConfig#onDemandStepBudget()} is left before each call
     */
    BedrockProvider(
            BedrockConfig config,
            BedrockClient bedrock,
            BedrockRuntimeClient runtime,
            S3Client s3,
            java.time.Clock clock) {
        this.clock = clock;
        this.config = config;
        this.bedrock = bedrock;
        this.s3 = s3;
        this.onDemand = new OnDemandRun(config, runtime, s3);
        this.contract = new BedrockContract(config.quotas(), config.defaultModel());
    }

    @Override
    public String name() {
        return "bedrock";
    }

    @Override
    public RequestContract contract() {
        return contract;
    }

    @Override
    public IngestLimits limits() {
        long bytes = config.quotas().maxBytesPerShard();
        return new IngestLimits(
                config.quotas().maxRecordsPerShard(),
                bytes,
                (int) Math.min(10L * 1024 * 1024, bytes - 1),
                20);
    }

    @Override
    public Submission submit(Payload payload, String endpoint, Map<String, String> metadata) {
        return create(upload(payload), payload, endpoint, metadata);
    }

    /**
     * Puts the shard where Bedrock reads it: a server-side copy of the staged object when it is in
     * the bucket.
     */
    @Override
    public String upload(Payload payload) {
        String key = config.inputPrefix() + folderOf(payload.name()) + "/" + payload.name();
        try {
            if (payload.objectKey() != null) {
                s3.copyObject(
                        c ->
                                c.sourceBucket(config.bucket())
                                        .sourceKey(payload.objectKey())
                                        .destinationBucket(config.bucket())
                                        .destinationKey(key));
            } else {
                try (InputStream in = payload.open()) {
                    s3.putObject(
                            p ->
                                    p.bucket(config.bucket())
                                            .key(key)
                                            .contentType("application/jsonl"),
                            RequestBody.fromInputStream(in, payload.size()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "staged shard " + payload.name() + " could not be read", e);
        } catch (SdkException e) {
            throw failure("copy input to s3://" + config.bucket() + "/" + key, e);
        }
        return key;
    }

    @Override
    public Submission create(
            String inputKey, Payload payload, String endpoint, Map<String, String> metadata) {
        Target target = Target.parse(endpoint);
        int min = config.quotas().minRecordsPerJob();
        long records = countUpTo(inputKey, min);
        String jobName = jobName(metadata, payload.name());
        if (records < min) {
            if (!target.onDemandAllowed()) {
                throw new ProviderException(
                        "bedrock create "
                                + jobName
                                + " refused: "
                                + records
                                + " record(s) is below the quota 'Minimum number of records per batch inference job' ("
                                + min
                                + ") for "
                                + target.model()
                                + ", and the file's metadata says on-demand=never",
                        400,
                        "below_minimum_records",
                        false,
                        null);
            }
            LOG.log(
                    Level.INFO,
                    "{0}: {1} record(s) below the minimum of {2}; runs on demand",
                    jobName,
                    records,
                    min);
            return Submission.onDemand(
                    ON_DEMAND + target.type().wire() + "|" + target.model() + "|" + inputKey,
                    inputKey,
                    BatchState.RUNNING,
                    OnDemandRun.STATUS);
        }
        paceConcurrentJobs(jobName);
        if (config.roleArn().isEmpty()) {
            throw new ProviderException(
                    "bedrock create "
                            + jobName
                            + " refused: no service role configured"
                            + " (batchlane.bedrock.role-arn)",
                    0,
                    "role_missing",
                    false,
                    null);
        }
        try {
            CreateModelInvocationJobResponse created =
                    bedrock.createModelInvocationJob(
                            r ->
                                    r.jobName(jobName)
                                            .clientRequestToken(token(jobName, inputKey))
                                            .roleArn(config.roleArn())
                                            .modelId(target.model())
                                            .modelInvocationType(target.type().wire())
                                            .timeoutDurationInHours(config.timeoutHours())
                                            .inputDataConfig(
                                                    i ->
                                                            i.s3InputDataConfig(
                                                                    s ->
                                                                            s.s3Uri(uri(inputKey))
                                                                                    .s3InputFormat(
                                                                                            "JSONL")))
                                            .outputDataConfig(
                                                    o ->
                                                            o.s3OutputDataConfig(
                                                                    s ->
                                                                            s.s3Uri(
                                                                                    uri(
                                                                                            outputFolder(
                                                                                                    jobName)))))
                                            .tags(
                                                    Tag.builder()
                                                            .key("batchlane:job")
                                                            .value(
                                                                    metadata.getOrDefault(
                                                                            "batchlane_job_id", ""))
                                                            .build(),
                                                    Tag.builder()
                                                            .key("batchlane:shard")
                                                            .value(
                                                                    metadata.getOrDefault(
                                                                            "batchlane_shard", ""))
                                                            .build()));
            LOG.log(Level.DEBUG, "created model invocation job {0}", created.jobArn());
            return Submission.batch(
                    created.jobArn(),
                    inputKey,
                    BatchState.PENDING,
                    ModelInvocationJobStatus.SUBMITTED.toString());
        } catch (SdkException e) {
            throw failure("createModelInvocationJob " + jobName, e);
        }
    }

    /**
     * Jobs submitted or running count against a per-account quota: creating one more would be
     * refused, so the shard is held back (a retryable "not now") until one ends.
     */
    private void paceConcurrentJobs(String jobName) {
        int active = 0;
        try {
            for (ModelInvocationJobSummary s :
                    bedrock.listModelInvocationJobsPaginator(
                                    r ->
                                            r.nameContains(JOB_NAME_PREFIX)
                                                    .sortOrder(SortOrder.DESCENDING)
                                                    .maxResults(100))
                            .invocationJobSummaries()) {
                if (ACTIVE.contains(s.status())
                        && ++active >= config.quotas().maxConcurrentJobs()) {
                    throw new ProviderException(
                            "bedrock create "
                                    + jobName
                                    + " held back: "
                                    + active
                                    + " jobs already submitted or in progress (quota "
                                    + config.quotas().maxConcurrentJobs()
                                    + ")",
                            429,
                            "concurrent_jobs",
                            true,
                            null);
                }
            }
        } catch (SdkException e) {
            throw failure("listModelInvocationJobs", e);
        }
    }

    /**
     * Both creating calls are idempotent, so there is nothing to look for: the upload writes the
     * shard to a key fixed by its name, and the job is created with a {@code clientRequestToken}
     * fixed by the job name and input key, for which Bedrock answers the job it already made.
     */
    @Override
    public boolean creationIsIdempotent() {
        return true;
    }

    @Override
    public Reconciliation findCreated(CreationQuery query) {
        return Reconciliation.nothing(
                "bedrock creations are idempotent (input key and clientRequestToken fixed by "
                        + query.payload().name()
                        + "): made again, they answer what the first call made");
    }

    @Override
    public BatchView retrieve(String batchId) {
        if (batchId.startsWith(ON_DEMAND)) {
            return onDemand.step(batchId, clock.instant().plus(config.onDemandStepBudget()), clock);
        }
        GetModelInvocationJobResponse job;
        try {
            job = bedrock.getModelInvocationJob(r -> r.jobIdentifier(batchId));
        } catch (SdkException e) {
            throw failure("getModelInvocationJob " + batchId, e);
        }
        BatchState state = stateOf(job.status(), batchId, job.statusAsString());
        long total = nz(job.totalRecordCount());
        BatchCounts counts =
                new BatchCounts(total, nz(job.successRecordCount()), nz(job.errorRecordCount()));
        String output = null;
        if (state.terminal()
                && job.outputDataConfig() != null
                && job.outputDataConfig().s3OutputDataConfig() != null) {
            output =
                    keyOf(job.outputDataConfig().s3OutputDataConfig().s3Uri())
                            + jobId(batchId)
                            + "/";
        }
        String error =
                state == BatchState.FAILED
                        ? "Bedrock job "
                                + jobId(batchId)
                                + " failed: "
                                + (job.message() == null ? "no message" : job.message())
                        : null;
        return new BatchView(batchId, state, job.statusAsString(), counts, output, null, error);
    }

    /**
     * Every Bedrock status in one place; a status this SDK does not know is an error, not a guess.
     */
    static BatchState stateOf(ModelInvocationJobStatus status, String batchId, String raw) {
        if (status == null) {
            throw new ProviderException(
                    "bedrock getModelInvocationJob " + batchId + ": no status",
                    200,
                    "unknown_status",
                    true,
                    null);
        }
        return switch (status) {
            case SUBMITTED, VALIDATING, SCHEDULED -> BatchState.PENDING;
            case IN_PROGRESS -> BatchState.RUNNING;
            case COMPLETED -> BatchState.COMPLETED;
            // The job's timeout closed its window with some records done: the lane's "expired".
            // Records not processed in time have no output line: the join calls them missing and
            // resubmits them.
            case PARTIALLY_COMPLETED -> BatchState.EXPIRED;
            case FAILED -> BatchState.FAILED;
            case STOPPING -> BatchState.CANCELLING;
            case STOPPED -> BatchState.CANCELLED;
            case EXPIRED -> BatchState.EXPIRED;
            case UNKNOWN_TO_SDK_VERSION ->
                    throw new ProviderException(
                            "bedrock getModelInvocationJob "
                                    + batchId
                                    + " has unknown status '"
                                    + raw
                                    + "'",
                            200,
                            "unknown_status",
                            false,
                            null);
        };
    }

    @Override
    public void streamResults(BatchView batch, Consumer<LineResult> sink) {
        if (batch.outputFileId() == null) {
            return;
        }
        long lines = 0;
        Usage usage = Usage.ZERO;
        for (String key : list(batch.outputFileId())) {
            if (!key.endsWith(".jsonl.out")) {
                continue;
            }
            try (InputStream in = s3.getObject(g -> g.bucket(config.bucket()).key(key));
                    BufferedReader reader =
                            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                long number = 0;
                while ((line = reader.readLine()) != null) {
                    number++;
                    if (!line.isBlank()) {
                        LineResult r;
                        try {
                            r = toResult(JSON.readTree(line));
                        } catch (com.fasterxml.jackson.core.JsonProcessingException garbled) {
                            // As for every provider (ProviderHttp#streamLines): one garbled line
                            // must not hold back the others; its record is joined as having no
                            // result. Its text (a model's answer) is never logged.
                            LOG.log(
                                    Level.WARNING,
                                    "bedrock results {0}: line {1} is not readable JSON; skipped",
                                    key,
                                    number);
                            continue;
                        }
                        lines++;
                        if (r.usage() != null) {
                            usage = usage.plus(r.usage());
                        }
                        sink.accept(r);
                    }
                }
            } catch (IOException e) {
                throw new ProviderException(
                        "bedrock results " + key + " failed: io_error", 0, "io_error", true, e);
            } catch (SdkException e) {
                throw failure("results " + key, e);
            }
        }
        checkManifest(batch, lines, usage);
    }

    /**
     * The manifest is Bedrock's own bill of the job. The lane bills per record (each result line's
     * usage); a manifest that disagrees is logged so the difference is seen, never silently priced.
     */
    private void checkManifest(BatchView batch, long lines, Usage usage) {
        Manifest m = manifest(batch.outputFileId());
        if (m == null) {
            return;
        }
        if (m.processed() != lines
                || m.inputTokens() != usage.inputTokens()
                || m.outputTokens() != usage.outputTokens()) {
            LOG.log(
                    Level.WARNING,
                    "bedrock job {0}: manifest.json.out says {1} records, {2} input and {3} output tokens;"
                            + " the result lines say {4}, {5} and {6}",
                    batch.batchId(),
                    m.processed(),
                    m.inputTokens(),
                    m.outputTokens(),
                    lines,
                    usage.inputTokens(),
                    usage.outputTokens());
        }
    }

    /** {@code manifest.json.out} of a job's output folder, or null when there is none yet. */
    public Manifest manifest(String outputFolder) {
        try (InputStream in =
                s3.getObject(
                        g -> g.bucket(config.bucket()).key(outputFolder + "manifest.json.out"))) {
            JsonNode n = JSON.readTree(in);
            return new Manifest(
                    n.path("totalRecordCount").asLong(),
                    n.path("processedRecordCount").asLong(),
                    n.path("successRecordCount").asLong(),
                    n.path("errorRecordCount").asLong(),
                    n.path("inputTokenCount").asLong(),
                    n.path("outputTokenCount").asLong());
        } catch (NoSuchKeyException e) {
            return null;
        } catch (IOException | SdkException e) {
            LOG.log(
                    Level.WARNING,
                    "manifest.json.out under {0} could not be read: {1}",
                    outputFolder,
                    e.getMessage());
            return null;
        }
    }

    /** Bedrock's summary of one job's output. */
    public record Manifest(
            long total,
            long processed,
            long succeeded,
            long errors,
            long inputTokens,
            long outputTokens) {}

    /**
     * One output record: {@code modelOutput} (either format) or {@code error {errorCode,
     * errorMessage}}.
     */
    static LineResult toResult(JsonNode line) {
        String id = line.path("recordId").asText(null);
        JsonNode output = line.get("modelOutput");
        if (output != null && output.isObject()) {
            return new LineResult(
                    id, Outcome.SUCCEEDED, 200, output.toString(), null, usageOf(output));
        }
        JsonNode error = line.path("error");
        Integer code =
                error.path("errorCode").canConvertToInt() ? error.path("errorCode").asInt() : null;
        // Bedrock's errorCode is an HTTP status (429 throttled, 5xx service trouble, 4xx the
        // record's own fault): read as any HTTP API's. A record with neither output nor error is
        // final: nothing says another run would differ.
        return new LineResult(
                id,
                Outcome.FAILED,
                code,
                null,
                error.isMissingNode()
                        ? "{\"errorMessage\":\"Bedrock wrote neither modelOutput nor error\"}"
                        : error.toString(),
                null,
                null,
                null,
                FailureKind.ofHttpStatus(code));
    }

    /**
     * Converse ({@code usage.inputTokens}) and Anthropic's native body ({@code usage.input_tokens})
     * alike.
     */
    static Usage usageOf(JsonNode output) {
        JsonNode u = output.path("usage");
        if (u.has("inputTokens") || u.has("outputTokens")) {
            long cacheRead = u.path("cacheReadInputTokens").asLong(0);
            return new Usage(
                    u.path("inputTokens").asLong(0)
                            + cacheRead
                            + u.path("cacheWriteInputTokens").asLong(0),
                    cacheRead,
                    u.path("outputTokens").asLong(0));
        }
        long cacheRead = u.path("cache_read_input_tokens").asLong(0);
        return new Usage(
                u.path("input_tokens").asLong(0)
                        + cacheRead
                        + u.path("cache_creation_input_tokens").asLong(0),
                cacheRead,
                u.path("output_tokens").asLong(0));
    }

    @Override
    public void cancel(String batchId) {
        if (batchId.startsWith(ON_DEMAND)) {
            // Nothing runs between polls: the marker makes the next step start no call and end the
            // run CANCELLED with the lines already written, which are joined.
            onDemand.cancel(batchId);
            return;
        }
        try {
            bedrock.stopModelInvocationJob(r -> r.jobIdentifier(batchId));
        } catch (SdkException e) {
            throw failure("stopModelInvocationJob " + batchId, e);
        }
    }

    /**
     * Deletes the input copy and everything under the job's output folder; gone already is fine.
     */
    @Override
    public void cleanup(String inputFileId, String outputFileId, String errorFileId) {
        List<String> keys = new ArrayList<>();
        if (inputFileId != null) {
            keys.add(inputFileId);
        }
        if (outputFileId != null) {
            // The whole folder of the job name: Bedrock's <job id>/ and anything else it wrote
            // there.
            String folder =
                    outputFileId.startsWith(config.outputPrefix())
                            ? outputFileId.substring(
                                    0,
                                    outputFileId.indexOf('/', config.outputPrefix().length()) + 1)
                            : outputFileId;
            keys.addAll(list(folder));
        }
        for (String key : keys) {
            try {
                s3.deleteObject(d -> d.bucket(config.bucket()).key(key));
            } catch (SdkException e) {
                throw failure("delete s3://" + config.bucket() + "/" + key, e);
            }
        }
    }

    private List<String> list(String prefix) {
        try {
            List<String> keys = new ArrayList<>();
            for (S3Object o :
                    s3.listObjectsV2Paginator(l -> l.bucket(config.bucket()).prefix(prefix))
                            .contents()) {
                keys.add(o.key());
            }
            return keys;
        } catch (SdkException e) {
            throw failure("list s3://" + config.bucket() + "/" + prefix, e);
        }
    }

    /**
     * Reads at most {@code limit} records: enough to know whether a shard reaches the minimum,
     * never the whole file.
     */
    private long countUpTo(String key, int limit) {
        try (InputStream in = s3.getObject(g -> g.bucket(config.bucket()).key(key));
                BufferedReader reader =
                        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            long n = 0;
            String line;
            while (n < limit && (line = reader.readLine()) != null) {
                if (!line.isBlank()) {
                    n++;
                }
            }
            return n;
        } catch (IOException e) {
            throw new ProviderException(
                    "bedrock read input " + key + " failed: io_error", 0, "io_error", true, e);
        } catch (SdkException e) {
            throw failure("read input s3://" + config.bucket() + "/" + key, e);
        }
    }

    /** {@code batchlane-<job>-<shard>}, within Bedrock's 63 characters and its job-name pattern. */
    static String jobName(Map<String, String> metadata, String payloadName) {
        String job = metadata.get("batchlane_job_id");
        String shard = metadata.get("batchlane_shard");
        String name =
                job != null && shard != null
                        ? JOB_NAME_PREFIX + job + "-" + shard
                        : JOB_NAME_PREFIX + folderOf(payloadName);
        name = name.replaceAll("[^A-Za-z0-9-]", "-");
        return name.length() <= 63 ? name : name.substring(0, 63);
    }

    /**
     * Deterministic per shard attempt: a create repeated after a timeout returns the job the first
     * one made, so an ambiguous failure never starts a second job. A new input copy (a new attempt
     * after cleanup) gets a new token.
     */
    static String token(String jobName, String inputKey) {
        try {
            byte[] d =
                    MessageDigest.getInstance("SHA-256")
                            .digest((jobName + "\n" + inputKey).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }

    private static String folderOf(String payloadName) {
        return payloadName.endsWith(".jsonl")
                ? payloadName.substring(0, payloadName.length() - 6)
                : payloadName;
    }

    String outputFolder(String jobName) {
        return config.outputPrefix() + jobName + "/";
    }

    String uri(String key) {
        return "s3://" + config.bucket() + "/" + key;
    }

    private String keyOf(String s3Uri) {
        String rest = s3Uri.substring("s3://".length());
        String key = rest.substring(rest.indexOf('/') + 1);
        return key.endsWith("/") ? key : key + "/";
    }

    static String jobId(String jobArn) {
        return jobArn.substring(jobArn.lastIndexOf('/') + 1);
    }

    private static long nz(Long v) {
        return v == null ? 0 : v;
    }

    /**
     * An SDK failure as the core's exception; retryable when AWS says throttled, over quota or
     * broken.
     */
    static ProviderException failure(String operation, SdkException e) {
        if (e instanceof AwsServiceException a) {
            int status = a.statusCode();
            String code = a.awsErrorDetails() == null ? null : a.awsErrorDetails().errorCode();
            boolean retryable =
                    a.isThrottlingException()
                            || status == 429
                            || status >= 500
                            || "ServiceQuotaExceededException".equals(code);
            String message =
                    a.awsErrorDetails() == null
                            ? a.getMessage()
                            : a.awsErrorDetails().errorMessage();
            return new ProviderException(
                    "bedrock "
                            + operation
                            + " failed: "
                            + status
                            + " "
                            + code
                            + ": "
                            + (message != null && message.length() > 300
                                    ? message.substring(0, 300) + "…"
                                    : message),
                    status,
                    code,
                    retryable,
                    e);
        }
        boolean retryable = e instanceof SdkClientException;
        return new ProviderException(
                "bedrock "
                        + operation
                        + " failed: 0 "
                        + e.getClass().getSimpleName()
                        + ": "
                        + e.getMessage(),
                0,
                "io_error",
                retryable,
                e);
    }

    /**
     * The model, format and on-demand choice of a file, carried as its endpoint (see {@link
     * BedrockContract}).
     */
    record Target(String model, InvocationType type, boolean onDemandAllowed) {
        static Target parse(String endpoint) {
            if (endpoint == null || !endpoint.startsWith("/model/")) {
                throw new IllegalArgumentException(
                        "not a Bedrock endpoint: '" + endpoint + "'; expected /model/<id>/invoke");
            }
            String path = endpoint;
            boolean allowed = true;
            int q = path.indexOf('?');
            if (q >= 0) {
                allowed = !path.substring(q + 1).contains("on-demand=never");
                path = path.substring(0, q);
            }
            int slash = path.lastIndexOf('/');
            String verb = path.substring(slash + 1);
            InvocationType type =
                    switch (verb) {
                        case "converse" -> InvocationType.CONVERSE;
                        case "invoke" -> InvocationType.INVOKE_MODEL;
                        default ->
                                throw new IllegalArgumentException(
                                        "not a Bedrock endpoint: '" + endpoint + "'");
                    };
            return new Target(path.substring("/model/".length(), slash), type, allowed);
        }
    }
}
