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
 */
public record AdmissionPool(
        String name, Map<String, Admission> held, Long learnedLimit, long version) {

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
        return new AdmissionPool(name, Map.of(), null, 0);
    }

    /** Whether a store holds this pool (a write must then match its version). */
    public boolean stored() {
        return version > 0;
    }

    /** The same pool with {@code held} and {@code learnedLimit}, one version on. */
    AdmissionPool next(Map<String, Admission> nextHeld, Long nextLearned) {
        return new AdmissionPool(name, nextHeld, nextLearned, version + 1);
    }
}
