package dev.batchlane.provider.bedrock;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.Submission;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.function.Consumer;
import software.amazon.awssdk.services.bedrock.BedrockClient;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Amazon Bedrock batch inference on the lane's own bucket. A staged shard is copied server-side to
 * {@code <input prefix><job name>/} (the "upload"), a model invocation job reads it there and
 * writes {@code <output prefix><job name>/<bedrock job id>/<file>.jsonl.out} and {@code
 * manifest.json.out}; results are joined by {@code recordId}. A shard below the model's minimum
 * records per job cannot be a batch job: it runs through bedrock-runtime instead ({@link
 * OnDemandRun}), in the same output format, so results and cleanup are one path.
 *
 * <p>This class decides which of the two a shard becomes; the bucket ({@link BedrockBucket}), the
 * jobs ({@link BedrockJobs}) and the output ({@link BedrockResults}) each do their own part.
 */
public final class BedrockProvider implements BatchProvider {
    private static final System.Logger LOG = System.getLogger(BedrockProvider.class.getName());
    static final ObjectMapper JSON = new ObjectMapper();

    /** Batch ids of shards that run on demand start with this; real ones are job ARNs. */
    static final String ON_DEMAND = "ondemand|";

    private final BedrockConfig config;
    private final BedrockBucket bucket;
    private final BedrockJobs jobs;
    private final BedrockResults results;
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
        this.bucket = new BedrockBucket(config, s3);
        this.jobs = new BedrockJobs(config, bedrock, bucket);
        this.results = new BedrockResults(bucket);
        this.onDemand = new OnDemandRun(config, runtime, s3);
        this.contract = new BedrockContract(config.quotas(), config.defaultModel());
    }

    @Override
    public String name() {
        return "bedrock";
    }

    /** The "upload" is a copy into the lane's own bucket, where no lifecycle rule expires it. */
    @Override
    public java.util.Optional<java.time.Duration> inputFileLifetime() {
        return java.util.Optional.empty();
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

    /** A server-side copy of the staged shard to where Bedrock reads it: {@link BedrockBucket}. */
    @Override
    public String upload(Payload payload) {
        return bucket.upload(payload);
    }

    /**
     * A shard that reaches the model's minimum records per job becomes a model invocation job; a
     * smaller one runs on demand unless its file forbids it.
     */
    @Override
    public Submission create(
            String inputKey, Payload payload, String endpoint, Map<String, String> metadata) {
        ModelTarget target = ModelTarget.parse(endpoint);
        int min = config.quotas().minRecordsPerJob();
        long records = bucket.countUpTo(inputKey, min);
        String jobName = BedrockJobs.jobName(metadata, payload.name());
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
        return jobs.create(jobName, target, inputKey, metadata);
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
        return jobs.retrieve(batchId);
    }

    @Override
    public void streamResults(BatchView batch, Consumer<LineResult> sink) {
        results.stream(batch, sink);
    }

    /** {@code manifest.json.out} of a job's output folder, or null when there is none yet. */
    public Manifest manifest(String outputFolder) {
        return results.manifest(outputFolder);
    }

    /** Bedrock's summary of one job's output. */
    public record Manifest(
            long total,
            long processed,
            long succeeded,
            long errors,
            long inputTokens,
            long outputTokens) {}

    @Override
    public void cancel(String batchId) {
        if (batchId.startsWith(ON_DEMAND)) {
            // Nothing runs between polls: the marker makes the next step start no call and end the
            // run CANCELLED with the lines already written, which are joined.
            onDemand.cancel(batchId);
            return;
        }
        jobs.stop(batchId);
    }

    /** The input copy and the job's output folder: {@link BedrockBucket#cleanup}. */
    @Override
    public void cleanup(String inputFileId, String outputFileId, String errorFileId) {
        bucket.cleanup(inputFileId, outputFileId);
    }
}
