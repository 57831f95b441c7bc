package dev.batchlane.core.job;

import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.Submission;
import java.time.Instant;
import java.util.Objects;

/**
 * One provider batch of a job. Its fields come in groups: {@link ShardInput}, the requests ingest
 * staged for it; {@link ProviderBatch}, the provider's batch as last seen; {@link ShardTimeline},
 * when things happen to it (among them {@code dueAt}, non-null only while poll should look at the
 * shard). {@code version} is the optimistic-lock counter every conditional write checks. {@code
 * depth} is 0 for a shard cut from the input and n for the n-th resubmission of requests that
 * failed for a passing reason. {@code trouble} is what poll last found wrong with the shard (null
 * while it is healthy; any forward step clears it), kept on the shard item itself so a job with
 * many troubled shards never grows one unbounded item. {@code attempt} is a creating call that may
 * have taken effect and is looked for before any new one; {@code queueWait} is how long the shard
 * waited for the provider's queue.
 *
 * <p>A shard changes through its named transitions ({@link #submitted}, {@link #ended}, …); one is
 * made with {@link #staged} or, naming each component, {@link #builder(String, int)}.
 */
public record Shard(
        String jobId,
        int index,
        ShardStatus status,
        String provider,
        ShardInput input,
        ProviderBatch batch,
        ShardTimeline timeline,
        ShardResult result,
        long version,
        int depth,
        ShardTrouble trouble,
        CreationAttempt attempt,
        QueueWait queueWait) {

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
        input = Objects.requireNonNullElse(input, ShardInput.NONE);
        batch = Objects.requireNonNullElse(batch, ProviderBatch.NONE);
        timeline = Objects.requireNonNullElse(timeline, ShardTimeline.NONE);
        queueWait = Objects.requireNonNullElse(queueWait, QueueWait.NONE);
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
                .input(new ShardInput(stagingKey, requestCount, bytes, 0))
                .depth(depth)
                .timeline(ShardTimeline.NONE.withDueAt(dueAt))
                .build();
    }

    /**
     * The same shard with ingest's estimate of the input tokens it will enqueue at the provider.
     */
    public Shard withInputTokens(long tokens) {
        return toBuilder().input(input.withInputTokens(tokens)).build();
    }

    /**
     * A creating call is about to start (or started and was not answered): see {@link
     * CreationAttempt}.
     */
    public Shard withAttempt(CreationAttempt next) {
        return toBuilder().attempt(next).build();
    }

    /**
     * Back to STAGED to wait for the provider's queue, due again at {@code due}; its upload (if
     * any) is kept, so the next submission reuses it.
     */
    public Shard waiting(String why, Instant now, Instant due) {
        return toBuilder()
                .status(ShardStatus.STAGED)
                .timeline(timeline.withDueAt(due))
                .queueWait(queueWait.heldBack(now, why))
                .build();
    }

    /**
     * A batch the provider failed because its queue was full (not because of its input): the batch
     * is forgotten, the input file kept, and the shard waits to be submitted again.
     */
    public Shard requeued(String why, Instant now, Instant due) {
        return toBuilder()
                .status(ShardStatus.STAGED)
                .batch(batch.requeued(why))
                .timeline(timeline.withDueAt(due).withSubmittedAt(null))
                .queueWait(queueWait.heldBack(now, why))
                .build();
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
        return toBuilder().timeline(timeline.withDueAt(due)).build();
    }

    /**
     * The shard's input file at the provider, uploaded at {@code uploadedAt} (both null: none, the
     * next submission uploads again).
     */
    public Shard withInputFile(String inputFileId, Instant uploadedAt) {
        return toBuilder()
                .batch(batch.withInputFile(inputFileId))
                .timeline(timeline.withUploadedAt(uploadedAt))
                .build();
    }

    public Shard withVersion(long nextVersion) {
        return toBuilder().version(nextVersion).build();
    }

    /** Taken by the provider as {@code s}; poll follows it from {@code dueAt}. */
    public Shard submitted(Submission s, Instant now, Instant dueAt) {
        return toBuilder()
                .status(ShardStatus.SUBMITTED)
                .batch(batch.submitted(s))
                // A new batch has not ended: an endedAt left from an earlier batch would read as an
                // interrupted re-drive.
                .timeline(timeline.withDueAt(dueAt).withSubmittedAt(now).withEndedAt(null))
                .trouble(null)
                .attempt(null)
                .queueWait(queueWait.ended(now))
                .build();
    }

    /** Still running as {@code view} says; due again at {@code dueAt}. */
    public Shard polled(BatchView view, Instant dueAt) {
        return toBuilder()
                .batch(batch.polled(view))
                .timeline(timeline.withDueAt(dueAt))
                .trouble(null)
                .build();
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
        ProviderBatch end =
                batch.ended(state, providerStatus, counts, outputFileId, errorFileId, batchError);
        return toBuilder()
                .status(ShardStatus.ENDED)
                .batch(end)
                .timeline(timeline.withDueAt(null).withEndedAt(now))
                .trouble(null)
                .attempt(null)
                .queueWait(queueWait.ended(now))
                .build();
    }

    public Shard completed(ShardResult result, Instant now) {
        return toBuilder()
                .status(ShardStatus.COMPLETED)
                .timeline(timeline.withDueAt(null).withCompletedAt(now).withClaimedAt(null))
                .result(result)
                .trouble(null)
                .build();
    }

    /** This shard with {@code trouble} recorded (null clears it); nothing else changes. */
    public Shard withTrouble(ShardTrouble next) {
        return toBuilder().trouble(next).build();
    }

    /**
     * Claimed by a complete invocation at {@code now}; due again only once the claim's lease is
     * over.
     */
    public Shard claimed(Instant now) {
        return toBuilder()
                .timeline(timeline.withDueAt(now.plus(COMPLETE_LEASE)).withClaimedAt(now))
                .build();
    }

    /**
     * The claim given back by a complete invocation that failed, so the stream's retry can take it
     * at once.
     */
    public Shard released() {
        return toBuilder().timeline(timeline.withClaimedAt(null)).build();
    }

    /**
     * Whether a complete invocation holds a claim on this shard that is still within its lease at
     * {@code now}.
     */
    public boolean claimLive(Instant now) {
        Instant claimedAt = timeline.claimedAt();
        return claimedAt != null && claimedAt.plus(COMPLETE_LEASE).isAfter(now);
    }

    /**
     * The first half of handing an ENDED shard to complete again: the stream delivers a shard to
     * complete only when it moves into ENDED, so poll moves it out (this) and back in ({@link
     * #redriven}). A shard left half-way by a crash is recognisable (SUBMITTED with an {@code
     * endedAt}) and due at once, so the next poll finishes the move.
     */
    public Shard redriving(Instant now) {
        return toBuilder()
                .status(ShardStatus.SUBMITTED)
                .timeline(timeline.withDueAt(now).withClaimedAt(null))
                .build();
    }

    /**
     * The second half of a re-drive: ENDED again, as it ended, due after {@code grace} in case
     * complete fails again.
     */
    public Shard redriven(Instant dueAgain) {
        return toBuilder().status(ShardStatus.ENDED).timeline(timeline.withDueAt(dueAgain)).build();
    }

    /**
     * A SUBMITTED shard whose batch already ended: a re-drive was interrupted between its two
     * writes.
     */
    public boolean redriveInterrupted() {
        return status == ShardStatus.SUBMITTED && timeline.endedAt() != null;
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
        private ShardInput input = ShardInput.NONE;
        private ProviderBatch batch = ProviderBatch.NONE;
        private ShardTimeline timeline = ShardTimeline.NONE;
        private ShardResult result;
        private long version;
        private int depth;
        private ShardTrouble trouble;
        private CreationAttempt attempt;
        private QueueWait queueWait = QueueWait.NONE;

        private Builder(String jobId, int index) {
            this.jobId = jobId;
            this.index = index;
        }

        private Builder(Shard s) {
            this(s.jobId, s.index);
            status = s.status;
            provider = s.provider;
            input = s.input;
            batch = s.batch;
            timeline = s.timeline;
            result = s.result;
            version = s.version;
            depth = s.depth;
            trouble = s.trouble;
            attempt = s.attempt;
            queueWait = s.queueWait;
        }

        public Builder status(ShardStatus v) {
            status = v;
            return this;
        }

        public Builder provider(String v) {
            provider = v;
            return this;
        }

        public Builder input(ShardInput v) {
            input = v;
            return this;
        }

        public Builder batch(ProviderBatch v) {
            batch = v;
            return this;
        }

        public Builder timeline(ShardTimeline v) {
            timeline = v;
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

        public Builder attempt(CreationAttempt v) {
            attempt = v;
            return this;
        }

        public Builder queueWait(QueueWait v) {
            queueWait = v;
            return this;
        }

        public Shard build() {
            return new Shard(
                    jobId, index, status, provider, input, batch, timeline, result, version, depth,
                    trouble, attempt, queueWait);
        }
    }
}
