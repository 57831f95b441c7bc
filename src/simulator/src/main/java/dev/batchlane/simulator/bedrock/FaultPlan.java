package dev.batchlane.simulator.bedrock;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** The failures tests asked for: of records, of whole calls, of answers, and of jobs. */
final class FaultPlan {
    record RecordFault(Predicate<String> ids, int code, String message) {}

    /** Output lines left out and lines cut short in a job's output. */
    record Damage(Set<String> missing, Set<String> unreadable) {}

    final List<RecordFault> recordFaults = new CopyOnWriteArrayList<>();
    private final Map<String, int[]> callFaults = new HashMap<>();
    private final Map<String, String> callFaultMessages = new HashMap<>();
    private final Map<String, SlowCalls> slowCalls = new HashMap<>();
    private final java.util.ArrayDeque<Integer> lostCreates = new java.util.ArrayDeque<>();
    private int expireNext;
    private int partialNext;
    private double partialFraction;
    private Damage damageNext;
    private int failNext;
    private String failMessage;

    /** {@code message} null: the simulator's own "injected ..." text. */
    synchronized void failNextCalls(String operation, int status, int count, String message) {
        callFaults.put(operation, new int[] {status, count});
        if (message == null) {
            callFaultMessages.remove(operation);
        } else {
            callFaultMessages.put(operation, message);
        }
    }

    private record SlowCalls(java.time.Duration delay, int count) {}

    synchronized void slowNextCalls(String operation, java.time.Duration delay, int count) {
        slowCalls.put(operation, new SlowCalls(delay, count));
    }

    /** How long the next call of {@code operation} holds back its answer: zero for most. */
    synchronized java.time.Duration takeSlow(String operation) {
        SlowCalls s = slowCalls.get(operation);
        if (s == null || s.count() <= 0) {
            return java.time.Duration.ZERO;
        }
        slowCalls.put(operation, new SlowCalls(s.delay(), s.count() - 1));
        return s.delay();
    }

    synchronized void loseNextCreateAnswers(int count, int status) {
        for (int i = 0; i < count; i++) {
            lostCreates.add(status);
        }
    }

    /** The status the next create's answer is lost as (0 reset, 200 cut), or -1 for none. */
    synchronized int takeLostCreate() {
        Integer status = lostCreates.poll();
        return status == null ? -1 : status;
    }

    synchronized void damageNext(Damage damage) {
        damageNext = damage;
    }

    synchronized void expireNext(int count) {
        expireNext = count;
    }

    synchronized void failNextJobs(int count, String message) {
        failNext = count;
        failMessage = message;
    }

    synchronized void partiallyCompleteNext(int count, double fraction) {
        partialNext = count;
        partialFraction = fraction;
    }

    /**
     * Marks a job being created with the fate tests chose for it: failure at validation, expiry, a
     * partial run, damage.
     */
    synchronized void applyTo(Job job) {
        if (failNext > 0) {
            failNext--;
            job.failure = failMessage;
        } else if (expireNext > 0) {
            expireNext--;
            job.expire = true;
        } else if (partialNext > 0) {
            partialNext--;
            job.partial = partialFraction;
        }
        job.damage = damageNext;
        damageNext = null;
    }

    synchronized void injectedFault(String operation) {
        int[] f = callFaults.get(operation);
        if (f == null || f[1] <= 0) {
            return;
        }
        f[1]--;
        String type =
                switch (f[0]) {
                    case 429 -> "ThrottlingException";
                    case 400 -> "ServiceQuotaExceededException";
                    case 403 -> "AccessDeniedException";
                    default -> "InternalServerException";
                };
        throw new Wire.Refusal(
                f[0],
                type,
                callFaultMessages.getOrDefault(
                        operation, "injected " + type + " for " + operation));
    }
}
