package dev.batchlane.aws.dynamo;

import static dev.batchlane.aws.dynamo.Attrs.n;
import static dev.batchlane.aws.dynamo.Attrs.s;
import static dev.batchlane.aws.dynamo.DynamoJobStore.FINISH_REQUESTED;
import static dev.batchlane.aws.dynamo.ItemKeys.JOB_SK;
import static dev.batchlane.aws.dynamo.ItemKeys.RETENTION;
import static dev.batchlane.aws.dynamo.ItemKeys.jobPk;
import static dev.batchlane.aws.dynamo.ItemKeys.key;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/**
 * Job items, {@code (JOB#id, JOB)}: created once, moved between statuses only from the status
 * expected, and the completion-event claim, the cancel request and the finish request as
 * conditional updates on them.
 */
final class DynamoJobs {
    private final DynamoDbClient dynamo;
    private final String table;

    DynamoJobs(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    public boolean createJob(Job job) {
        try {
            dynamo.putItem(
                    b ->
                            b.tableName(table)
                                    .item(JobItemCodec.jobItem(job))
                                    .conditionExpression("attribute_not_exists(pk)"));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    public Optional<Job> job(String jobId) {
        Map<String, AttributeValue> item =
                dynamo.getItem(
                                b ->
                                        b.tableName(table)
                                                .key(key(jobPk(jobId), JOB_SK))
                                                .consistentRead(true))
                        .item();
        return item == null || item.isEmpty()
                ? Optional.empty()
                : Optional.of(JobItemCodec.job(item));
    }

    public boolean markRunning(String jobId, int shardCount, Instant now) {
        return update(
                jobId,
                "SET #s = :running, submittedAt = :now ADD shardCount :n",
                "#s = :ingesting",
                Map.of(
                        ":running",
                        s(JobStatus.RUNNING.name()),
                        ":ingesting",
                        s(JobStatus.INGESTING.name()),
                        ":n",
                        n(shardCount),
                        ":now",
                        n(now.toEpochMilli())));
    }

    public boolean markCompleted(String jobId, String manifestKey, Instant now) {
        return update(
                jobId,
                "SET #s = :completed, completedAt = :now, resultKey = :key, "
                        + TableSetup.TTL
                        + " = :expires",
                "#s = :running",
                Map.of(
                        ":completed",
                        s(JobStatus.COMPLETED.name()),
                        ":running",
                        s(JobStatus.RUNNING.name()),
                        ":now",
                        n(now.toEpochMilli()),
                        ":key",
                        s(manifestKey),
                        ":expires",
                        n(now.plus(RETENTION).getEpochSecond())));
    }

    public boolean claimCompletionEvent(String jobId, Instant now, Instant staleBefore) {
        return update(
                jobId,
                "SET completionEventAt = :now",
                "#s = :running AND (attribute_not_exists(completionEventAt) OR completionEventAt <= :stale)",
                Map.of(
                        ":running",
                        s(JobStatus.RUNNING.name()),
                        ":now",
                        n(now.toEpochMilli()),
                        ":stale",
                        n(staleBefore.toEpochMilli())));
    }

    private boolean update(
            String jobId, String set, String condition, Map<String, AttributeValue> values) {
        try {
            dynamo.updateItem(
                    b ->
                            b.tableName(table)
                                    .key(key(jobPk(jobId), JOB_SK))
                                    .updateExpression(set)
                                    .conditionExpression(condition)
                                    .expressionAttributeNames(Map.of("#s", "status"))
                                    .expressionAttributeValues(values));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    public boolean requestCancel(String jobId, Instant now) {
        try {
            dynamo.updateItem(
                    b ->
                            b.tableName(table)
                                    .key(key(jobPk(jobId), JOB_SK))
                                    .updateExpression(
                                            "SET cancelRequested = :yes, cancelRequestedAt = :now")
                                    .conditionExpression(
                                            "attribute_exists(pk) AND #s IN (:ingesting, :running)"
                                                    + " AND attribute_not_exists(cancelRequested)")
                                    .expressionAttributeNames(Map.of("#s", "status"))
                                    .expressionAttributeValues(
                                            Map.of(
                                                    ":yes",
                                                    AttributeValue.fromBool(true),
                                                    ":now",
                                                    n(now.toEpochMilli()),
                                                    ":ingesting",
                                                    s(JobStatus.INGESTING.name()),
                                                    ":running",
                                                    s(JobStatus.RUNNING.name()))));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    public boolean requestFinish(String jobId, Instant now) {
        // Complete's trigger passes a job item on which FINISH_REQUESTED appears (absent in the old
        // image, present in the new one), so a request is a removal and then a set.
        Map<String, String> names = Map.of("#s", "status", "#f", FINISH_REQUESTED);
        Map<String, AttributeValue> running = Map.of(":running", s(JobStatus.RUNNING.name()));
        try {
            dynamo.updateItem(
                    b ->
                            b.tableName(table)
                                    .key(key(jobPk(jobId), JOB_SK))
                                    .updateExpression("REMOVE #f")
                                    .conditionExpression("#s = :running AND attribute_exists(#f)")
                                    .expressionAttributeNames(names)
                                    .expressionAttributeValues(running));
        } catch (ConditionalCheckFailedException e) {
            // never asked before, or no longer running: the set below tells which
        }
        try {
            dynamo.updateItem(
                    b ->
                            b.tableName(table)
                                    .key(key(jobPk(jobId), JOB_SK))
                                    .updateExpression("SET #f = :now")
                                    .conditionExpression("#s = :running")
                                    .expressionAttributeNames(names)
                                    .expressionAttributeValues(
                                            Map.of(
                                                    ":running",
                                                    s(JobStatus.RUNNING.name()),
                                                    ":now",
                                                    n(now.toEpochMilli()))));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }
}
