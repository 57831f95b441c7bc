package dev.batchlane.infra;

import dev.batchlane.core.lane.LaneNames;
import java.util.List;

/**
 * The names the deployed functions and this infrastructure must agree on, each taken from {@link
 * LaneNames} in the core, which the functions' code reads and emits under the same constants: one
 * name for each thing. The tests hold the synthesized template to them.
 */
public final class BatchlaneContract {

    private BatchlaneContract() {}

    /**
     * The Lambda handler every function runs; the Quarkus handler is chosen by {@link
     * #ENV_HANDLER}.
     */
    public static final String LAMBDA_HANDLER =
            "io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler::handleRequest";

    public static final String ENV_HANDLER = LaneNames.ENV_HANDLER;
    public static final String ENV_BUCKET = LaneNames.ENV_BUCKET;

    /**
     * The JVM options of each function, read by the JVM itself (on Lambda and in the local stack).
     */
    public static final String ENV_JAVA_TOOL_OPTIONS = LaneNames.ENV_JAVA_TOOL_OPTIONS;

    public static final String ENV_TABLE = LaneNames.ENV_TABLE;

    /** The enabled providers, comma-separated; set on the functions that call providers. */
    public static final String ENV_PROVIDERS = LaneNames.ENV_PROVIDERS;

    /**
     * The event bus name; set on complete, and on poll and enqueue, which answer queued requests.
     */
    public static final String ENV_EVENT_BUS = LaneNames.ENV_EVENT_BUS;

    /** The staged shards' lifetime (ISO-8601 days); set on poll only, which refreshes them. */
    public static final String ENV_STAGING_LIFETIME = LaneNames.ENV_STAGING_LIFETIME;

    /** The queue policies, JSON; set on enqueue and poll. */
    public static final String ENV_QUEUES = LaneNames.ENV_QUEUES;

    public static final String PREFIX_INBOX = LaneNames.PREFIX_INBOX;
    public static final String PREFIX_STAGING = LaneNames.PREFIX_STAGING;
    public static final String PREFIX_REJECTED = LaneNames.PREFIX_REJECTED;
    public static final String PREFIX_RESULTS = LaneNames.PREFIX_RESULTS;
    public static final String PREFIX_CANCEL = LaneNames.PREFIX_CANCEL;
    public static final String PREFIX_RESUME = LaneNames.PREFIX_RESUME;
    public static final String PREFIX_REDRIVE = LaneNames.PREFIX_REDRIVE;

    /** Small files of requests to enqueue, {@code queue/<provider>/<queue>/<name>}. */
    public static final String PREFIX_QUEUE = LaneNames.PREFIX_QUEUE;

    public static final String PREFIX_ANSWERS = LaneNames.PREFIX_ANSWERS;
    public static final String PREFIX_QUEUE_FLUSHES = LaneNames.PREFIX_QUEUE_FLUSHES;
    public static final String PREFIX_QUEUE_BODIES = LaneNames.PREFIX_QUEUE_BODIES;

    /** Where a flush drops its file under each provider's inbox. */
    public static final String INBOX_QUEUED = LaneNames.INBOX_QUEUED;

    /** Only drops with this suffix under {@link #PREFIX_INBOX} start a job. */
    public static final String INBOX_SUFFIX = LaneNames.INBOX_SUFFIX;

    public static final String EVENT_SOURCE = LaneNames.EVENT_SOURCE;
    public static final String EVENT_JOB_COMPLETED = LaneNames.EVENT_JOB_COMPLETED;
    public static final String EVENT_REQUEST_ANSWERED = LaneNames.EVENT_REQUEST_ANSWERED;

    /** Table keys and the sparse index of due shards. */
    public static final String TABLE_PARTITION_KEY = LaneNames.TABLE_PARTITION_KEY;

    public static final String TABLE_SORT_KEY = LaneNames.TABLE_SORT_KEY;
    public static final String TABLE_TTL_ATTRIBUTE = LaneNames.TABLE_TTL_ATTRIBUTE;
    public static final String DUE_INDEX = LaneNames.DUE_INDEX;
    public static final String DUE_INDEX_PARTITION_KEY = LaneNames.DUE_INDEX_PARTITION_KEY;
    public static final String DUE_INDEX_SORT_KEY = LaneNames.DUE_INDEX_SORT_KEY;
    public static final String ATTRIBUTE_FINISH_REQUESTED = LaneNames.ATTRIBUTE_FINISH_REQUESTED;

