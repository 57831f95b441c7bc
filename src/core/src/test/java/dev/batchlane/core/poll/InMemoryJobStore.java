package dev.batchlane.core.poll;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The store's version checks in memory, for core tests that need no DynamoDB. */
final class InMemoryJobStore implements JobStore {
    private final Map<String, Job> jobs = new HashMap<>();
    private final Map<String, Shard> shards = new TreeMap<>();

    @Override
    public synchronized boolean createJob(Job job) {
        return jobs.putIfAbsent(job.jobId(), job) == null;
    }

    @Override
    public synchronized Optional<Job> job(String jobId) {
        return Optional.ofNullable(jobs.get(jobId));
    }

    @Override
    public synchronized boolean markRunning(String jobId, int shardCount, Instant now) {
        Job j = jobs.get(jobId);
        if (j == null || j.status() != JobStatus.INGESTING) {
            return false;
        }
        jobs.put(jobId, j.toBuilder().status(JobStatus.RUNNING).shardCount(j.shardCount() + shardCount)
                .submittedAt(now).build());
        return true;
    }

    @Override
    public synchronized boolean markCompleted(String jobId, String manifestKey, Instant now) {
        throw new UnsupportedOperationException("not used by poll");
    }

    @Override
    public synchronized boolean claimCompletionEvent(String jobId, Instant now, Instant staleBefore) {
        throw new UnsupportedOperationException("not used by poll");
    }

    @Override
    public synchronized boolean requestCancel(String jobId, Instant now) {
        Job j = jobs.get(jobId);
        if (j == null || j.cancelRequested()
                || (j.status() != JobStatus.INGESTING && j.status() != JobStatus.RUNNING)) {
            return false;
        }
        jobs.put(jobId, j.toBuilder().cancelRequested(true).build());
        return true;
    }

    @Override
    public synchronized boolean requestFinish(String jobId, Instant now) {
        Job j = jobs.get(jobId);
        if (j == null || j.status() != JobStatus.RUNNING) {
            return false;
        }
        finishRequests.merge(jobId, 1, Integer::sum);
        return true;
    }

    /** How often each job's finish was asked for. */
    final java.util.Map<String, Integer> finishRequests = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<String, String> inputs = new java.util.HashMap<>();
    private final java.util.Map<String, dev.batchlane.core.job.IngestFailure> ingestFailures = new java.util.HashMap<>();

    @Override
    public synchronized Optional<String> claimInput(String bucket, String key, String sha256, String jobId,
            String replacing) {
        String k = bucket + "/" + key + "#" + sha256;
        String held = inputs.get(k);
        if (held == null || held.equals(jobId) || held.equals(replacing)) {
            inputs.put(k, jobId);
            return Optional.empty();
        }
        return Optional.of(held);
    }

    @Override
    public synchronized void recordIngestFailure(dev.batchlane.core.job.IngestFailure f) {
        var before = ingestFailures.get(f.jobId());
        ingestFailures.put(f.jobId(), new dev.batchlane.core.job.IngestFailure(f.jobId(), f.bucket(), f.key(),
                f.identity(), f.size(), (before == null ? 0 : before.attempts()) + 1, f.error(), f.at()));
    }

    @Override
    public synchronized Optional<dev.batchlane.core.job.IngestFailure> ingestFailure(String jobId) {
        return Optional.ofNullable(ingestFailures.get(jobId));
    }

    @Override
    public synchronized void clearIngestFailure(String jobId) {
        ingestFailures.remove(jobId);
    }

    @Override
    public synchronized boolean createShard(Shard shard) {
        return shards.putIfAbsent(shard.id(), shard.withVersion(1)) == null;
    }

    @Override
    public synchronized Optional<Shard> shard(String jobId, int index) {
        return Optional.ofNullable(shards.get(jobId + "/" + Shard.partName(index)));
    }

    @Override
    public synchronized List<Shard> shards(String jobId) {
        return shards.values().stream().filter(s -> s.jobId().equals(jobId)).toList();
    }

    @Override
    public synchronized Optional<Shard> updateShard(Shard current, Shard next) {
        Shard stored = shards.get(current.id());
        if (stored == null || stored.version() != current.version()) {
            return Optional.empty();
        }
        Shard updated = next.withVersion(current.version() + 1);
        shards.put(current.id(), updated);
        return Optional.of(updated);
    }

    @Override
    public synchronized boolean completeShard(Shard current, Shard completed, Shard child) {
        throw new UnsupportedOperationException("not used by poll");
    }

    @Override
    public synchronized List<Shard> dueShards(Instant now, int limit) {
        return new ArrayList<>(shards.values()).stream().filter(s -> s.dueAt() != null && !s.dueAt().isAfter(now))
                .sorted(Comparator.comparing(Shard::dueAt).thenComparing(Shard::id)).limit(limit).toList();
    }

    private final Map<String, dev.batchlane.core.job.IngestProgress> progress = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public boolean recordIngestProgress(String jobId, dev.batchlane.core.job.IngestProgress p) {
        // The same condition as the DynamoDB store: a report never replaces a later one.
        dev.batchlane.core.job.IngestProgress before = progress.get(jobId);
        if (before != null && before.updatedAt().isAfter(p.updatedAt())) {
            return false;
        }
        progress.put(jobId, p);
        return true;
    }

    @Override
    public java.util.Optional<dev.batchlane.core.job.IngestProgress> ingestProgress(String jobId) {
        return java.util.Optional.ofNullable(progress.get(jobId));
    }

    /** Admission pools: shard id → (tokens, admitted at), and the limits learned. */
    final Map<String, Map<String, long[]>> pools = new HashMap<>();
    final Map<String, Long> learned = new HashMap<>();

    @Override
    public synchronized boolean admit(String pool, String shardId, long tokens, long limit, Instant now,
            Instant staleBefore) {
        Map<String, long[]> held = pools.computeIfAbsent(pool, p -> new HashMap<>());
        held.values().removeIf(e -> e[1] < staleBefore.toEpochMilli());
        if (held.containsKey(shardId)) {
            return true;
        }
        long effective = Math.min(limit > 0 ? limit : Long.MAX_VALUE, learned.getOrDefault(pool, Long.MAX_VALUE));
        long sum = held.values().stream().mapToLong(e -> e[0]).sum();
        if (!held.isEmpty() && sum + tokens > effective) {
            return false;
        }
        held.put(shardId, new long[] {tokens, now.toEpochMilli()});
        return true;
    }

    @Override
    public synchronized void release(String pool, String shardId) {
        Map<String, long[]> held = pools.get(pool);
        if (held != null) {
            held.remove(shardId);
        }
    }

    @Override
    public synchronized void learnLimit(String pool, long limit, Instant now) {
        learned.put(pool, limit);
    }

    @Override
    public synchronized java.util.OptionalLong learnedLimit(String pool) {
        Long l = learned.get(pool);
        return l == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(l);
    }
}
