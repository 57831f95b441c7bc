package dev.batchlane.core.job;

import java.time.Instant;
import java.util.Objects;

/**
 * One provider batch of a job. {@code version} is the optimistic-lock counter every conditional
 * write checks; {@code dueAt} is non-null only while poll should look at the shard, which keeps the
 * due-index sparse. {@code depth} is 0 for a shard cut from the input and n for the n-th resubmission
 * of requests that failed for a passing reason.
 */
public record Shard(
        String jobId,
        int index,
        ShardStatus status,
        String provider,
        String stagingKey,
        long requestCount,
        long bytes,
        String batchId,
        String inputFileId,
        String outputFileId,
        String errorFileId,
        String providerStatus,
        BatchCounts providerCounts,
        String batchError,
        int pollCount,
        Instant dueAt,
        Instant submittedAt,
        Instant endedAt,
        Instant completedAt,
        ShardResult result,
        long version,
        int depth,
        long inputTokens,
        CreationAttempt attempt,
        QueueWait queueWait) {

    /** Child shards are numbered apart from input shards: the n-th retry of shard i is i + n × this. */
    public static final int RETRY_STRIDE = 100_000;

    public Shard {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(status, "status");
        if (providerCounts == null) {
            providerCounts = BatchCounts.NONE;
        }
        if (queueWait == null) {
            queueWait = QueueWait.NONE;
        }
    }

    /** The shape before estimates, creation attempts and queue waits were recorded. */
    public Shard(String jobId, int index, ShardStatus status, String provider, String stagingKey, long requestCount,
            long bytes, String batchId, String inputFileId, String outputFileId, String errorFileId,
            String providerStatus, BatchCounts providerCounts, String batchError, int pollCount, Instant dueAt,
            Instant submittedAt, Instant endedAt, Instant completedAt, ShardResult result, long version, int depth) {
        this(jobId, index, status, provider, stagingKey, requestCount, bytes, batchId, inputFileId, outputFileId,
                errorFileId, providerStatus, providerCounts, batchError, pollCount, dueAt, submittedAt, endedAt,
                completedAt, result, version, depth, 0, null, QueueWait.NONE);
    }

    public static Shard staged(String jobId, int index, String provider, String stagingKey,
            long requestCount, long bytes) {
        return staged(jobId, index, provider, stagingKey, requestCount, bytes, 0, null);
    }

    public static Shard staged(String jobId, int index, String provider, String stagingKey, long requestCount,
            long bytes, int depth, Instant dueAt) {
        return new Shard(jobId, index, ShardStatus.STAGED, provider, stagingKey, requestCount, bytes, null, null, null,
                null, null, BatchCounts.NONE, null, 0, dueAt, null, null, null, null, 0, depth, 0, null,
                QueueWait.NONE);
    }

    /** The same shard with ingest's estimate of the input tokens it will enqueue at the provider. */
    public Shard withInputTokens(long tokens) {
        Builder b = builder();
        b.inputTokens = tokens;
        return b.build();
    }

    /** A creating call is about to start (or started and was not answered): see {@link CreationAttempt}. */
    public Shard withAttempt(CreationAttempt next) {
        Builder b = builder();
        b.attempt = next;
        return b.build();
    }

    /**
     * Back to STAGED to wait for the provider's queue, due again at {@code due}; its upload (if any)
     * is kept, so the next submission reuses it.
     */
    public Shard waiting(String why, Instant now, Instant due) {
        Builder b = builder().status(ShardStatus.STAGED).dueAt(due);
        b.queueWait = queueWait.heldBack(now, why);
        return b.build();
    }

    /**
     * A batch the provider failed because its queue was full (not because of its input): the batch
     * is forgotten, the input file kept, and the shard waits to be submitted again.
     */
    public Shard requeued(String why, Instant now, Instant due) {
        Builder b = builder().status(ShardStatus.STAGED).dueAt(due);
        b.batchId = null;
        b.providerStatus = why;
        b.submittedAt = null;
        b.pollCount = 0;
        b.queueWait = queueWait.heldBack(now, why);
        return b.build();
    }

    /** The index of this shard's retry shard: deterministic, so a rerun of complete finds the same one. */
    public int childIndex() {
        return index % RETRY_STRIDE + (depth + 1) * RETRY_STRIDE;
    }

    public String id() {
        return jobId + "/" + partName(index);
    }

    public static String partName(int index) {
        return String.format("%05d", index);
    }

    public Shard withStatus(ShardStatus next) {
        return builder().status(next).build();
    }

    public Shard withDue(Instant due) {
        return builder().dueAt(due).build();
    }

    public Shard withInputFile(String inputFileId) {
        Builder b = builder();
        b.inputFileId = inputFileId;
        return b.build();
    }

    public Shard withVersion(long nextVersion) {
        return builder().version(nextVersion).build();
    }

    public Shard submitted(String batchId, String inputFileId, String providerStatus, Instant now, Instant dueAt) {
        Builder b = builder().status(ShardStatus.SUBMITTED).dueAt(dueAt);
        b.batchId = batchId;
        b.inputFileId = inputFileId;
        b.providerStatus = providerStatus;
        b.pollCount = 0;
        b.submittedAt = now;
        b.attempt = null;
        b.queueWait = queueWait.ended(now);
        return b.build();
    }

    public Shard polled(String providerStatus, BatchCounts counts, Instant dueAt) {
        Builder b = builder().dueAt(dueAt);
        b.providerStatus = providerStatus;
        b.providerCounts = counts;
        b.pollCount = pollCount + 1;
        return b.build();
    }

    public Shard ended(String providerStatus, BatchCounts counts, String outputFileId, String errorFileId,
            String batchError, Instant now) {
        Builder b = builder().status(ShardStatus.ENDED).dueAt(null);
        b.providerStatus = providerStatus;
        b.providerCounts = counts;
        b.outputFileId = outputFileId;
        b.errorFileId = errorFileId;
        b.batchError = batchError;
        b.pollCount = pollCount + 1;
        b.endedAt = now;
        b.attempt = null;
        b.queueWait = queueWait.ended(now);
        return b.build();
    }

    public Shard completed(ShardResult result, Instant now) {
        Builder b = builder().status(ShardStatus.COMPLETED).dueAt(null);
        b.result = result;
        b.completedAt = now;
        return b.build();
    }

    private Builder builder() {
        return new Builder(this);
    }

    /** Copies every field, so each transition above names only what it changes. */
    private static final class Builder {
        private final Shard from;
        ShardStatus status;
        String batchId;
        String inputFileId;
        String outputFileId;
        String errorFileId;
        String providerStatus;
        BatchCounts providerCounts;
        String batchError;
        int pollCount;
        Instant dueAt;
        Instant submittedAt;
        Instant endedAt;
        Instant completedAt;
        ShardResult result;
        long version;
        long inputTokens;
        CreationAttempt attempt;
        QueueWait queueWait;

        Builder(Shard s) {
            from = s;
            status = s.status;
            batchId = s.batchId;
            inputFileId = s.inputFileId;
            outputFileId = s.outputFileId;
            errorFileId = s.errorFileId;
            providerStatus = s.providerStatus;
            providerCounts = s.providerCounts;
            batchError = s.batchError;
            pollCount = s.pollCount;
            dueAt = s.dueAt;
            submittedAt = s.submittedAt;
            endedAt = s.endedAt;
            completedAt = s.completedAt;
            result = s.result;
            version = s.version;
            inputTokens = s.inputTokens;
            attempt = s.attempt;
            queueWait = s.queueWait;
        }

        Builder status(ShardStatus s) {
            status = s;
            return this;
        }

        Builder dueAt(Instant d) {
            dueAt = d;
            return this;
        }

        Builder version(long v) {
            version = v;
            return this;
        }

        Shard build() {
            return new Shard(from.jobId, from.index, status, from.provider, from.stagingKey, from.requestCount,
                    from.bytes, batchId, inputFileId, outputFileId, errorFileId, providerStatus, providerCounts,
                    batchError, pollCount, dueAt, submittedAt, endedAt, completedAt, result, version, from.depth,
                    inputTokens, attempt, queueWait);
        }
    }
}
