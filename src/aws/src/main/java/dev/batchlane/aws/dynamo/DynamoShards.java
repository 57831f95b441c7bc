package dev.batchlane.aws.dynamo;

import static dev.batchlane.aws.dynamo.Attrs.n;
import static dev.batchlane.aws.dynamo.Attrs.s;
import static dev.batchlane.aws.dynamo.ItemKeys.DUE_PARTITION;
import static dev.batchlane.aws.dynamo.ItemKeys.JOB_SK;
import static dev.batchlane.aws.dynamo.ItemKeys.jobPk;
import static dev.batchlane.aws.dynamo.ItemKeys.key;
import static dev.batchlane.aws.dynamo.ItemKeys.shardSk;
import static dev.batchlane.aws.dynamo.TableSetup.DUE_AT;
import static dev.batchlane.aws.dynamo.TableSetup.DUE_GROUP;
import static dev.batchlane.aws.dynamo.TableSetup.DUE_INDEX;
import static dev.batchlane.aws.dynamo.TableSetup.PK;
import static dev.batchlane.aws.dynamo.TableSetup.SK;

import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.Update;

/**
 * Shard items, {@code (JOB#id, SHARD#nnnnn)}: created once at version 1, replaced only at the
 * version read, completed together with their job's counter and their child shard in one
 * transaction, and read back from the sparse due index.
 */
final class DynamoShards {
    private final DynamoDbClient dynamo;
    private final String table;

