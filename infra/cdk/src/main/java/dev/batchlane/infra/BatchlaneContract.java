package dev.batchlane.infra;

import java.util.List;

/**
 * The names the deployed functions and this infrastructure must agree on. The functions do not
 * depend on this module; these constants are the infrastructure's side of the agreement, and the
 * tests hold the synthesized template to them.
 */
public final class BatchlaneContract {

    private BatchlaneContract() {
    }

    /** The Lambda handler every function runs; the Quarkus handler is chosen by {@link #ENV_HANDLER}. */
    public static final String LAMBDA_HANDLER = "io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler::handleRequest";

    public static final String ENV_HANDLER = "QUARKUS_LAMBDA_HANDLER";
    public static final String ENV_BUCKET = "BATCHLANE_BUCKET";
    /** The JVM options of each function, read by the JVM itself (on Lambda and in the local stack). */
    public static final String ENV_JAVA_TOOL_OPTIONS = "JAVA_TOOL_OPTIONS";
    public static final String ENV_TABLE = "BATCHLANE_TABLE";
    /** The ARN of the secret holding the OpenAI key; the function reads the value at run time. */
    public static final String ENV_OPENAI_API_KEY_SECRET = "BATCHLANE_OPENAI_API_KEY_SECRET";
    /** The ARN of the secret holding the Anthropic key; the function reads the value at run time. */
    public static final String ENV_ANTHROPIC_API_KEY_SECRET = "BATCHLANE_ANTHROPIC_API_KEY_SECRET";
    /**
     * The vendors beyond OpenAI and Anthropic, each with a secret for its key whose ARN the functions
     * get as {@code BATCHLANE_<VENDOR>_API_KEY_SECRET} (see {@link #vendorKeySecretEnv}).
     */
    public static final java.util.List<String> VENDORS = java.util.List.of("azure", "groq", "together", "mistral");

    /** The variable carrying the ARN of a vendor's key secret, e.g. {@code BATCHLANE_GROQ_API_KEY_SECRET}. */
    public static String vendorKeySecretEnv(String vendor) {
        return "BATCHLANE_" + vendor.toUpperCase(java.util.Locale.ROOT) + "_API_KEY_SECRET";
    }

    /** The ARN of the secret holding the Gemini API key (sent as x-goog-api-key); read at run time. */
    public static final String ENV_GEMINI_API_KEY_SECRET = "BATCHLANE_GEMINI_API_KEY_SECRET";
    /** The event bus name; set on complete only. */
    public static final String ENV_EVENT_BUS = "BATCHLANE_EVENT_BUS";

    public static final String PREFIX_INBOX = "inbox/";
    public static final String PREFIX_STAGING = "staging/";
    public static final String PREFIX_REJECTED = "rejected/";
    public static final String PREFIX_RESULTS = "results/";
    public static final String PREFIX_CANCEL = "cancel/";
    /** Where shards are copied for Bedrock to read, and where Bedrock writes its output (the service role's only reach). */
    public static final String PREFIX_BEDROCK_INPUT = "bedrock/input/";
    public static final String PREFIX_BEDROCK_OUTPUT = "bedrock/output/";
    /** The service role Bedrock assumes for the lane's jobs, and the model of a file whose metadata names none. */
    public static final String ENV_BEDROCK_ROLE_ARN = "BATCHLANE_BEDROCK_ROLE_ARN";
    public static final String ENV_BEDROCK_DEFAULT_MODEL = "BATCHLANE_BEDROCK_DEFAULT_MODEL";
    /** An object {@code resume/<jobId>} makes ingest resume that job. */
    public static final String PREFIX_RESUME = "resume/";
    /** An object {@code redrive/<jobId>} makes ingest hand that job's completion work to complete again. */
    public static final String PREFIX_REDRIVE = "redrive/";
    /** Only drops with this suffix under {@link #PREFIX_INBOX} start a job. */
    public static final String INBOX_SUFFIX = ".jsonl";

    public static final String EVENT_SOURCE = "batchlane";
    public static final String EVENT_JOB_COMPLETED = "Batchlane Job Completed";

    /** Table keys and the sparse index of due shards. */
    public static final String TABLE_PARTITION_KEY = "pk";
    public static final String TABLE_SORT_KEY = "sk";
    public static final String TABLE_TTL_ATTRIBUTE = "expiresAt";
    public static final String DUE_INDEX = "due";
    public static final String DUE_INDEX_PARTITION_KEY = "dueGroup";
    public static final String DUE_INDEX_SORT_KEY = "dueAt";
    /** A job attribute whose appearance asks complete to finish the job (complete's second stream filter). */
    public static final String ATTRIBUTE_FINISH_REQUESTED = "finishRequestedAt";

    /** Embedded-metric-format namespace; metrics are dimension-free or carry {@link #METRIC_DIMENSION_PROVIDER}. */
    public static final String METRIC_NAMESPACE = "Batchlane";
    public static final String METRIC_DIMENSION_PROVIDER = "Provider";

    public static final String METRIC_JOBS_ACCEPTED = "JobsAccepted";
    public static final String METRIC_JOBS_REJECTED = "JobsRejected";
    public static final String METRIC_REQUESTS_SUBMITTED = "RequestsSubmitted";
    public static final String METRIC_REQUESTS_SUCCEEDED = "RequestsSucceeded";
    public static final String METRIC_REQUESTS_FAILED = "RequestsFailed";
    public static final String METRIC_INPUT_TOKENS = "InputTokens";
    public static final String METRIC_OUTPUT_TOKENS = "OutputTokens";
    public static final String METRIC_COST_USD = "CostUsd";
    public static final String METRIC_POLL_CYCLES = "PollCycles";
    public static final String METRIC_POLL_CYCLE_DURATION_MS = "PollCycleDurationMs";
    public static final String METRIC_OLDEST_IN_FLIGHT_SHARD_AGE_SECONDS = "OldestInFlightShardAgeSeconds";
    public static final String METRIC_BATCHES_FAILED = "BatchesFailed";
    public static final String METRIC_BATCHES_EXPIRED = "BatchesExpired";
    /** Counted by poll each time it finds a shard stuck (the shard item says why). */
    public static final String METRIC_STUCK_SHARDS = "StuckShards";
    /** Counted by ingest for each failed attempt. */
    public static final String METRIC_INGEST_FAILURES = "IngestFailures";

    public static final List<String> METRICS = List.of(
            METRIC_JOBS_ACCEPTED, METRIC_JOBS_REJECTED,
            METRIC_REQUESTS_SUBMITTED, METRIC_REQUESTS_SUCCEEDED, METRIC_REQUESTS_FAILED,
            METRIC_INPUT_TOKENS, METRIC_OUTPUT_TOKENS, METRIC_COST_USD,
            METRIC_POLL_CYCLES, METRIC_POLL_CYCLE_DURATION_MS, METRIC_OLDEST_IN_FLIGHT_SHARD_AGE_SECONDS,
            METRIC_BATCHES_FAILED, METRIC_BATCHES_EXPIRED, METRIC_STUCK_SHARDS, METRIC_INGEST_FAILURES);

    /** The three functions, by the value of {@link #ENV_HANDLER} that selects each. */
    public enum Handler {
        INGEST("ingest"), POLL("poll"), COMPLETE("complete");

        private final String handlerName;

        Handler(String handlerName) {
            this.handlerName = handlerName;
        }

        public String handlerName() {
            return handlerName;
        }
    }
}
