package dev.batchlane.aws.dynamo;

import dev.batchlane.core.job.IngestFailure;
import dev.batchlane.core.job.IngestProgress;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.AdmissionPool;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The lane's {@link JobStore} on one DynamoDB table, put together from one class per kind of item:
 * jobs ({@link DynamoJobs}), shards ({@link DynamoShards}), ingest's ledger ({@link
 * DynamoIngestLedger}), the admission pools ({@link DynamoAdmissionPools}) and the batch registry
 * ({@link DynamoBatchRegistry}); the item codecs are {@link JobItemCodec} and {@link
 * ShardItemCodec}. A job is ({@code JOB#id}, {@code JOB}); its shards are ({@code JOB#id}, {@code
 * SHARD#nnnnn}), so one query reads a job's shards. Every write carries a condition; a failed
 * condition is reported to the caller as "someone else acted", never retried blindly and never
 * overwritten.
 */
public final class DynamoJobStore implements JobStore {
    /**
     * Set on a job item to ask complete to finish the job; complete's stream filter passes the job
     * item when this attribute appears. The deployment's filter names the same attribute.
     */
    public static final String FINISH_REQUESTED = "finishRequestedAt";

    private final DynamoJobs jobs;
    private final DynamoShards shards;
    private final DynamoIngestLedger ledger;
    private final DynamoAdmissionPools pools;
    private final DynamoBatchRegistry batches;

    public DynamoJobStore(DynamoDbClient dynamo, String table) {
        this.jobs = new DynamoJobs(dynamo, table);
        this.shards = new DynamoShards(dynamo, table);
        this.ledger = new DynamoIngestLedger(dynamo, table);
        this.pools = new DynamoAdmissionPools(dynamo, table);
        this.batches = new DynamoBatchRegistry(dynamo, table);
    }

    public static String jobPk(String jobId) {
        return ItemKeys.jobPk(jobId);
    }

    public static String shardSk(int index) {
        return ItemKeys.shardSk(index);
    }

    // ---- jobs ----

    @Override
    public boolean createJob(Job job) {
        return jobs.createJob(job);
    }

    @Override
    public Optional<Job> job(String jobId) {
        return jobs.job(jobId);
    }

    @Override
    public boolean markRunning(String jobId, int shardCount, Instant now) {
        return jobs.markRunning(jobId, shardCount, now);
    }

    @Override
    public boolean markCompleted(String jobId, String manifestKey, Instant now) {
        return jobs.markCompleted(jobId, manifestKey, now);
    }

    @Override
    public boolean claimCompletionEvent(String jobId, Instant now, Instant staleBefore) {
        return jobs.claimCompletionEvent(jobId, now, staleBefore);
    }

    @Override
    public boolean requestCancel(String jobId, Instant now) {
        return jobs.requestCancel(jobId, now);
    }

    @Override
    public boolean requestFinish(String jobId, Instant now) {
        return jobs.requestFinish(jobId, now);
    }

    /** The job's stuck shards and why, read from the shards' own items. */
    public Map<String, String> stuckShards(String jobId) {
        Map<String, String> out = new java.util.TreeMap<>();
        for (Shard sh : shards(jobId)) {
            if (sh.trouble() != null && sh.trouble().isStuck()) {
                out.put(Shard.partName(sh.index()), sh.trouble().stuck());
            }
        }
        return out;
    }

    // ---- shards ----

    @Override
    public boolean createShard(Shard shard) {
        return shards.createShard(shard);
    }

    @Override
    public Optional<Shard> shard(String jobId, int index) {
        return shards.shard(jobId, index);
    }

    @Override
    public List<Shard> shards(String jobId) {
        return shards.shards(jobId);
    }

    @Override
    public Optional<Shard> updateShard(Shard current, Shard next) {
        return shards.updateShard(current, next);
    }

    @Override
    public boolean completeShard(Shard current, Shard completed, Shard child) {
        return shards.completeShard(current, completed, child);
    }

    @Override
    public List<Shard> dueShards(Instant now, int limit) {
        return shards.dueShards(now, limit);
    }

    // ---- ingest's ledger ----

    @Override
    public Optional<String> claimInput(
            String bucket, String key, String sha256, String jobId, String replacing) {
        return ledger.claimInput(bucket, key, sha256, jobId, replacing);
    }

    @Override
    public void recordIngestFailure(IngestFailure failure) {
        ledger.recordIngestFailure(failure);
    }

    @Override
    public Optional<IngestFailure> ingestFailure(String jobId) {
        return ledger.ingestFailure(jobId);
    }

    @Override
    public void clearIngestFailure(String jobId) {
        ledger.clearIngestFailure(jobId);
    }

    @Override
    public boolean recordIngestProgress(String jobId, IngestProgress progress) {
        return ledger.recordIngestProgress(jobId, progress);
    }

    @Override
    public Optional<IngestProgress> ingestProgress(String jobId) {
        return ledger.ingestProgress(jobId);
    }

    // ---- admission pools ----

    @Override
    public AdmissionPool pool(String name) {
        return pools.pool(name);
    }

    @Override
    public boolean replacePool(AdmissionPool current, AdmissionPool next) {
        return pools.replacePool(current, next);
    }

    // ---- the lane's batch registry ----

    @Override
    public boolean recordBatch(
            String provider, String batchId, String jobId, int shardIndex, Instant now) {
        return batches.recordBatch(provider, batchId, jobId, shardIndex, now);
    }

    @Override
    public Optional<BatchOwner> batchOwner(String provider, String batchId) {
        return batches.batchOwner(provider, batchId);
    }
}
