package dev.batchlane.core.job;

import java.time.Instant;

/**
 * When things happen to a shard. {@code dueAt} is when poll should next look at it, non-null only
 * while poll should, which keeps the due-index sparse; {@code submittedAt} is when the provider
 * took its batch, {@code endedAt} when that batch ended and {@code completedAt} when complete
 * finished the shard; {@code claimedAt} is when a complete invocation claimed it (null when none
 * holds it: see {@link Shard#COMPLETE_LEASE}); {@code uploadedAt} is when the shard's input file
 * now at the provider was uploaded (null when there is none, or for shards recorded before it was
 * kept), so a file past the provider's lifetime is uploaded again rather than named in a create
 * that would fail. They are grouped because they are the shard's clock: each transition moves a few
 * of them at once, and none of them says anything about the work itself.
 */
public record ShardTimeline(
        Instant dueAt,
        Instant submittedAt,
        Instant endedAt,
        Instant completedAt,
        Instant claimedAt,
        Instant uploadedAt) {

    /** Nothing has happened yet, and poll has no reason to look. */
    public static final ShardTimeline NONE = new ShardTimeline(null, null, null, null, null, null);

    public ShardTimeline withDueAt(Instant at) {
        return new ShardTimeline(at, submittedAt, endedAt, completedAt, claimedAt, uploadedAt);
    }

    public ShardTimeline withSubmittedAt(Instant at) {
        return new ShardTimeline(dueAt, at, endedAt, completedAt, claimedAt, uploadedAt);
    }

    public ShardTimeline withEndedAt(Instant at) {
        return new ShardTimeline(dueAt, submittedAt, at, completedAt, claimedAt, uploadedAt);
    }

    public ShardTimeline withCompletedAt(Instant at) {
        return new ShardTimeline(dueAt, submittedAt, endedAt, at, claimedAt, uploadedAt);
    }

    public ShardTimeline withClaimedAt(Instant at) {
        return new ShardTimeline(dueAt, submittedAt, endedAt, completedAt, at, uploadedAt);
    }

    public ShardTimeline withUploadedAt(Instant at) {
        return new ShardTimeline(dueAt, submittedAt, endedAt, completedAt, claimedAt, at);
    }
}
