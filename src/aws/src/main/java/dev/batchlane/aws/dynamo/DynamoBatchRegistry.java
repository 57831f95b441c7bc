package dev.batchlane.aws.dynamo;

import static dev.batchlane.aws.dynamo.Attrs.n;
import static dev.batchlane.aws.dynamo.Attrs.num;
import static dev.batchlane.aws.dynamo.Attrs.s;
import static dev.batchlane.aws.dynamo.Attrs.str;
import static dev.batchlane.aws.dynamo.ItemKeys.RETENTION;
import static dev.batchlane.aws.dynamo.ItemKeys.key;
import static dev.batchlane.aws.dynamo.TableSetup.PK;
import static dev.batchlane.aws.dynamo.TableSetup.SK;

import dev.batchlane.core.job.BatchRegistry;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/**
 * The lane's batch registry: one item per provider batch (pk "BATCH#anthropic#msgbatch_…", sk
 * "BATCH") naming the shard that holds it, written once with a condition and read by key, so a
 * look-up never scans. It leaves the table through the TTL long after any batch could still be
 * looked for (a look-up covers half an hour after its attempt).
 */
final class DynamoBatchRegistry implements BatchRegistry {
    static final String BATCH_SK = "BATCH";

    private final DynamoDbClient dynamo;
    private final String table;

    DynamoBatchRegistry(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    static String batchPk(String provider, String batchId) {
        return "BATCH#" + provider + "#" + batchId;
    }

    @Override
    public boolean recordBatch(
            String provider, String batchId, String jobId, int shardIndex, Instant now) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put(PK, s(batchPk(provider, batchId)));
        item.put(SK, s(BATCH_SK));
        item.put("type", s("batch"));
        item.put("jobId", s(jobId));
        item.put("shardIndex", n(shardIndex));
        item.put("recordedAt", n(now.toEpochMilli()));
        item.put(TableSetup.TTL, n(now.plus(RETENTION).getEpochSecond()));
        try {
            dynamo.putItem(
                    b ->
                            b.tableName(table)
                                    .item(item)
                                    .conditionExpression(
                                            "attribute_not_exists(pk) OR (jobId = :j AND"
                                                    + " shardIndex = :i)")
                                    .expressionAttributeValues(
                                            Map.of(":j", s(jobId), ":i", n(shardIndex))));
            return true;
        } catch (ConditionalCheckFailedException heldElsewhere) {
            return false;
        }
    }

    @Override
    public Optional<BatchOwner> batchOwner(String provider, String batchId) {
        Map<String, AttributeValue> item =
                dynamo.getItem(
                                b ->
                                        b.tableName(table)
                                                .key(key(batchPk(provider, batchId), BATCH_SK))
                                                .consistentRead(true))
                        .item();
        if (item == null || item.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new BatchOwner(str(item, "jobId"), (int) num(item, "shardIndex")));
    }
}
