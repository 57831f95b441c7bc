package dev.batchlane.core.testkit;

import dev.batchlane.core.job.IngestFailure;
import dev.batchlane.core.job.IngestProgress;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.AdmissionPool;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The job store in memory, with the conditions of the DynamoDB store and none of its durability:
 * create-if-absent, status-checked job transitions, version-checked shard writes (a created shard
 * is version 1), the all-or-nothing completion of a shard with its child, the completion-event
 * claim with its staleness, and the admission pools. {@code JobStoreContract} runs the same cases
 * against this and the DynamoDB store, so the two cannot drift apart.
 *
 * <p>Every method is synchronized: one lock stands in for DynamoDB's per-item atomicity, which is
 * stricter, never looser, than what the lane relies on.
 */
public class InMemoryJobStore implements JobStore {
    private final Map<String, Job> jobs = new HashMap<>();

    /** Keyed by {@link Shard#id()}, so a job's shards come out in index order. */
    private final TreeMap<String, Shard> shards = new TreeMap<>();

    private final Map<String, Instant> completionEventClaims = new HashMap<>();
    private final Map<String, Integer> finishRequests = new HashMap<>();
    private final Map<String, String> inputs = new HashMap<>();
    private final Map<String, IngestFailure> ingestFailures = new HashMap<>();
    private final Map<String, IngestProgress> progress = new HashMap<>();

    /** Admission pools by name, each as last written. */
    private final Map<String, AdmissionPool> pools = new HashMap<>();

