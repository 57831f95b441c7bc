package dev.batchlane.aws.dynamo;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.TransactionConflictException;

/**
 * The queue buffer's writes that meet other writers: transactions retried on a conflict, and single
 * writes retried when a transaction holds their item (DynamoDB refuses rather than waits).
 */
final class QueueWrites {
    private static final int CONFLICT_ATTEMPTS = 6;

    private final DynamoDbClient dynamo;

    QueueWrites(DynamoDbClient dynamo) {
        this.dynamo = dynamo;
    }

    /**
     * Runs a transaction; retries conflicts with concurrent transactions and throttled items a few
     * times, with a short growing wait.
     *
     * @return false when an item's condition failed and nothing else did (someone else acted;
     *     nothing was written)
     */
    boolean transact(List<TransactWriteItem> items, String what) {
        for (int attempt = 1; ; attempt++) {
            try {
                dynamo.transactWriteItems(b -> b.transactItems(items));
                return true;
            } catch (TransactionCanceledException e) {
                List<CancellationReason> reasons =
                        e.hasCancellationReasons() ? e.cancellationReasons() : List.of();
                Set<String> codes = new HashSet<>();
                reasons.forEach(r -> codes.add(r.code() == null ? "None" : r.code()));
                codes.remove("None");
                if (codes.equals(Set.of("ConditionalCheckFailed"))) {
                    return false;
                }
                // A conflict with another transaction, or an item throttled for the moment: the
                // transaction wrote nothing, and the same one is tried again after a short wait
                // (the SDK's own retries do not cover a cancelled transaction's reasons).
                if (!(codes.contains("TransactionConflict") || codes.contains("ThrottlingError"))
                        || attempt >= CONFLICT_ATTEMPTS) {
                    throw new IllegalStateException(
                            what + " failed (transaction cancelled: " + codes(reasons) + ")", e);
                }
                backOff(attempt, what);
            }
        }
    }

    private static String codes(List<CancellationReason> reasons) {
        return reasons.stream().map(CancellationReason::code).toList().toString();
    }

    /**
     * Single writes to an item a transaction holds fail with a conflict rather than wait; the group
     * record is such an item (counters beside a flush's transaction), so those writes retry too.
     */
    <T> T retryingConflicts(Supplier<T> write, String what) {
        for (int attempt = 1; ; attempt++) {
            try {
                return write.get();
            } catch (TransactionConflictException e) {
                if (attempt >= CONFLICT_ATTEMPTS) {
                    throw new IllegalStateException(
                            what + " kept conflicting with other transactions", e);
                }
                backOff(attempt, what);
            }
        }
    }

    static void backOff(int attempt, String what) {
        try {
            Thread.sleep(Math.min(500L, 10L << attempt));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + ": interrupted while retrying", e);
        }
    }
}
