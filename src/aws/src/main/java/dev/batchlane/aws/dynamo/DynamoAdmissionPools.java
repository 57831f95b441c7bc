package dev.batchlane.aws.dynamo;

import static dev.batchlane.aws.dynamo.Attrs.n;
import static dev.batchlane.aws.dynamo.Attrs.num;
import static dev.batchlane.aws.dynamo.Attrs.s;
import static dev.batchlane.aws.dynamo.Attrs.time;
import static dev.batchlane.aws.dynamo.ItemKeys.POOL_SK;
import static dev.batchlane.aws.dynamo.ItemKeys.key;
import static dev.batchlane.aws.dynamo.ItemKeys.poolPk;
import static dev.batchlane.aws.dynamo.TableSetup.PK;
import static dev.batchlane.aws.dynamo.TableSetup.SK;

import dev.batchlane.core.lane.AdmissionPool;
import dev.batchlane.core.lane.AdmissionPools;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/**
 * Admission pools, one item each.
 *
 * <p>One item per pool (pk "pool#openai/gpt-4o-mini", sk "POOL"): a map of admitted shard id →
 * {tokens, admitted at}, the limit learned from the provider, the longest-waiting shard (the head),
 * and a version that every write checks. AdmissionBudget decides what the next pool is; this only
 * reads it and writes it back if the version has not moved. A pool holds the shards a provider runs
 * at once for one model, a few thousand at most, well inside an item.
 */
public final class DynamoAdmissionPools implements AdmissionPools {
    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoAdmissionPools(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    @Override
    public AdmissionPool pool(String name) {
        Map<String, AttributeValue> item =
                dynamo.getItem(
                                b ->
                                        b.tableName(table)
                                                .key(key(poolPk(name), POOL_SK))
                                                .consistentRead(true))
                        .item();
        if (item == null || item.isEmpty()) {
            return AdmissionPool.empty(name);
        }
        Map<String, AdmissionPool.Admission> held = new java.util.TreeMap<>();
        if (item.containsKey("held")) {
            item.get("held")
                    .m()
                    .forEach(
                            (shardId, entry) ->
                                    held.put(
                                            shardId,
                                            new AdmissionPool.Admission(
                                                    num(entry.m(), "tokens"),
                                                    time(entry.m(), "at"))));
        }
        AdmissionPool.Waiting head = null;
        if (item.containsKey("head")) {
            Map<String, AttributeValue> h = item.get("head").m();
            head =
                    new AdmissionPool.Waiting(
                            h.get("shard").s(),
                            num(h, "tokens"),
                            time(h, "since"),
                            time(h, "seenAt"));
        }
        return new AdmissionPool(
                name,
                held,
                item.containsKey("learnedLimit") ? num(item, "learnedLimit") : null,
                head,
                num(item, "version"));
    }

    @Override
    public boolean replacePool(AdmissionPool current, AdmissionPool next) {
        if (!next.name().equals(current.name()) || next.version() != current.version() + 1) {
            throw new IllegalArgumentException(
                    "pool "
                            + current.name()
                            + ": the next pool must be the same pool one version on");
        }
        Map<String, AttributeValue> held = new HashMap<>();
        next.held()
                .forEach(
                        (shardId, a) ->
                                held.put(
                                        shardId,
                                        AttributeValue.fromM(
                                                Map.of(
                                                        "tokens",
                                                        n(a.tokens()),
                                                        "at",
                                                        n(a.at().toEpochMilli())))));
        Map<String, AttributeValue> item = new HashMap<>();
        item.put(PK, s(poolPk(next.name())));
        item.put(SK, s(POOL_SK));
        item.put("type", s("pool"));
        item.put("held", AttributeValue.fromM(held));
        if (next.learnedLimit() != null) {
            item.put("learnedLimit", n(next.learnedLimit()));
        }
        if (next.head() != null) {
            item.put(
                    "head",
                    AttributeValue.fromM(
                            Map.of(
                                    "shard",
                                    s(next.head().shardId()),
                                    "tokens",
                                    n(next.head().tokens()),
                                    "since",
                                    n(next.head().since().toEpochMilli()),
                                    "seenAt",
                                    n(next.head().seenAt().toEpochMilli()))));
        }
        item.put("version", n(next.version()));
        try {
            dynamo.putItem(
                    b -> {
                        b.tableName(table).item(item);
                        if (current.stored()) {
                            b.conditionExpression("version = :v")
                                    .expressionAttributeValues(Map.of(":v", n(current.version())));
                        } else {
                            b.conditionExpression("attribute_not_exists(pk)");
                        }
                    });
            return true;
        } catch (ConditionalCheckFailedException raced) {
            return false;
        }
    }
}
