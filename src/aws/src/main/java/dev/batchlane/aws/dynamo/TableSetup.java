package dev.batchlane.aws.dynamo;

import dev.batchlane.core.lane.LaneNames;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * The table's shape, as the code uses it: {@code pk}/{@code sk} keys, the sparse {@code due} index
 * on ({@code dueGroup}, {@code dueAt}), and a stream with new and old images. The CDK construct
 * declares the same; this creates it on DynamoDB Local.
 */
public final class TableSetup {
    // The names are the construct's own (LaneNames), so the local table is the deployed one.
    public static final String PK = LaneNames.TABLE_PARTITION_KEY;
    public static final String SK = LaneNames.TABLE_SORT_KEY;
    public static final String TTL = LaneNames.TABLE_TTL_ATTRIBUTE;
    public static final String DUE_INDEX = LaneNames.DUE_INDEX;
    public static final String DUE_GROUP = LaneNames.DUE_INDEX_PARTITION_KEY;
    public static final String DUE_AT = LaneNames.DUE_INDEX_SORT_KEY;

    private TableSetup() {}

    public static void create(DynamoDbClient dynamo, String table) {
        try {
            dynamo.createTable(
                    b ->
                            b.tableName(table)
                                    .billingMode(BillingMode.PAY_PER_REQUEST)
                                    .attributeDefinitions(
                                            attr(PK, ScalarAttributeType.S),
                                                    attr(SK, ScalarAttributeType.S),
                                            attr(DUE_GROUP, ScalarAttributeType.S),
                                                    attr(DUE_AT, ScalarAttributeType.N))
                                    .keySchema(key(PK, KeyType.HASH), key(SK, KeyType.RANGE))
                                    .globalSecondaryIndexes(
                                            GlobalSecondaryIndex.builder()
                                                    .indexName(DUE_INDEX)
                                                    .keySchema(
                                                            key(DUE_GROUP, KeyType.HASH),
                                                            key(DUE_AT, KeyType.RANGE))
                                                    .projection(
                                                            p ->
                                                                    p.projectionType(
                                                                            ProjectionType
                                                                                    .KEYS_ONLY))
                                                    .build())
                                    .streamSpecification(
                                            s ->
                                                    s.streamEnabled(true)
                                                            .streamViewType(
                                                                    StreamViewType
                                                                            .NEW_AND_OLD_IMAGES)));
            dynamo.waiter().waitUntilTableExists(b -> b.tableName(table));
        } catch (ResourceInUseException alreadyThere) {
            // created by an earlier start; the shape is the same
        }
    }

    private static AttributeDefinition attr(String name, ScalarAttributeType type) {
        return AttributeDefinition.builder().attributeName(name).attributeType(type).build();
    }

    private static KeySchemaElement key(String name, KeyType type) {
        return KeySchemaElement.builder().attributeName(name).keyType(type).build();
    }
}
