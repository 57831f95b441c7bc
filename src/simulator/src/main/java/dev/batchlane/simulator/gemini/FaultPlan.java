package dev.batchlane.simulator.gemini;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** The failures tests asked for: of request lines, of whole calls, expiry and damaged results. */
final class FaultPlan {
    /** {@code once}: each matching key fails the first time it runs only (a passing failure). */
    record LineFault(
            Predicate<String> keys,
            int code,
            String status,
            String message,
            boolean once,
            Set<String> failed) {}

    /** {@code applied}: the call takes effect and only its answer is replaced by the failure. */
    static final class CallFault {
        final String operation;
        final int status;
        final boolean applied;
        int skip;
        int left;

        CallFault(String operation, int status, boolean applied, int skip, int left) {
            this.operation = operation;
            this.status = status;
            this.applied = applied;
            this.skip = skip;
            this.left = left;
        }
    }

    /** Keys left out and keys cut short in a responses file. */
    record Damage(Set<String> missing, Set<String> unreadable) {}

    final List<LineFault> lineFaults = new CopyOnWriteArrayList<>();
    final List<CallFault> callFaults = new CopyOnWriteArrayList<>();
    private int expireNext;
    private Damage damageNext;

    synchronized void expireNext(int count) {
        expireNext = count;
    }

    /** Whether the batch being created is one of those told to expire. */
    synchronized boolean takeExpiry() {
        if (expireNext > 0) {
            expireNext--;
            return true;
        }
        return false;
    }

    synchronized void damageNext(Damage damage) {
        damageNext = damage;
    }

    synchronized Damage takeDamage() {
        Damage d = damageNext;
        damageNext = null;
        return d;
    }

    /**
     * The fault for this call, if any: a refusal (returned before acting) or a lost answer (after).
     */
    synchronized CallFault takeFault(String operation) {
        for (CallFault f : callFaults) {
            if (f.operation.equals(operation) && f.left > 0) {
                if (f.skip > 0) {
                    f.skip--;
                    continue;
                }
                f.left--;
                return f;
            }
        }
        return null;
    }
}
