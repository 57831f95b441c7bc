package dev.batchlane.simulator.openai;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/** The failures and delays tests asked for, consulted by the HTTP layer and the batch engine. */
final class FaultPlan {
    /** How one request line fails: the status and error body written to the error file. */
    record LineFailure(int status, String code, String message, String param) {}

    /** An injected answer to a whole HTTP call: an error envelope, or a malformed 200. */
    record CallFault(int status, String code, String message, boolean malformed) {}

    /**
     * A forced validation failure of a batch, as OpenAI reports e.g. {@code token_limit_exceeded}.
     */
    record ValidationFailure(String code, String message) {}

    /**
     * Result lines of one batch that never reach its files ({@code missing}) or reach them cut
     * short ({@code unreadable}).
     */
    record ResultDamage(java.util.Set<String> missing, java.util.Set<String> unreadable) {}

    private final Deque<ResultDamage> resultDamage = new ArrayDeque<>();

    synchronized void damageNextResults(ResultDamage damage) {
        resultDamage.add(damage);
    }

    synchronized ResultDamage takeResultDamage() {
        return resultDamage.poll();
    }

    private record PredicateRule(Predicate<String> customIds, LineFailure failure) {}

    private record FractionRule(double fraction, long seed, LineFailure failure) {}

    private final List<PredicateRule> predicateRules = new ArrayList<>();
    private final List<FractionRule> fractionRules = new ArrayList<>();
    private final Map<Operation, Deque<CallFault>> callFaults = new EnumMap<>(Operation.class);
    private final Deque<Double> expiries = new ArrayDeque<>();
    private final Deque<ValidationFailure> validationFailures = new ArrayDeque<>();
    private volatile Duration latency = Duration.ZERO;
    private final Map<Operation, Deque<LostAnswer>> lostAnswers = new EnumMap<>(Operation.class);
    private int fileNotReady;
    private volatile Long enqueuedTokenLimit;
    private volatile boolean refuseOverLimitAtCreate;

    /**
     * The next {@code count} calls of {@code operation} take effect and then lose their answer
     * {@code how}.
     */
    synchronized void addLostAnswers(Operation operation, LostAnswer how, int count) {
        Deque<LostAnswer> queue = lostAnswers.computeIfAbsent(operation, op -> new ArrayDeque<>());
        for (int i = 0; i < count; i++) {
            queue.add(how);
        }
    }

    synchronized Optional<LostAnswer> takeLostAnswer(Operation operation) {
        Deque<LostAnswer> queue = lostAnswers.get(operation);
        return Optional.ofNullable(queue == null ? null : queue.poll());
    }

    synchronized void addFileNotReady(int count) {
        fileNotReady += count;
    }

    synchronized boolean takeFileNotReady() {
        if (fileNotReady > 0) {
            fileNotReady--;
            return true;
        }
        return false;
    }

    void setEnqueuedTokenLimit(Long limit, boolean refuseAtCreate) {
        this.enqueuedTokenLimit = limit;
        this.refuseOverLimitAtCreate = refuseAtCreate;
    }

    Long enqueuedTokenLimit() {
        return enqueuedTokenLimit;
    }

    boolean refuseOverLimitAtCreate() {
        return refuseOverLimitAtCreate;
    }

    synchronized void failLines(Predicate<String> customIds, LineFailure failure) {
        predicateRules.add(new PredicateRule(customIds, failure));
    }

    synchronized void failFraction(double fraction, long seed, LineFailure failure) {
        fractionRules.add(new FractionRule(fraction, seed, failure));
    }

    /**
     * The failure for a line, if any. Fractions are decided by hashing the custom_id with the seed
     * rather than by drawing in line order, so the same lines fail whatever order they are read in.
     */
    synchronized Optional<LineFailure> lineFailure(String customId) {
        for (PredicateRule rule : predicateRules) {
            if (rule.customIds().test(customId)) {
                return Optional.of(rule.failure());
            }
        }
        for (FractionRule rule : fractionRules) {
            if (new SplittableRandom(rule.seed() ^ fnv1a(customId)).nextDouble()
                    < rule.fraction()) {
                return Optional.of(rule.failure());
            }
        }
        return Optional.empty();
    }

    synchronized void addCallFaults(Operation operation, CallFault fault, int count) {
        Deque<CallFault> queue = callFaults.computeIfAbsent(operation, op -> new ArrayDeque<>());
        for (int i = 0; i < count; i++) {
            queue.add(fault);
        }
    }

    synchronized Optional<CallFault> takeCallFault(Operation operation) {
        Deque<CallFault> queue = callFaults.get(operation);
        return Optional.ofNullable(queue == null ? null : queue.poll());
    }

    synchronized void expireNextBatches(int count, double fractionCompleted) {
        for (int i = 0; i < count; i++) {
            expiries.add(fractionCompleted);
        }
    }

    /** The completed fraction for the next batch if it is meant to expire, else null. */
    synchronized Double takeExpiry() {
        return expiries.poll();
    }

    synchronized void failNextBatchValidations(int count, ValidationFailure failure) {
        for (int i = 0; i < count; i++) {
            validationFailures.add(failure);
        }
    }

    synchronized ValidationFailure takeValidationFailure() {
        return validationFailures.poll();
    }

    Duration latency() {
        return latency;
    }

    void setLatency(Duration latency) {
        this.latency = latency;
    }

    synchronized void clear() {
        predicateRules.clear();
        fractionRules.clear();
        callFaults.clear();
        expiries.clear();
        validationFailures.clear();
        lostAnswers.clear();
        resultDamage.clear();
        fileNotReady = 0;
        enqueuedTokenLimit = null;
        latency = Duration.ZERO;
    }

    private static long fnv1a(String s) {
        long hash = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            hash ^= s.charAt(i);
            hash *= 0x100000001b3L;
        }
        return hash;
    }
}
