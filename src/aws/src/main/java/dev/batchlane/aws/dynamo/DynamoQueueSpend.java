package dev.batchlane.aws.dynamo;

import static dev.batchlane.aws.dynamo.Attrs.s;

import dev.batchlane.core.queue.QueueName;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * What a queue's flushes of one UTC day were projected to cost: one item per queue and day, {@code
 * (QSPEND#<queue>, <yyyy-mm-dd>)}, added to with ADD (a number holds 38 digits, far more than a
 * dollar amount needs), gone through the TTL a month after its day.
 */
final class DynamoQueueSpend {
    private static final String USD = "usd";
    private static final long KEEP_DAYS = 31;

    private final DynamoDbClient dynamo;
    private final String table;

    DynamoQueueSpend(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    private static Map<String, AttributeValue> key(QueueName queue, LocalDate day) {
        return QueueItems.key("QSPEND#" + queue.id(), day.toString());
    }

    BigDecimal spent(QueueName queue, LocalDate day) {
        var item =
                dynamo.getItem(b -> b.tableName(table).key(key(queue, day)).consistentRead(true))
                        .item();
        AttributeValue usd = item == null ? null : item.get(USD);
        return usd == null || usd.n() == null ? BigDecimal.ZERO : new BigDecimal(usd.n());
    }

    void add(QueueName queue, LocalDate day, BigDecimal usd) {
        long expires = day.plusDays(KEEP_DAYS).atStartOfDay().toEpochSecond(ZoneOffset.UTC);
        dynamo.updateItem(
                b ->
                        b.tableName(table)
                                .key(key(queue, day))
                                .updateExpression("ADD #usd :usd SET #type = :type, #ttl = :ttl")
                                .expressionAttributeNames(
                                        Map.of(
                                                "#usd", USD,
                                                "#type", QueueItems.TYPE,
                                                "#ttl", TableSetup.TTL))
                                .expressionAttributeValues(
                                        Map.of(
                                                ":usd",
                                                AttributeValue.fromN(usd.toPlainString()),
                                                ":type",
                                                s("queueSpend"),
                                                ":ttl",
                                                AttributeValue.fromN(Long.toString(expires)))));
    }
}
