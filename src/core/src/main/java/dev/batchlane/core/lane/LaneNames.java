package dev.batchlane.core.lane;

import java.util.List;

/**
 * One name for each thing the deployment and the functions must agree on: the environment the
 * construct sets and the functions read, the handler names, the bucket's prefixes, the table's keys
 * and index, the completion event, and the metrics the functions emit and the alarms read. The CDK
 * construct takes its names from here and so does the code that reads or emits them; tests in
 * infra/cdk and functions fail when a synthesized name and a used one part ways.
 */
public final class LaneNames {

    private LaneNames() {}

    // ---- environment ----
    /** Picks the Quarkus handler (one of {@link #HANDLERS}) a function runs. */
    public static final String ENV_HANDLER = "QUARKUS_LAMBDA_HANDLER";

    public static final String ENV_BUCKET = "BATCHLANE_BUCKET";
    public static final String ENV_TABLE = "BATCHLANE_TABLE";

    /** The event bus name; set on complete only. */
    public static final String ENV_EVENT_BUS = "BATCHLANE_EVENT_BUS";

    /** The queue policies, JSON (see {@code QueuePolicies}); set on enqueue and poll. */
    public static final String ENV_QUEUES = "BATCHLANE_QUEUES";

    /**
     * How long the bucket keeps a staged shard (ISO-8601, e.g. {@code P14D}), the same lifetime its
     * lifecycle rule expires {@code staging/} after; set on poll, which refreshes the staged shards
     * of jobs that live that long. Absent: staged shards never expire.
     */
    public static final String ENV_STAGING_LIFETIME = "BATCHLANE_STAGING_LIFETIME";

    /**
     * The JVM options of each function, read by the JVM itself (on Lambda and in the local stack).
     */
    public static final String ENV_JAVA_TOOL_OPTIONS = "JAVA_TOOL_OPTIONS";

    /**
     * The providers a deployment enabled, comma-separated catalogue names; the functions build only
     * these, and unset means every provider of the catalogue (the local stack, tests).
     */
    public static final String ENV_PROVIDERS = "BATCHLANE_PROVIDERS";

    /**
     * Every lane variable the construct may set on a function; each provider's come from its
     * descriptor ({@code ProviderDescriptor.deploymentEnvironment()}).
     */
    public static final List<String> FUNCTION_ENVIRONMENT =
            List.of(
                    ENV_HANDLER,
                    ENV_BUCKET,
                    ENV_TABLE,
                    ENV_EVENT_BUS,
                    ENV_STAGING_LIFETIME,
                    ENV_JAVA_TOOL_OPTIONS,
                    ENV_PROVIDERS,
                    ENV_QUEUES);

    // ---- handlers ----
    public static final String HANDLER_INGEST = "ingest";
    public static final String HANDLER_POLL = "poll";
    public static final String HANDLER_COMPLETE = "complete";

    /** SQS messages and {@code queue/} drops → requests checked and kept in the queue buffer. */
    public static final String HANDLER_ENQUEUE = "enqueue";

    public static final List<String> HANDLERS =
            List.of(HANDLER_INGEST, HANDLER_POLL, HANDLER_COMPLETE, HANDLER_ENQUEUE);

    // ---- bucket ----
    public static final String PREFIX_INBOX = "inbox/";
    public static final String PREFIX_STAGING = "staging/";
    public static final String PREFIX_REJECTED = "rejected/";
    public static final String PREFIX_RESULTS = "results/";
    public static final String PREFIX_CANCEL = "cancel/";

    /** An object {@code resume/<jobId>} makes ingest resume that job. */
    public static final String PREFIX_RESUME = "resume/";

    /** An object {@code redrive/<jobId>} hands that job's completion work to complete again. */
    public static final String PREFIX_REDRIVE = "redrive/";

    public static final List<String> PREFIXES =
            List.of(
                    PREFIX_INBOX,
                    PREFIX_STAGING,
                    PREFIX_REJECTED,
                    PREFIX_RESULTS,
                    PREFIX_CANCEL,
                    PREFIX_RESUME,
                    PREFIX_REDRIVE);

    /** Small files of requests to enqueue: {@code queue/<provider>/<queue>/<name>}. */
    public static final String PREFIX_QUEUE = "queue/";

    /** Each queued request's answer: {@code answers/<provider>/<queue>/<id>.json}. */
    public static final String PREFIX_ANSWERS = "answers/";

    /** What each flush took from the buffer, the record a flush is finished or answered from. */
    public static final String PREFIX_QUEUE_FLUSHES = "queue-flushes/";

    /** Queued requests too big to keep in the table, until their flush. */
    public static final String PREFIX_QUEUE_BODIES = "queue-bodies/";

    /** Where a flush drops its file: {@code inbox/<provider>/queued/<queue>/<flushId>.jsonl}. */
    public static final String INBOX_QUEUED = "queued/";

