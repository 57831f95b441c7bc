package dev.batchlane.core.job;

import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.RunMode;
import dev.batchlane.core.provider.Submission;
import java.time.Instant;
import java.util.Objects;

/**
 * One provider batch of a job. {@code version} is the optimistic-lock counter every conditional
 * write checks; {@code dueAt} is non-null only while poll should look at the shard, which keeps the
 * due-index sparse. {@code depth} is 0 for a shard cut from the input and n for the n-th
 * resubmission of requests that failed for a passing reason. {@code trouble} is what poll last
 * found wrong with the shard (null while it is healthy; any forward step clears it), kept on the
 * shard item itself so a job with many troubled shards never grows one unbounded item. {@code
 * claimedAt} is when a complete invocation claimed the shard (null when none holds it): see {@link
 * #COMPLETE_LEASE}. {@code inputTokens} is ingest's estimate of what the shard enqueues at the
 * provider (the admission budget counts it); {@code attempt} is a creating call that may have taken
 * effect and is looked for before any new one; {@code queueWait} is how long the shard waited for
 * the provider's queue. {@code batchState} is what the adapter last decided the batch's state is
 * (null before there is a batch) and {@code runMode} how its requests run; the lane decides on
 * these, while {@code providerStatus}, the provider's own word, is kept for people.
 *
 * <p>A shard changes through its named transitions ({@link #submitted}, {@link #ended}, …); one is
 * made with {@link #staged} or, naming every component, {@link #builder(String, int)}. With
 * twenty-nine components, a positional constructor call is never the readable way.
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
        ShardTrouble trouble,
        Instant claimedAt,
        long inputTokens,
        CreationAttempt attempt,
        QueueWait queueWait,
        BatchState batchState,
        RunMode runMode) {

    /**
     * Child shards are numbered apart from input shards: the n-th resubmission of shard i is i + n
     * × this.
     */
    public static final int CHILD_STRIDE = 100_000;

    /**
     * How long a complete invocation's claim on an ENDED shard protects it: longer than the longest
     * Lambda invocation (15 minutes), so a claim older than this belongs to an invocation that is
     * gone, and poll may hand the shard to complete again.
     */
    public static final java.time.Duration COMPLETE_LEASE = java.time.Duration.ofMinutes(20);

    public Shard {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(status, "status");
        if (providerCounts == null) {
            providerCounts = BatchCounts.NONE;
        }
        if (queueWait == null) {
            queueWait = QueueWait.NONE;
        }
        if (runMode == null) {
            runMode = RunMode.BATCH;
        }
    }

    public static Shard staged(
            String jobId,
            int index,
            String provider,
            String stagingKey,
            long requestCount,
            long bytes) {
        return staged(jobId, index, provider, stagingKey, requestCount, bytes, 0, null);
    }

    public static Shard staged(
            String jobId,
            int index,
            String provider,
            String stagingKey,
            long requestCount,
            long bytes,
            int depth,
            Instant dueAt) {
        return builder(jobId, index)
                .provider(provider)
                .stagingKey(stagingKey)
                .requestCount(requestCount)
                .bytes(bytes)
                .depth(depth)
                .dueAt(dueAt)
                .build();
    }

    /**
     * The same shard with ingest's estimate of the input tokens it will enqueue at the provider.
     */
    public Shard withInputTokens(long tokens) {
        Builder b = toBuilder();
        b.inputTokens = tokens;
        return b.build();
    }

    /**
     * A creating call is about to start (or started and was not answered): see {@link
     * CreationAttempt}.
     */
    public Shard withAttempt(CreationAttempt next) {
        Builder b = toBuilder();
        b.attempt = next;
        return b.build();
    }

    /**
     * Back to STAGED to wait for the provider's queue, due again at {@code due}; its upload (if
     * any) is kept, so the next submission reuses it.
     */
    public Shard waiting(String why, Instant now, Instant due) {
        Builder b = toBuilder().status(ShardStatus.STAGED).dueAt(due);
        b.queueWait = queueWait.heldBack(now, why);
        return b.build();
    }

    /**
     * A batch the provider failed because its queue was full (not because of its input): the batch
     * is forgotten, the input file kept, and the shard waits to be submitted again.
     */
    public Shard requeued(String why, Instant now, Instant due) {
        Builder b = toBuilder().status(ShardStatus.STAGED).dueAt(due);
        b.batchId = null;
        b.batchState = null;
        b.runMode = RunMode.BATCH;
        b.providerStatus = why;
        b.submittedAt = null;
        b.pollCount = 0;
        b.queueWait = queueWait.heldBack(now, why);
        return b.build();
    }

    /**
     * The index of this shard's child shard (its resubmitted requests): deterministic, so a rerun
     * of complete finds the same one.
     */
    public int childIndex() {
        return index % CHILD_STRIDE + (depth + 1) * CHILD_STRIDE;
    }

    public String id() {
        return jobId + "/" + partName(index);
    }

    public static String partName(int index) {
        return String.format("%05d", index);
    }

    public Shard withStatus(ShardStatus next) {
        return toBuilder().status(next).build();
    }

    public Shard withDue(Instant due) {
        return toBuilder().dueAt(due).build();
    }

    public Shard withInputFile(String inputFileId) {
        Builder b = toBuilder();
        b.inputFileId = inputFileId;
        return b.build();
    }

    public Shard withVersion(long nextVersion) {
        return toBuilder().version(nextVersion).build();
    }

    /** Taken by the provider as {@code s}; poll follows it from {@code dueAt}. */
    public Shard submitted(Submission s, Instant now, Instant dueAt) {
        Builder b = toBuilder().status(ShardStatus.SUBMITTED).dueAt(dueAt);
        b.batchId = s.batchId();
        b.inputFileId = s.inputFileId();
        b.providerStatus = s.providerStatus();
        b.batchState = s.state();
        b.runMode = s.runMode();
        b.pollCount = 0;
        b.submittedAt = now;
        // A new batch has not ended: an endedAt left from an earlier batch would read as an
        // interrupted re-drive.
        b.endedAt = null;
        b.trouble = null;
        b.attempt = null;
        b.queueWait = queueWait.ended(now);
        return b.build();
    }

    /** Still running as {@code view} says; due again at {@code dueAt}. */
    public Shard polled(BatchView view, Instant dueAt) {
        Builder b = toBuilder().dueAt(dueAt);
        b.providerStatus = view.providerStatus();
        b.batchState = view.state();
        b.providerCounts = view.counts();
        b.pollCount = pollCount + 1;
        b.trouble = null;
        return b.build();
    }

    /** Its batch ended as {@code view} says (a terminal state). */
    public Shard ended(BatchView view, Instant now) {
        return ended(
                view.state(),
                view.providerStatus(),
                view.counts(),
                view.outputFileId(),
                view.errorFileId(),
                view.error(),
                now);
    }

    /**
     * Ended in {@code state}; {@code providerStatus} is the word people read for it (the
     * provider's, or the lane's own for a shard that ended without a batch: cancelled before it was
     * sent, refused by the provider).
     */
    public Shard ended(
            BatchState state,
            String providerStatus,
            BatchCounts counts,
            String outputFileId,
            String errorFileId,
            String batchError,
            Instant now) {
        Objects.requireNonNull(state, "state");
        Builder b = toBuilder().status(ShardStatus.ENDED).dueAt(null);
        b.batchState = state;
        b.providerStatus = providerStatus;
        b.providerCounts = counts;
        b.outputFileId = outputFileId;
        b.errorFileId = errorFileId;
        b.batchError = batchError;
        b.pollCount = pollCount + 1;
        b.endedAt = now;
        b.trouble = null;
        b.attempt = null;
        b.queueWait = queueWait.ended(now);
        return b.build();
    }

    public Shard completed(ShardResult result, Instant now) {
        Builder b = toBuilder().status(ShardStatus.COMPLETED).dueAt(null);
        b.result = result;
        b.completedAt = now;
        b.trouble = null;
        b.claimedAt = null;
        return b.build();
    }

    /** This shard with {@code trouble} recorded (null clears it); nothing else changes. */
    public Shard withTrouble(ShardTrouble next) {
        Builder b = toBuilder();
        b.trouble = next;
        return b.build();
    }

    /**
     * Claimed by a complete invocation at {@code now}; due again only once the claim's lease is
     * over.
     */
    public Shard claimed(Instant now) {
        Builder b = toBuilder().dueAt(now.plus(COMPLETE_LEASE));
        b.claimedAt = now;
        return b.build();
    }

    /**
     * The claim given back by a complete invocation that failed, so the stream's retry can take it
     * at once.
     */
    public Shard released() {
        Builder b = toBuilder();
        b.claimedAt = null;
        return b.build();
    }

    /**
     * Whether a complete invocation holds a claim on this shard that is still within its lease at
     * {@code now}.
     */
    public boolean claimLive(Instant now) {
        return claimedAt != null && claimedAt.plus(COMPLETE_LEASE).isAfter(now);
    }

    /**
     * The first half of handing an ENDED shard to complete again: the stream delivers a shard to
     * complete only when it moves into ENDED, so poll moves it out (this) and back in ({@link
     * #redriven}). A shard left half-way by a crash is recognisable (SUBMITTED with an {@code
     * endedAt}) and due at once, so the next poll finishes the move.
     */
    public Shard redriving(Instant now) {
        Builder b = toBuilder().status(ShardStatus.SUBMITTED).dueAt(now);
        b.claimedAt = null;
        return b.build();
    }

    /**
     * The second half of a re-drive: ENDED again, as it ended, due after {@code grace} in case
     * complete fails again.
     */
    public Shard redriven(Instant dueAgain) {
        return toBuilder().status(ShardStatus.ENDED).dueAt(dueAgain).build();
    }

    /**
     * A SUBMITTED shard whose batch already ended: a re-drive was interrupted between its two
     * writes.
     */
    public boolean redriveInterrupted() {
        return status == ShardStatus.SUBMITTED && endedAt != null;
    }

    /** A STAGED shard with nothing else set; name each component that differs. */
    public static Builder builder(String jobId, int index) {
        return new Builder(jobId, index);
    }

    /** A builder holding every component of this shard, to change a few of them. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Named setters for every component. The transitions above use it so each names only what it
     * changes; the stores use it to read an item back.
     */
    public static final class Builder {
        private final String jobId;
        private final int index;
        private ShardStatus status = ShardStatus.STAGED;
        private String provider;
        private String stagingKey;
        private long requestCount;
        private long bytes;
        private String batchId;
        private String inputFileId;
        private String outputFileId;
        private String errorFileId;
        private String providerStatus;
        private BatchCounts providerCounts = BatchCounts.NONE;
        private String batchError;
        private int pollCount;
        private Instant dueAt;
        private Instant submittedAt;
        private Instant endedAt;
        private Instant completedAt;
        private ShardResult result;
        private long version;
        private int depth;
        private ShardTrouble trouble;
        private Instant claimedAt;
        private long inputTokens;
        private CreationAttempt attempt;
        private QueueWait queueWait = QueueWait.NONE;
        private BatchState batchState;
        private RunMode runMode = RunMode.BATCH;

        private Builder(String jobId, int index) {
            this.jobId = jobId;
            this.index = index;
        }

        private Builder(Shard s) {
            jobId = s.jobId;
            index = s.index;
            status = s.status;
            provider = s.provider;
            stagingKey = s.stagingKey;
            requestCount = s.requestCount;
            bytes = s.bytes;
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
            depth = s.depth;
            trouble = s.trouble;
            claimedAt = s.claimedAt;
            inputTokens = s.inputTokens;
            attempt = s.attempt;
            queueWait = s.queueWait;
            batchState = s.batchState;
            runMode = s.runMode;
        }

        public Builder status(ShardStatus v) {
            status = v;
            return this;
        }

        public Builder provider(String v) {
            provider = v;
            return this;
        }

        public Builder stagingKey(String v) {
            stagingKey = v;
            return this;
        }

        public Builder requestCount(long v) {
            requestCount = v;
            return this;
        }

        public Builder bytes(long v) {
            bytes = v;
            return this;
        }

        public Builder batchId(String v) {
            batchId = v;
            return this;
        }

        public Builder inputFileId(String v) {
            inputFileId = v;
            return this;
        }

        public Builder outputFileId(String v) {
            outputFileId = v;
            return this;
        }

        public Builder errorFileId(String v) {
            errorFileId = v;
            return this;
        }

        public Builder providerStatus(String v) {
            providerStatus = v;
            return this;
        }

        public Builder providerCounts(BatchCounts v) {
            providerCounts = v;
            return this;
        }

        public Builder batchError(String v) {
            batchError = v;
            return this;
        }

        public Builder pollCount(int v) {
            pollCount = v;
            return this;
        }

        public Builder dueAt(Instant v) {
            dueAt = v;
            return this;
        }

        public Builder submittedAt(Instant v) {
            submittedAt = v;
            return this;
        }

        public Builder endedAt(Instant v) {
            endedAt = v;
            return this;
        }

        public Builder completedAt(Instant v) {
            completedAt = v;
            return this;
        }

        public Builder result(ShardResult v) {
            result = v;
            return this;
        }

        public Builder version(long v) {
            version = v;
            return this;
        }

        public Builder depth(int v) {
            depth = v;
            return this;
        }

        public Builder trouble(ShardTrouble v) {
            trouble = v;
            return this;
        }

        public Builder claimedAt(Instant v) {
            claimedAt = v;
            return this;
        }

        public Builder inputTokens(long v) {
            inputTokens = v;
            return this;
        }

        public Builder attempt(CreationAttempt v) {
            attempt = v;
            return this;
        }

        public Builder queueWait(QueueWait v) {
            queueWait = v;
            return this;
        }

        public Builder batchState(BatchState v) {
            batchState = v;
            return this;
        }

        public Builder runMode(RunMode v) {
            runMode = v;
            return this;
        }

        public Shard build() {
            return new Shard(
                    jobId,
                    index,
                    status,
                    provider,
                    stagingKey,
                    requestCount,
                    bytes,
                    batchId,
                    inputFileId,
                    outputFileId,
                    errorFileId,
                    providerStatus,
                    providerCounts,
                    batchError,
                    pollCount,
                    dueAt,
                    submittedAt,
                    endedAt,
                    completedAt,
                    result,
                    version,
                    depth,
                    trouble,
                    claimedAt,
                    inputTokens,
                    attempt,
                    queueWait,
                    batchState,
                    runMode);
        }
    }
}
