package dev.batchlane.aws.dynamo;

import static dev.batchlane.aws.dynamo.Attrs.s;
import static dev.batchlane.aws.dynamo.TableSetup.PK;
import static dev.batchlane.aws.dynamo.TableSetup.SK;

import dev.batchlane.core.job.IngestProgress;
import dev.batchlane.core.job.Shard;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** How the lane's records are keyed in its one table, and how long finished ones stay. */
final class ItemKeys {
    /**
     * Every due shard shares one index partition. Poll reads at most a page of them per cycle, and
     * a job has at most thousands of shards, far below a partition's limits; if that ever changes,
     * this becomes a small fixed set of groups queried in turn.
     */
    static final String DUE_PARTITION = "due";

    static final String JOB_SK = "JOB";

    /** Beside the job: its ingest's progress and timings (see {@link IngestProgress}). */
    static final String PROGRESS_SK = "PROGRESS";

    /** Beside the job: the last failed ingest attempt and what resuming it needs. */
    static final String INGEST_FAILURE_SK = "INGEST_FAILURE";

    /** One item per input (bucket and key) and sha256, naming the job that runs those bytes. */
    static final String INPUT_PK_PREFIX = "INPUT#";

    static final String POOL_SK = "POOL";

    /**
     * Finished jobs and their shards leave the table this long after completion, through the
     * table's TTL on {@code expiresAt} (epoch seconds); the manifest in S3 is the lasting record.
     */
    static final java.time.Duration RETENTION = java.time.Duration.ofDays(90);

    private ItemKeys() {}

    static String jobPk(String jobId) {
        return "JOB#" + jobId;
    }

    static String shardSk(int index) {
        return "SHARD#" + Shard.partName(index);
    }

    static String poolPk(String pool) {
        return "pool#" + pool;
    }

    static Map<String, AttributeValue> key(String pk, String sk) {
        return Map.of(PK, s(pk), SK, s(sk));
    }
}
