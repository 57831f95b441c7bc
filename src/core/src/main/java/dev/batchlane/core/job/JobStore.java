package dev.batchlane.core.job;

import dev.batchlane.core.lane.AdmissionPools;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Durable state of jobs and shards. Every state change is conditional: a method returns {@code
 * false} when the record changed under the caller (someone else acted first), and never overwrites
 * that change. A job store keeps a job's ingest ledger ({@link IngestLedger}) and the admission
 * pools ({@link AdmissionPools}, whose rule is {@link dev.batchlane.core.lane.AdmissionBudget}'s)
 * too, and the lane's registry of batches ({@link BatchRegistry}): one port to wire, four to depend
 * on.
 */
public interface JobStore extends IngestLedger, AdmissionPools, BatchRegistry {

    /** Creates the job unless a job with that id exists. */
    boolean createJob(Job job);

    Optional<Job> job(String jobId);

    /**
     * Moves a job from INGESTING to RUNNING once its input shards are submitted, adding their
     * number to the shards to wait for (child shards of early finishers may already be counted).
     */
    boolean markRunning(String jobId, int shardCount, Instant now);

    /** Moves a job from RUNNING to COMPLETED and records where its manifest is. */
    boolean markCompleted(String jobId, String manifestKey, Instant now);

    /**
     * Claims the right to send the job's completion event: true for exactly one caller while the
     * job is RUNNING and no claim younger than {@code staleBefore} exists (a claim at or before
     * {@code staleBefore} is taken to belong to a dead invocation and may be taken over). Records
     * {@code now} as the claim's time. False when someone else holds a live claim, the job is
     * already COMPLETED, or it is unknown.
     */
    boolean claimCompletionEvent(String jobId, Instant now, Instant staleBefore);

    /**
     * Records that the job's owner asked to cancel it, once, while it is still running; false when
     * it was already asked, or the job is finished or unknown.
     */
    boolean requestCancel(String jobId, Instant now);

    /**
     * Asks complete to finish the job (manifest, cleanup, event) while it is RUNNING: the store
     * makes the request visible to complete's trigger (on AWS, a new attribute on the job item that
     * the stream's filter passes). For a job whose shards all completed before it was marked
     * running, or whose finish failed after its last shard completed. False when the job is not
     * RUNNING.
     */
    boolean requestFinish(String jobId, Instant now);

    /** Creates the shard record unless it exists. */
    boolean createShard(Shard shard);

    Optional<Shard> shard(String jobId, int index);

    List<Shard> shards(String jobId);

    /**
     * Replaces {@code current} by {@code next} if the stored version still equals {@code
     * current.version()}; returns what was stored (its version one higher), or empty when someone
     * else changed the shard first.
     */
    Optional<Shard> updateShard(Shard current, Shard next);

    /**
     * Atomically moves an ENDED shard to COMPLETED (version-checked), counts it on its job, and —
     * when {@code child} is not null — creates the child shard and counts it as one more shard to
     * wait for, so a crash can never leave one of these done without the others. Returns false only
     * when the shard is no longer ENDED at {@code current}'s version (someone else moved it);
     * anything else that stops the write (throttling, a conflicting transaction, a missing job, an
     * item too large, a validation error) is thrown, so the caller's event is retried.
     */
    boolean completeShard(Shard current, Shard completed, Shard child);

    /**
     * Shards whose dueAt is at or before {@code now}, oldest first, read from the sparse due-index.
     */
    List<Shard> dueShards(Instant now, int limit);
}
