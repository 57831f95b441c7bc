package dev.batchlane.core.lane;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One admission pool as a store holds it: the shards admitted to it with their tokens and when they
 * were admitted, the limit the provider stated (null when none was learned), and the version every
 * write checks. A pool no store holds yet is {@link #empty} at version 0. It is a value: {@link
 * AdmissionBudget} decides on it and hands a store the next one to write back conditionally.
 *
 * @param held admitted shard id → its admission, in admission order
 * @param head the shard that has waited longest for room, whose tokens later shards leave room for
 *     so a stream of new jobs cannot starve it (null when none waits)
 */
public record AdmissionPool(
        String name, Map<String, Admission> held, Long learnedLimit, Waiting head, long version) {

    /**
     * The longest-waiting shard: its tokens, when its wait began, and when it last asked. A head
     * that stops asking (its job was cancelled, its shard ended another way) lapses, so a pool is
     * never held for a shard that no longer wants room.
     */
    public record Waiting(String shardId, long tokens, Instant since, Instant seenAt) {
        public Waiting {
            Objects.requireNonNull(shardId, "shardId");
            Objects.requireNonNull(since, "since");
            Objects.requireNonNull(seenAt, "seenAt");
        }
    }

    /** A pool without a waiting head. */
    public AdmissionPool(
            String name, Map<String, Admission> held, Long learnedLimit, long version) {
        this(name, held, learnedLimit, null, version);
    }

    /** One admitted shard: the input tokens it enqueues, and when it was admitted. */
    public record Admission(long tokens, Instant at) {
        public Admission {
            Objects.requireNonNull(at, "at");
        }
    }

    public AdmissionPool {
        Objects.requireNonNull(name, "name");
        held = Collections.unmodifiableMap(new LinkedHashMap<>(held));
        if (version < 0) {
            throw new IllegalArgumentException(
                    "pool " + name + ": version must not be negative, was " + version);
        }
    }

    /** A pool nothing was ever admitted to, not yet stored. */
    public static AdmissionPool empty(String name) {
        return new AdmissionPool(name, Map.of(), null, null, 0);
    }

    /** Whether a store holds this pool (a write must then match its version). */
    public boolean stored() {
        return version > 0;
    }

    /** The same pool with {@code held} and {@code learnedLimit}, its head kept, one version on. */
    AdmissionPool next(Map<String, Admission> nextHeld, Long nextLearned) {
        return new AdmissionPool(name, nextHeld, nextLearned, head, version + 1);
    }

    /** The same pool with {@code held} and {@code nextHead} (null: none), one version on. */
    AdmissionPool next(Map<String, Admission> nextHeld, Waiting nextHead) {
        return new AdmissionPool(name, nextHeld, learnedLimit, nextHead, version + 1);
    }
}