    // ---- jobs ----

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
        jobs.put(
                jobId,
                j.toBuilder()
                        .status(JobStatus.RUNNING)
                        .shardCount(j.shardCount() + shardCount)
                        .submittedAt(now)
                        .build());
        return true;
    }

    @Override
    public synchronized boolean markCompleted(String jobId, String manifestKey, Instant now) {
        Job j = jobs.get(jobId);
        if (j == null || j.status() != JobStatus.RUNNING) {
            return false;
        }
        jobs.put(
                jobId,
                j.toBuilder()
                        .status(JobStatus.COMPLETED)
                        .completedAt(now)
                        .resultKey(manifestKey)
                        .build());
        return true;
    }

    @Override
    public synchronized boolean claimCompletionEvent(
            String jobId, Instant now, Instant staleBefore) {
        Job j = jobs.get(jobId);
        Instant claimed = completionEventClaims.get(jobId);
        if (j == null
                || j.status() != JobStatus.RUNNING
                || (claimed != null && claimed.isAfter(staleBefore))) {
            return false;
        }
        completionEventClaims.put(jobId, now);
        return true;
    }

    @Override
    public synchronized boolean requestCancel(String jobId, Instant now) {
        Job j = jobs.get(jobId);
        if (j == null
                || j.cancelRequested()
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

    /**
     * How often the job's finish was asked for (on AWS, how often complete's trigger fired for it).
     */
    public synchronized int finishRequests(String jobId) {
        return finishRequests.getOrDefault(jobId, 0);
    }

    // ---- inputs and ingest records ----

    @Override
    public synchronized Optional<String> claimInput(
            String bucket, String key, String sha256, String jobId, String replacing) {
        String k = bucket + "/" + key + "#" + sha256;
        String held = inputs.get(k);
        if (held == null || held.equals(jobId) || held.equals(replacing)) {
            inputs.put(k, jobId);
            return Optional.empty();
        }
        return Optional.of(held);
    }

    @Override
    public synchronized void recordIngestFailure(IngestFailure f) {
        IngestFailure before = ingestFailures.get(f.jobId());
        ingestFailures.put(
                f.jobId(),
                new IngestFailure(
                        f.jobId(),
                        f.bucket(),
                        f.key(),
                        f.identity(),
                        f.size(),
                        (before == null ? 0 : before.attempts()) + 1,
                        f.error(),
                        f.at()));
    }

    @Override
    public synchronized Optional<IngestFailure> ingestFailure(String jobId) {
        return Optional.ofNullable(ingestFailures.get(jobId));
    }

    @Override
    public synchronized void clearIngestFailure(String jobId) {
        ingestFailures.remove(jobId);
    }

    @Override
    public synchronized boolean recordIngestProgress(String jobId, IngestProgress p) {
        IngestProgress before = progress.get(jobId);
        if (before != null && before.updatedAt().isAfter(p.updatedAt())) {
            return false;
        }
        progress.put(jobId, p);
        return true;
    }

    @Override
    public synchronized Optional<IngestProgress> ingestProgress(String jobId) {
        return Optional.ofNullable(progress.get(jobId));
    }

    // ---- shards ----

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
        return List.copyOf(shards.subMap(jobId + "/", jobId + "/\uffff").values());
    }

    @Override
    public synchronized Optional<Shard> updateShard(Shard current, Shard next) {
        Shard stored = shards.get(current.id());
        if (stored == null || stored.version() != current.version()) {
            return Optional.empty();
        }
        Shard written = next.withVersion(current.version() + 1);
        shards.put(current.id(), written);
        return Optional.of(written);
    }

    /**
     * All or nothing, like the DynamoDB transaction: the shard must still be ENDED at {@code
     * current}'s version (else false), the job must exist and the child must not (else thrown,
     * nothing written).
     */
    @Override
    public synchronized boolean completeShard(Shard current, Shard completed, Shard child) {
        Shard stored = shards.get(current.id());
        if (stored == null
                || stored.version() != current.version()
                || stored.status() != ShardStatus.ENDED) {
            return false;
        }
        Job j = jobs.get(current.jobId());
        if (j == null) {
            throw new IllegalStateException(
                    "job "
                            + current.jobId()
                            + " has no record; shard "
                            + current.id()
                            + " cannot be counted on it (the transaction is cancelled)");
        }
        if (child != null && shards.containsKey(child.id())) {
            throw new IllegalStateException(
                    "child shard "
                            + child.id()
                            + " exists already while shard "
                            + current.id()
                            + " is still ENDED (the transaction is cancelled)");
        }
        shards.put(current.id(), completed.withVersion(current.version() + 1));
        if (child != null) {
            shards.put(child.id(), child.withVersion(1));
        }
        jobs.put(
                j.jobId(),
                j.toBuilder()
                        .shardsCompleted(j.shardsCompleted() + 1)
                        .shardCount(j.shardCount() + (child == null ? 0 : 1))
                        .build());
        return true;
    }

    @Override
    public synchronized List<Shard> dueShards(Instant now, int limit) {
        List<Shard> due = new ArrayList<>();
        for (Shard s : shards.values()) {
            if (s.timeline().dueAt() != null && !s.timeline().dueAt().isAfter(now)) {
                due.add(s);
            }
        }
        due.sort(Comparator.comparing((Shard s) -> s.timeline().dueAt()).thenComparing(Shard::id));
        return due.size() > limit ? List.copyOf(due.subList(0, limit)) : due;
    }

    // ---- admission pools ----

    @Override
    public synchronized AdmissionPool pool(String name) {
        return pools.getOrDefault(name, AdmissionPool.empty(name));
    }

    @Override
    public synchronized boolean replacePool(AdmissionPool current, AdmissionPool next) {
        if (!next.name().equals(current.name()) || next.version() != current.version() + 1) {
            throw new IllegalArgumentException(
                    "pool "
                            + current.name()
                            + ": the next pool must be the same pool one version on");
        }
        long stored = pools.containsKey(current.name()) ? pools.get(current.name()).version() : 0;
        if (stored != current.version()) {
            return false;
        }
        pools.put(current.name(), next);
        return true;
    }

    // ---- the lane's batch registry ----

    private final Map<String, BatchOwner> batchOwners = new HashMap<>();

    @Override
    public synchronized boolean recordBatch(
            String provider, String batchId, String jobId, int shardIndex, Instant now) {
        BatchOwner first =
                batchOwners.putIfAbsent(
                        provider + "/" + batchId, new BatchOwner(jobId, shardIndex));
        return first == null || first.is(jobId, shardIndex);
    }

    @Override
    public synchronized Optional<BatchOwner> batchOwner(String provider, String batchId) {
        return Optional.ofNullable(batchOwners.get(provider + "/" + batchId));
    }
}
