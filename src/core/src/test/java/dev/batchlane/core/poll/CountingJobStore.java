package dev.batchlane.core.poll;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Passes every call on and counts it by method, so a test can hold a cycle to its number of reads.
 */
class CountingJobStore implements JobStore {
    private final JobStore delegate;
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    CountingJobStore(JobStore delegate) {
        this.delegate = delegate;
    }

    int calls(String method) {
        AtomicInteger n = calls.get(method);
        return n == null ? 0 : n.get();
    }

    int total() {
        return calls.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    void reset() {
        calls.clear();
    }

    private <T> T count(String method, Supplier<T> call) {
        calls.computeIfAbsent(method, m -> new AtomicInteger()).incrementAndGet();
        return call.get();
    }

    @Override
    public boolean createJob(Job job) {
        return count("createJob", () -> delegate.createJob(job));
    }

    @Override
    public Optional<Job> job(String jobId) {
        return count("job", () -> delegate.job(jobId));
    }

    @Override
    public boolean markRunning(String jobId, int shardCount, Instant now) {
        return count("markRunning", () -> delegate.markRunning(jobId, shardCount, now));
    }

    @Override
    public boolean markCompleted(String jobId, String manifestKey, Instant now) {
        return count("markCompleted", () -> delegate.markCompleted(jobId, manifestKey, now));
    }

    @Override
    public boolean claimCompletionEvent(String jobId, Instant now, Instant staleBefore) {
        return count(
                "claimCompletionEvent",
                () -> delegate.claimCompletionEvent(jobId, now, staleBefore));
    }

    @Override
    public boolean requestCancel(String jobId, Instant now) {
        return count("requestCancel", () -> delegate.requestCancel(jobId, now));
    }

    @Override
    public boolean requestFinish(String jobId, Instant now) {
        return count("requestFinish", () -> delegate.requestFinish(jobId, now));
    }

    @Override
    public Optional<String> claimInput(
            String bucket, String key, String sha256, String jobId, String replacing) {
        return count(
                "claimInput", () -> delegate.claimInput(bucket, key, sha256, jobId, replacing));
    }

    @Override
    public void recordIngestFailure(dev.batchlane.core.job.IngestFailure failure) {
        count(
                "recordIngestFailure",
                () -> {
                    delegate.recordIngestFailure(failure);
                    return null;
                });
    }

    @Override
    public Optional<dev.batchlane.core.job.IngestFailure> ingestFailure(String jobId) {
        return count("ingestFailure", () -> delegate.ingestFailure(jobId));
    }

    @Override
    public void clearIngestFailure(String jobId) {
        count(
                "clearIngestFailure",
                () -> {
                    delegate.clearIngestFailure(jobId);
                    return null;
                });
    }

    @Override
    public boolean createShard(Shard shard) {
        return count("createShard", () -> delegate.createShard(shard));
    }

    @Override
    public Optional<Shard> shard(String jobId, int index) {
        return count("shard", () -> delegate.shard(jobId, index));
    }

    @Override
    public List<Shard> shards(String jobId) {
        return count("shards", () -> delegate.shards(jobId));
    }

    @Override
    public Optional<Shard> updateShard(Shard current, Shard next) {
        return count("updateShard", () -> delegate.updateShard(current, next));
    }

    @Override
    public boolean completeShard(Shard current, Shard completed, Shard child) {
        return count("completeShard", () -> delegate.completeShard(current, completed, child));
    }

    @Override
    public List<Shard> dueShards(Instant now, int limit) {
        return count("dueShards", () -> delegate.dueShards(now, limit));
    }

    @Override
    public boolean recordIngestProgress(
            String jobId, dev.batchlane.core.job.IngestProgress progress) {
        return count("recordIngestProgress", () -> delegate.recordIngestProgress(jobId, progress));
    }

    @Override
    public java.util.Optional<dev.batchlane.core.job.IngestProgress> ingestProgress(String jobId) {
        return count("ingestProgress", () -> delegate.ingestProgress(jobId));
    }

    @Override
    public dev.batchlane.core.lane.AdmissionPool pool(String name) {
        return count("pool", () -> delegate.pool(name));
    }

    @Override
    public boolean replacePool(
            dev.batchlane.core.lane.AdmissionPool current,
            dev.batchlane.core.lane.AdmissionPool next) {
        return count("replacePool", () -> delegate.replacePool(current, next));
    }

    @Override
    public boolean recordBatch(
            String provider, String batchId, String jobId, int shardIndex, Instant now) {
        return count(
                "recordBatch",
                () -> delegate.recordBatch(provider, batchId, jobId, shardIndex, now));
    }

    @Override
    public Optional<BatchOwner> batchOwner(String provider, String batchId) {
        return count("batchOwner", () -> delegate.batchOwner(provider, batchId));
    }
}