    DynamoShards(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    public boolean createShard(Shard shard) {
        try {
            dynamo.putItem(
                    b ->
                            b.tableName(table)
                                    .item(ShardItemCodec.shardItem(shard.withVersion(1)))
                                    .conditionExpression("attribute_not_exists(pk)"));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    public Optional<Shard> shard(String jobId, int index) {
        Map<String, AttributeValue> item =
                dynamo.getItem(
                                b ->
                                        b.tableName(table)
                                                .key(key(jobPk(jobId), shardSk(index)))
                                                .consistentRead(true))
                        .item();
        return item == null || item.isEmpty()
                ? Optional.empty()
                : Optional.of(ShardItemCodec.shard(item));
    }

    public List<Shard> shards(String jobId) {
        List<Shard> shards = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            QueryRequest.Builder q =
                    QueryRequest.builder()
                            .tableName(table)
                            .consistentRead(true)
                            .keyConditionExpression("pk = :pk AND begins_with(sk, :shard)")
                            .expressionAttributeValues(
                                    Map.of(":pk", s(jobPk(jobId)), ":shard", s("SHARD#")));
            if (start != null) {
                q.exclusiveStartKey(start);
            }
            QueryResponse page = dynamo.query(q.build());
            page.items().forEach(i -> shards.add(ShardItemCodec.shard(i)));
            start =
                    page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty()
                            ? page.lastEvaluatedKey()
                            : null;
        } while (start != null);
        return shards;
    }

    public Optional<Shard> updateShard(Shard current, Shard next) {
        Shard stored = next.withVersion(current.version() + 1);
        try {
            dynamo.putItem(
                    b ->
                            b.tableName(table)
                                    .item(ShardItemCodec.shardItem(stored))
                                    .conditionExpression("version = :v")
                                    .expressionAttributeValues(Map.of(":v", n(current.version()))));
            return Optional.of(stored);
        } catch (ConditionalCheckFailedException e) {
            return Optional.empty();
        }
    }

    public boolean completeShard(Shard current, Shard completed, Shard child) {
        Shard stored = completed.withVersion(current.version() + 1);
        List<TransactWriteItem> items = new ArrayList<>();
        items.add(
                TransactWriteItem.builder()
                        .put(
                                Put.builder()
                                        .tableName(table)
                                        .item(ShardItemCodec.shardItem(stored))
                                        .conditionExpression("version = :v AND #s = :ended")
                                        .expressionAttributeNames(Map.of("#s", "status"))
                                        .expressionAttributeValues(
                                                Map.of(
                                                        ":v",
                                                        n(current.version()),
                                                        ":ended",
                                                        s(ShardStatus.ENDED.name())))
                                        .build())
                        .build());
        items.add(
                TransactWriteItem.builder()
                        .update(
                                Update.builder()
                                        .tableName(table)
                                        .key(key(jobPk(current.jobId()), JOB_SK))
                                        .updateExpression(
                                                "ADD shardsCompleted :one, shardCount :children")
                                        .conditionExpression("attribute_exists(pk)")
                                        .expressionAttributeValues(
                                                Map.of(
                                                        ":one",
                                                        n(1),
                                                        ":children",
                                                        n(child == null ? 0 : 1)))
                                        .build())
                        .build());
        if (child != null) {
            items.add(
                    TransactWriteItem.builder()
                            .put(
                                    Put.builder()
                                            .tableName(table)
                                            .item(ShardItemCodec.shardItem(child.withVersion(1)))
                                            .conditionExpression("attribute_not_exists(pk)")
                                            .build())
                            .build());
        }
        try {
            dynamo.transactWriteItems(b -> b.transactItems(items));
            return true;
        } catch (TransactionCanceledException e) {
            if (onlyTheShardConditionFailed(e)) {
                return false;
            }
            // Throttled, conflicting with another transaction, the job item missing, too large,
            // invalid: nothing was written, and the caller must try again rather than move on.
            throw e;
        }
    }

    /**
     * True when the transaction was cancelled because the shard's own condition failed (it is no
     * longer ENDED at that version) and nothing else went wrong — the one case in which someone
     * else acted. The child shard's "does not exist yet" failing beside it is the same case
     * (whoever completed the shard created it). Reasons come in the order of the items: shard, job,
     * child; "None" marks an item that was fine.
     */
    static boolean onlyTheShardConditionFailed(TransactionCanceledException e) {
        if (!e.hasCancellationReasons() || e.cancellationReasons().isEmpty()) {
            return false;
        }
        var reasons = e.cancellationReasons();
        if (!"ConditionalCheckFailed".equals(reasons.get(0).code())) {
            return false;
        }
        for (int i = 1; i < reasons.size(); i++) {
            String code = reasons.get(i).code();
            boolean fine =
                    code == null
                            || "None".equals(code)
                            || (i == 2 && "ConditionalCheckFailed".equals(code));
            if (!fine) {
                return false;
            }
        }
        return true;
    }

    /** BatchGetItem's most keys per call. */
    static final int BATCH_GET_KEYS = 100;

    public List<Shard> dueShards(Instant now, int limit) {
        // The index is keys-only and eventually consistent: collect up to `limit` keys, oldest
        // first,
        // following the query's pages (a page stops at 1 MB or at the limit, whichever comes first)
        // ...
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        while (keys.size() < limit) {
            QueryRequest.Builder q =
                    QueryRequest.builder()
                            .tableName(table)
                            .indexName(DUE_INDEX)
                            .keyConditionExpression("#g = :g AND #d <= :now")
                            .expressionAttributeNames(Map.of("#g", DUE_GROUP, "#d", DUE_AT))
                            .expressionAttributeValues(
                                    Map.of(":g", s(DUE_PARTITION), ":now", n(now.toEpochMilli())))
                            .limit(limit - keys.size());
            if (start != null) {
                q.exclusiveStartKey(start);
            }
            QueryResponse page = dynamo.query(q.build());
            page.items().forEach(i -> keys.add(Map.of(PK, i.get(PK), SK, i.get(SK))));
            start =
                    page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty()
                            ? page.lastEvaluatedKey()
                            : null;
            if (start == null) {
                break;
            }
        }
        // ... then read the shards themselves, consistently and up to 100 a call, so the version a
        // caller conditions on is the current one; a shard that left the index since is dropped,
        // and so is one whose due time moved past now since: another poll took it for a step
        // (BatchFollower pushes the due time out), and a conditional write on this current read
        // would succeed and run a second step beside that one.
        Map<Map<String, AttributeValue>, Shard> read = new HashMap<>();
        for (int from = 0; from < keys.size(); from += BATCH_GET_KEYS) {
            List<Map<String, AttributeValue>> chunk =
                    keys.subList(from, Math.min(keys.size(), from + BATCH_GET_KEYS));
            Map<String, KeysAndAttributes> request =
                    Map.of(
                            table,
                            KeysAndAttributes.builder().keys(chunk).consistentRead(true).build());
            for (int attempt = 0; !request.isEmpty(); attempt++) {
                Map<String, KeysAndAttributes> ask = request;
                BatchGetItemResponse got = dynamo.batchGetItem(b -> b.requestItems(ask));
                for (Map<String, AttributeValue> item :
                        got.responses().getOrDefault(table, List.of())) {
                    if (item.containsKey(DUE_AT)
                            && Long.parseLong(item.get(DUE_AT).n()) <= now.toEpochMilli()) {
                        read.put(
                                Map.of(PK, item.get(PK), SK, item.get(SK)),
                                ShardItemCodec.shard(item));
                    }
                }
                request = got.hasUnprocessedKeys() ? got.unprocessedKeys() : Map.of();
                if (!request.isEmpty()) {
                    if (attempt >= 8) {
                        throw new IllegalStateException(
                                "DynamoDB left "
                                        + request.get(table).keys().size()
                                        + " due shards unread after "
                                        + (attempt + 1)
                                        + " batch reads (throttled)");
                    }
                    backOff(attempt);
                }
            }
        }
        List<Shard> due = new ArrayList<>(read.size());
        for (Map<String, AttributeValue> k : keys) {
            Shard sh = read.get(k);
            if (sh != null) {
                due.add(sh);
            }
        }
        return due;
    }

    /**
     * Unprocessed keys mean the table is throttling: wait a little more each time (capped at 1 s).
     */
    private static void backOff(int attempt) {
        try {
            Thread.sleep(Math.min(1000L, 25L << Math.min(attempt, 6)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading due shards", e);
        }
    }
}
