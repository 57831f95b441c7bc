package dev.batchlane.bench;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A {@link JobStore} in memory, for the benchmark only: the same conditional semantics as the
 * DynamoDB one (version-checked shard updates, create-if-absent), none of its durability. A job
 * has a few dozen records at most, so its cost is nothing next to reading gigabytes.
 */
final class MemoryJobStore implements JobStore {
    private final Map<String, Job> jobs = new TreeMap<>();
    private final Map<String, Shard> shards = new TreeMap<>();

    private static String key(String jobId, int index) {
        return jobId + "/" + Shard.partName(index);
    }

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
        jobs.put(jobId, with(j, JobStatus.RUNNING, j.shardCount() + shardCount, j.shardsCompleted(), now, null, null,
                j.cancelRequested()));
        return true;
    }

    @Override
    public synchronized boolean markCompleted(String jobId, String manifestKey, Instant now) {
        Job j = jobs.get(jobId);
        if (j == null || j.status() != JobStatus.RUNNING) {
            return false;
        }
        jobs.put(jobId, with(j, JobStatus.COMPLETED, j.shardCount(), j.shardsCompleted(), j.submittedAt(), now,
                manifestKey, j.cancelRequested()));
        return true;
    }

    private final Map<String, Instant> completionEventClaims = new java.util.HashMap<>();

    @Override
    public synchronized boolean claimCompletionEvent(String jobId, Instant now, Instant staleBefore) {
        Job j = jobs.get(jobId);
        Instant claimed = completionEventClaims.get(jobId);
        if (j == null || j.status() != JobStatus.RUNNING || (claimed != null && claimed.isAfter(staleBefore))) {
            return false;
        }
        completionEventClaims.put(jobId, now);
        return true;
    }

    @Override
    public synchronized boolean requestCancel(String jobId, Instant now) {
        Job j = jobs.get(jobId);
        if (j == null || j.cancelRequested() || j.status() == JobStatus.COMPLETED) {
            return false;
        }
        jobs.put(jobId, with(j, j.status(), j.shardCount(), j.shardsCompleted(), j.submittedAt(), j.completedAt(),
                j.resultKey(), true));
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
        return shards.putIfAbsent(key(shard.jobId(), shard.index()), shard) == null;
    }

    @Override
    public synchronized Optional<Shard> shard(String jobId, int index) {
        return Optional.ofNullable(shards.get(key(jobId, index)));
    }

    @Override
    public synchronized List<Shard> shards(String jobId) {
        List<Shard> out = new ArrayList<>();
        for (Shard s : shards.values()) {
            if (s.jobId().equals(jobId)) {
                out.add(s);
            }
        }
        out.sort(Comparator.comparingInt(Shard::index));
        return out;
    }

    @Override
    public synchronized Optional<Shard> updateShard(Shard current, Shard next) {
        String k = key(current.jobId(), current.index());
        Shard stored = shards.get(k);
        if (stored == null || stored.version() != current.version()) {
            return Optional.empty();
        }
        Shard written = next.withVersion(current.version() + 1);
        shards.put(k, written);
        return Optional.of(written);
    }

    @Override
    public synchronized boolean completeShard(Shard current, Shard completed, Shard child) {
        if (updateShard(current, completed).isEmpty()) {
            return false;
        }
        Job j = jobs.get(current.jobId());
        int extra = 0;
        if (child != null && createShard(child)) {
            extra = 1;
        }
        jobs.put(j.jobId(), with(j, j.status(), j.shardCount() + extra, j.shardsCompleted() + 1, j.submittedAt(),
                j.completedAt(), j.resultKey(), j.cancelRequested()));
        return true;
    }

    @Override
    public synchronized List<Shard> dueShards(Instant now, int limit) {
        return shards.values().stream().filter(s -> s.dueAt() != null && !s.dueAt().isAfter(now))
                .sorted(Comparator.comparing(Shard::dueAt)).limit(limit).toList();
    }

    private static Job with(Job j, JobStatus status, int shardCount, int shardsCompleted, Instant submittedAt,
            Instant completedAt, String resultKey, boolean cancel) {
        return j.toBuilder().status(status).shardCount(shardCount).shardsCompleted(shardsCompleted)
                .submittedAt(submittedAt).completedAt(completedAt).resultKey(resultKey).cancelRequested(cancel).build();
    }

    private final Map<String, dev.batchlane.core.job.IngestProgress> progress = new java.util.HashMap<>();

    @Override
    public synchronized boolean recordIngestProgress(String jobId, dev.batchlane.core.job.IngestProgress p) {
        var before = progress.get(jobId);
        if (before != null && before.updatedAt().isAfter(p.updatedAt())) {
            return false;
        }
        progress.put(jobId, p);
        return true;
    }

    @Override
    public synchronized Optional<dev.batchlane.core.job.IngestProgress> ingestProgress(String jobId) {
        return Optional.ofNullable(progress.get(jobId));
    }
}