    /**
     * Embedded-metric-format namespace; metrics are dimension-free or carry {@link
     * #METRIC_DIMENSION_PROVIDER}.
     */
    public static final String METRIC_NAMESPACE = LaneNames.METRIC_NAMESPACE;

    public static final String METRIC_DIMENSION_PROVIDER = LaneNames.METRIC_DIMENSION_PROVIDER;

    public static final String METRIC_JOBS_ACCEPTED = LaneNames.METRIC_JOBS_ACCEPTED;
    public static final String METRIC_JOBS_REJECTED = LaneNames.METRIC_JOBS_REJECTED;
    public static final String METRIC_REQUESTS_SUBMITTED = LaneNames.METRIC_REQUESTS_SUBMITTED;
    public static final String METRIC_REQUESTS_SUCCEEDED = LaneNames.METRIC_REQUESTS_SUCCEEDED;
    public static final String METRIC_REQUESTS_FAILED = LaneNames.METRIC_REQUESTS_FAILED;
    public static final String METRIC_INPUT_TOKENS = LaneNames.METRIC_INPUT_TOKENS;
    public static final String METRIC_OUTPUT_TOKENS = LaneNames.METRIC_OUTPUT_TOKENS;
    public static final String METRIC_COST_USD = LaneNames.METRIC_COST_USD;
    public static final String METRIC_POLL_CYCLES = LaneNames.METRIC_POLL_CYCLES;
    public static final String METRIC_POLL_CYCLE_DURATION_MS =
            LaneNames.METRIC_POLL_CYCLE_DURATION_MS;
    public static final String METRIC_OLDEST_IN_FLIGHT_SHARD_AGE_SECONDS =
            LaneNames.METRIC_OLDEST_IN_FLIGHT_SHARD_AGE_SECONDS;
    public static final String METRIC_BATCHES_FAILED = LaneNames.METRIC_BATCHES_FAILED;
    public static final String METRIC_BATCHES_EXPIRED = LaneNames.METRIC_BATCHES_EXPIRED;
    public static final String METRIC_STUCK_SHARDS = LaneNames.METRIC_STUCK_SHARDS;
    public static final String METRIC_INGEST_FAILURES = LaneNames.METRIC_INGEST_FAILURES;

    public static final List<String> METRICS = LaneNames.METRICS;

    public static final String METRIC_DIMENSION_QUEUE = LaneNames.METRIC_DIMENSION_QUEUE;
    public static final String METRIC_REQUESTS_ENQUEUED = LaneNames.METRIC_REQUESTS_ENQUEUED;
    public static final String METRIC_REQUESTS_REFUSED_AT_ENQUEUE =
            LaneNames.METRIC_REQUESTS_REFUSED_AT_ENQUEUE;
    public static final String METRIC_DUPLICATES_AT_ENQUEUE =
            LaneNames.METRIC_DUPLICATES_AT_ENQUEUE;
    public static final String METRIC_QUEUE_DEPTH = LaneNames.METRIC_QUEUE_DEPTH;
    public static final String METRIC_QUEUE_OLDEST_AGE_SECONDS =
            LaneNames.METRIC_QUEUE_OLDEST_AGE_SECONDS;
    public static final String METRIC_QUEUE_WAIT_PERCENT = LaneNames.METRIC_QUEUE_WAIT_PERCENT;
    public static final String METRIC_QUEUE_FLUSHES = LaneNames.METRIC_QUEUE_FLUSHES;
    public static final String METRIC_QUEUE_FLUSH_REQUESTS = LaneNames.METRIC_QUEUE_FLUSH_REQUESTS;
    public static final String METRIC_ANSWERS_SENT = LaneNames.METRIC_ANSWERS_SENT;

    /** The four functions, by the value of {@link #ENV_HANDLER} that selects each. */
    public enum Handler {
        INGEST(LaneNames.HANDLER_INGEST),
        POLL(LaneNames.HANDLER_POLL),
        COMPLETE(LaneNames.HANDLER_COMPLETE),
        ENQUEUE(LaneNames.HANDLER_ENQUEUE);

        private final String handlerName;

        Handler(String handlerName) {
            this.handlerName = handlerName;
        }

        public String handlerName() {
            return handlerName;
        }
    }
}
