package dev.batchlane.aws.dynamo;

import static dev.batchlane.aws.dynamo.Attrs.n;
import static dev.batchlane.aws.dynamo.Attrs.num;
import static dev.batchlane.aws.dynamo.Attrs.putT;
import static dev.batchlane.aws.dynamo.Attrs.s;
import static dev.batchlane.aws.dynamo.Attrs.str;
import static dev.batchlane.aws.dynamo.Attrs.time;
import static dev.batchlane.aws.dynamo.ItemKeys.INGEST_FAILURE_SK;
import static dev.batchlane.aws.dynamo.ItemKeys.INPUT_PK_PREFIX;
import static dev.batchlane.aws.dynamo.ItemKeys.PROGRESS_SK;
import static dev.batchlane.aws.dynamo.ItemKeys.RETENTION;
import static dev.batchlane.aws.dynamo.ItemKeys.jobPk;
import static dev.batchlane.aws.dynamo.ItemKeys.key;
import static dev.batchlane.aws.dynamo.TableSetup.PK;
import static dev.batchlane.aws.dynamo.TableSetup.SK;

import dev.batchlane.core.job.IngestFailure;
import dev.batchlane.core.job.IngestLedger;
import dev.batchlane.core.job.IngestProgress;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/**
 * What ingest records beside its job in the same table: the input claim ({@code INPUT#bucket/key},
 * {@code SHA256#…}), the last failed attempt ({@code (JOB#id, INGEST_FAILURE)}) and the pass's
 * progress ({@code (JOB#id, PROGRESS)}), each behind its own condition.
 */
public final class DynamoIngestLedger implements IngestLedger {
    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoIngestLedger(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    @Override
    public Optional<String> claimInput(
            String bucket, String key, String sha256, String jobId, String replacing) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put(PK, s(INPUT_PK_PREFIX + bucket + "/" + key));
        item.put(SK, s("SHA256#" + sha256));
        item.put("type", s("input"));
        item.put("jobId", s(jobId));
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":me", s(jobId));
        String condition = "attribute_not_exists(pk) OR jobId = :me";
        if (replacing != null) {
            condition += " OR jobId = :old";
            values.put(":old", s(replacing));
        }
        String c = condition;
        try {
            dynamo.putItem(
                    b ->
                            b.tableName(table)
                                    .item(item)
                                    .conditionExpression(c)
                                    .expressionAttributeValues(values));
            return Optional.empty();
        } catch (ConditionalCheckFailedException e) {
            Map<String, AttributeValue> held =
                    dynamo.getItem(
                                    b ->
                                            b.tableName(table)
                                                    .key(Map.of(PK, item.get(PK), SK, item.get(SK)))
                                                    .consistentRead(true))
                            .item();
            return Optional.ofNullable(held == null ? null : str(held, "jobId"));
        }
    }

    @Override
    public void recordIngestFailure(IngestFailure f) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put(":bucket", s(f.bucket()));
        m.put(":key", s(f.key()));
        m.put(":identity", s(f.identity() == null ? "" : f.identity()));
        m.put(":size", n(f.size()));
        m.put(":error", s(f.error()));
        m.put(":at", n(f.at().toEpochMilli()));
        m.put(":one", n(1));
        m.put(":expires", n(f.at().plus(RETENTION).getEpochSecond()));
        m.put(":type", s("ingestFailure"));
        dynamo.updateItem(
                b ->
                        b.tableName(table)
                                .key(key(jobPk(f.jobId()), INGEST_FAILURE_SK))
                                .updateExpression(
                                        "SET #t = :type, inputBucket = :bucket, inputKey = :key, inputIdentity = :identity,"
                                                + " inputSize = :size, lastError = :error, failedAt = :at, expiresAt = :expires"
                                                + " ADD attempts :one")
                                .expressionAttributeNames(Map.of("#t", "type"))
                                .expressionAttributeValues(m));
    }

    @Override
    public Optional<IngestFailure> ingestFailure(String jobId) {
        Map<String, AttributeValue> m =
                dynamo.getItem(
                                b ->
                                        b.tableName(table)
                                                .key(key(jobPk(jobId), INGEST_FAILURE_SK))
                                                .consistentRead(true))
                        .item();
        if (m == null || m.isEmpty() || !m.containsKey("inputKey")) {
            return Optional.empty();
        }
        String identity = str(m, "inputIdentity");
        return Optional.of(
                new IngestFailure(
                        jobId,
                        str(m, "inputBucket"),
                        str(m, "inputKey"),
                        identity == null || identity.isEmpty() ? null : identity,
                        num(m, "inputSize"),
                        (int) num(m, "attempts"),
                        str(m, "lastError"),
                        time(m, "failedAt")));
    }

    @Override
    public void clearIngestFailure(String jobId) {
        // Emptied rather than deleted: ingest's role has no DeleteItem (the table's TTL removes the
        // rest).
        dynamo.updateItem(
                b ->
                        b.tableName(table)
                                .key(key(jobPk(jobId), INGEST_FAILURE_SK))
                                .updateExpression(
                                        "REMOVE inputBucket, inputKey, inputIdentity, inputSize, lastError, failedAt, attempts")
                                .conditionExpression("attribute_exists(pk)"));
    }

    @Override
    public boolean recordIngestProgress(String jobId, IngestProgress p) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put(PK, s(jobPk(jobId)));
        m.put(SK, s(PROGRESS_SK));
        m.put("type", s("progress"));
        m.put("jobId", s(jobId));
        // Read by the CLI and dashboards as they are: bytes validated, shards staged.
        m.put("progressBytes", n(p.bytesRead()));
        m.put("totalBytes", n(p.totalBytes()));
        m.put("progressShards", n(p.shardsStaged()));
        putT(m, "startedAt", p.startedAt());
        putT(m, "passEndedAt", p.passEndedAt());
        putT(m, "submittedAt", p.submittedAt());
        m.put("submittedByIngest", n(p.submittedByIngest()));
        m.put("handedToPoll", n(p.handedToPoll()));
        putT(m, "updatedAt", p.updatedAt());
        m.put(TableSetup.TTL, n(p.updatedAt().plus(RETENTION).getEpochSecond()));
        try {
            dynamo.putItem(
                    b ->
                            b.tableName(table)
                                    .item(m)
                                    .conditionExpression(
                                            "attribute_not_exists(pk) OR updatedAt <= :now")
                                    .expressionAttributeValues(
                                            Map.of(":now", n(p.updatedAt().toEpochMilli()))));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    @Override
    public Optional<IngestProgress> ingestProgress(String jobId) {
        Map<String, AttributeValue> m =
                dynamo.getItem(
                                b ->
                                        b.tableName(table)
                                                .key(key(jobPk(jobId), PROGRESS_SK))
                                                .consistentRead(true))
                        .item();
        if (m == null || m.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(
                new IngestProgress(
                        num(m, "progressBytes"),
                        num(m, "totalBytes"),
                        (int) num(m, "progressShards"),
                        time(m, "startedAt"),
                        time(m, "passEndedAt"),
                        time(m, "submittedAt"),
                        (int) num(m, "submittedByIngest"),
                        (int) num(m, "handedToPoll"),
                        time(m, "updatedAt")));
    }
}
