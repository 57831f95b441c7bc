package dev.batchlane.core.lane;

/**
 * Where admission pools are kept. A store only reads a pool and writes the next one back with a
 * version check; what is admitted, what lapses and which limit holds is {@link AdmissionBudget}'s
 * decision, so every store applies the same rule.
 */
public interface AdmissionPools {

    /** The pool as stored now; {@link AdmissionPool#empty} (version 0) when none is. */
    AdmissionPool pool(String name);

    /**
     * Stores {@code next} (whose version is {@code current}'s plus one) if the stored pool is still
     * at {@code current.version()} — absent, for version 0. False when someone else changed it
     * first; then nothing is written.
     */
    boolean replacePool(AdmissionPool current, AdmissionPool next);
}