    /** Only drops with this suffix under {@link #PREFIX_INBOX} start a job. */
    public static final String INBOX_SUFFIX = ".jsonl";

    // ---- completion event ----
    public static final String EVENT_SOURCE = "batchlane";
    public static final String EVENT_JOB_COMPLETED = "Batchlane Job Completed";

    /** One queued request's answer, when the request named no reply queue. */
    public static final String EVENT_REQUEST_ANSWERED = "Batchlane Request Answered";

    // ---- queue messages ----
    /** The message attribute naming the provider a queued request is for. */
    public static final String MESSAGE_ATTRIBUTE_PROVIDER = "provider";

    /** The message attribute naming the queue (default {@link #DEFAULT_QUEUE}). */
    public static final String MESSAGE_ATTRIBUTE_QUEUE = "queue";

    /** The message attribute naming the SQS queue URL the answer goes to. */
    public static final String MESSAGE_ATTRIBUTE_REPLY_TO = "reply-to";

    public static final String DEFAULT_QUEUE = "default";

    /** Attributes every answer message carries, so a receiver can match and de-duplicate. */
    public static final String ANSWER_ATTRIBUTE_QUEUE = "batchlane-queue";

    public static final String ANSWER_ATTRIBUTE_REQUEST_ID = "batchlane-request-id";
    public static final String ANSWER_ATTRIBUTE_OUTCOME = "batchlane-outcome";

    // ---- table ----
    public static final String TABLE_PARTITION_KEY = "pk";
    public static final String TABLE_SORT_KEY = "sk";
    public static final String TABLE_TTL_ATTRIBUTE = "expiresAt";

    /** The sparse index of due shards. */
    public static final String DUE_INDEX = "due";

    public static final String DUE_INDEX_PARTITION_KEY = "dueGroup";
    public static final String DUE_INDEX_SORT_KEY = "dueAt";

    /**
     * A job attribute whose appearance asks complete to finish the job (complete's second stream
     * filter).
     */
    public static final String ATTRIBUTE_FINISH_REQUESTED = "finishRequestedAt";

    // ---- metrics (embedded metric format) ----
    public static final String METRIC_NAMESPACE = "Batchlane";

    /** Metrics are dimension-free (what alarms read) and also carry this one. */
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
    public static final String METRIC_OLDEST_IN_FLIGHT_SHARD_AGE_SECONDS =
            "OldestInFlightShardAgeSeconds";
    public static final String METRIC_BATCHES_FAILED = "BatchesFailed";
    public static final String METRIC_BATCHES_EXPIRED = "BatchesExpired";

    /**
     * A shard flagged stuck by poll (a batch running too long, or an ended shard not completed).
     */
    public static final String METRIC_STUCK_SHARDS = "StuckShards";

    public static final String METRIC_DIMENSION_QUEUE = "Queue";
    public static final String METRIC_REQUESTS_ENQUEUED = "RequestsEnqueued";
    public static final String METRIC_REQUESTS_REFUSED_AT_ENQUEUE = "RequestsRefusedAtEnqueue";
    public static final String METRIC_DUPLICATES_AT_ENQUEUE = "DuplicatesAtEnqueue";
    public static final String METRIC_QUEUE_DEPTH = "QueueDepth";
    public static final String METRIC_QUEUE_OLDEST_AGE_SECONDS = "QueueOldestRequestAgeSeconds";

    /** The oldest waiting request's age over its queue's max-wait, in percent (alarm at 200). */
    public static final String METRIC_QUEUE_WAIT_PERCENT = "QueueOldestWaitPercentOfMax";

    public static final String METRIC_QUEUE_FLUSHES = "QueueFlushes";
    public static final String METRIC_QUEUE_FLUSH_REQUESTS = "QueueFlushRequests";
    public static final String METRIC_ANSWERS_SENT = "AnswersSent";

    /** Counted by ingest for each failed attempt. */
    public static final String METRIC_INGEST_FAILURES = "IngestFailures";

    public static final List<String> METRICS =
            List.of(
                    METRIC_JOBS_ACCEPTED,
                    METRIC_JOBS_REJECTED,
                    METRIC_REQUESTS_SUBMITTED,
                    METRIC_REQUESTS_SUCCEEDED,
                    METRIC_REQUESTS_FAILED,
                    METRIC_INPUT_TOKENS,
                    METRIC_OUTPUT_TOKENS,
                    METRIC_COST_USD,
                    METRIC_POLL_CYCLES,
                    METRIC_POLL_CYCLE_DURATION_MS,
                    METRIC_OLDEST_IN_FLIGHT_SHARD_AGE_SECONDS,
                    METRIC_BATCHES_FAILED,
                    METRIC_BATCHES_EXPIRED,
                    METRIC_STUCK_SHARDS,
                    METRIC_INGEST_FAILURES);
}
