package dev.batchlane.provider.bedrock;

import static dev.batchlane.provider.bedrock.BedrockFailures.failure;

import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.KeyRedaction;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Submission;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.bedrock.BedrockClient;
import software.amazon.awssdk.services.bedrock.model.CreateModelInvocationJobResponse;
import software.amazon.awssdk.services.bedrock.model.GetModelInvocationJobResponse;
import software.amazon.awssdk.services.bedrock.model.ModelInvocationJobStatus;
import software.amazon.awssdk.services.bedrock.model.ModelInvocationJobSummary;
import software.amazon.awssdk.services.bedrock.model.SortOrder;
import software.amazon.awssdk.services.bedrock.model.Tag;

/**
 * Bedrock's model invocation jobs: creating one (held back while the account's quota of running
 * jobs is full), reading one as the lane's {@link BatchView}, stopping one. Which shard becomes a
 * job and which runs on demand is the provider's decision, not this class's.
 */
final class BedrockJobs {
    // Logged under the adapter's name, as before the split, so operators' filters still match.
    private static final System.Logger LOG = System.getLogger(BedrockProvider.class.getName());

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
    private final BedrockBucket bucket;

    BedrockJobs(BedrockConfig config, BedrockClient bedrock, BedrockBucket bucket) {
        this.config = config;
        this.bedrock = bedrock;
        this.bucket = bucket;
    }

    Submission create(
            String jobName, ModelTarget target, String inputKey, Map<String, String> metadata) {
        paceConcurrentJobs(jobName);
        if (config.roleArn().isEmpty()) {
            throw ProviderException.notSent(
                    "bedrock create "
                            + jobName
                            + " refused: no service role configured"
                            + " (batchlane.bedrock.role-arn)",
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
                                                                            s.s3Uri(
                                                                                            bucket
                                                                                                    .uri(
                                                                                                            inputKey))
                                                                                    .s3InputFormat(
                                                                                            "JSONL")))
                                            .outputDataConfig(
                                                    o ->
                                                            o.s3OutputDataConfig(
                                                                    s ->
                                                                            s.s3Uri(
                                                                                    bucket.uri(
                                                                                            bucket
                                                                                                    .outputFolder(
                                                                                                            jobName)))))
                                            .tags(
                                                    tag(
                                                            "batchlane:job",
                                                            metadata,
                                                            "batchlane_job_id"),
                                                    tag(
                                                            "batchlane:shard",
                                                            metadata,
                                                            "batchlane_shard")));
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

    private static Tag tag(String key, Map<String, String> metadata, String metadataKey) {
        return Tag.builder().key(key).value(metadata.getOrDefault(metadataKey, "")).build();
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

    BatchView retrieve(String batchId) {
        GetModelInvocationJobResponse job;
        try {
            job = bedrock.getModelInvocationJob(r -> r.jobIdentifier(batchId));
        } catch (SdkException e) {
            throw failure("getModelInvocationJob " + batchId, e);
        }
        BatchState state = BedrockStatus.stateOf(job.status(), batchId, job.statusAsString());
        long total = nz(job.totalRecordCount());
        BatchCounts counts =
                new BatchCounts(total, nz(job.successRecordCount()), nz(job.errorRecordCount()));
        String output = null;
        if (state.terminal()
                && job.outputDataConfig() != null
                && job.outputDataConfig().s3OutputDataConfig() != null) {
            output =
                    BedrockBucket.keyOf(job.outputDataConfig().s3OutputDataConfig().s3Uri())
                            + jobId(batchId)
                            + "/";
        }
        String error =
                state == BatchState.FAILED
                        ? "Bedrock job "
                                + jobId(batchId)
                                + " failed: "
                                + (job.message() == null
                                        ? "no message"
                                        : KeyRedaction.redactKeys(job.message()))
                        : null;
        return new BatchView(batchId, state, job.statusAsString(), counts, output, null, error);
    }

    void stop(String batchId) {
        try {
            bedrock.stopModelInvocationJob(r -> r.jobIdentifier(batchId));
        } catch (SdkException e) {
            throw failure("stopModelInvocationJob " + batchId, e);
        }
    }

    /** {@code batchlane-<job>-<shard>}, within Bedrock's 63 characters and its job-name pattern. */
    static String jobName(Map<String, String> metadata, String payloadName) {
        String job = metadata.get("batchlane_job_id");
        String shard = metadata.get("batchlane_shard");
        String name =
                job != null && shard != null
                        ? JOB_NAME_PREFIX + job + "-" + shard
                        : JOB_NAME_PREFIX + BedrockBucket.folderOf(payloadName);
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

    static String jobId(String jobArn) {
        return jobArn.substring(jobArn.lastIndexOf('/') + 1);
    }

    private static long nz(Long v) {
        return v == null ? 0 : v;
    }
}
