package dev.batchlane.aws.dynamo;

import static dev.batchlane.aws.dynamo.TableSetup.DUE_AT;
import static dev.batchlane.aws.dynamo.TableSetup.DUE_GROUP;
import static dev.batchlane.aws.dynamo.TableSetup.DUE_INDEX;
import static dev.batchlane.aws.dynamo.TableSetup.PK;
import static dev.batchlane.aws.dynamo.TableSetup.SK;

import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.job.IngestFailure;
import dev.batchlane.core.job.IngestProgress;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.job.QueueWait;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardResult;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.job.ShardTrouble;
import dev.batchlane.core.lane.AdmissionPool;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.RunMode;
import dev.batchlane.core.provider.Usage;
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
 * Jobs and shards in one DynamoDB table. A job is ({@code JOB#id}, {@code JOB}); its shards are
 * ({@code JOB#id}, {@code SHARD#nnnnn}), so one query reads a job's shards. Every write carries a
 * condition; a failed condition is reported to the caller as "someone else acted", never retried
 * blindly and never overwritten.
 */
public final class DynamoJobStore implements JobStore {
    /**
     * Every due shard shares one index partition. Poll reads at most a page of them per cycle, and
     * a job has at most thousands of shards, far below a partition's limits; if that ever changes,
     * this becomes a small fixed set of groups queried in turn.
     */
    static final String DUE_PARTITION = "due";

    static final String JOB_SK = "JOB";

    /** Beside the job: its ingest's progress and timings (see {@link IngestProgress}). */
    static final String PROGRESS_SK = "PROGRESS";

    /** Beside the job: the last failed ingest attempt and what resuming it needs. */
    static final String INGEST_FAILURE_SK = "INGEST_FAILURE";

    /** One item per input (bucket and key) and sha256, naming the job that runs those bytes. */
    static final String INPUT_PK_PREFIX = "INPUT#";

    /**
     * Set on a job item to ask complete to finish the job; complete's stream filter passes the job
     * item when this attribute appears. The deployment's filter names the same attribute.
     */
    public static final String FINISH_REQUESTED = "finishRequestedAt";

    /**
     * Finished jobs and their shards leave the table this long after completion, through the
     * table's TTL on {@code expiresAt} (epoch seconds); the manifest in S3 is the lasting record.
     */
    static final java.time.Duration RETENTION = java.time.Duration.ofDays(90);

    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoJobStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    // ---- jobs ----

    @Override
    public boolean createJob(Job job) {
        try {
            dynamo.putItem(
                    b ->
                            b.tableName(table)
                                    .item(jobItem(job))
                                    .conditionExpression("attribute_not_exists(pk)"));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    @Override
    public Optional<Job> job(String jobId) {
        Map<String, AttributeValue> item =
                dynamo.getItem(
                                b ->
                                        b.tableName(table)
                                                .key(key(jobPk(jobId), JOB_SK))
                                                .consistentRead(true))
                        .item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(job(item));
    }

    @Override
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

    @Override
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

    @Override
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

    @Override
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

    @Override
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

    /** The job's stuck shards and why, read from the shards' own items. */
    public Map<String, String> stuckShards(String jobId) {
        Map<String, String> out = new java.util.TreeMap<>();
        for (Shard sh : shards(jobId)) {
            if (sh.trouble() != null && sh.trouble().isStuck()) {
                out.put(Shard.partName(sh.index()), sh.trouble().stuck());
            }
        }
        return out;
    }

    // ---- inputs: the same bytes under the same key run once at a time ----

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

    // ---- ingest failures ----

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

    // ---- ingest progress ----

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

    // ---- shards ----

    @Override
    public boolean createShard(Shard shard) {
        try {
            dynamo.putItem(
                    b ->
                            b.tableName(table)
                                    .item(shardItem(shard.withVersion(1)))
                                    .conditionExpression("attribute_not_exists(pk)"));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    @Override
    public Optional<Shard> shard(String jobId, int index) {
        Map<String, AttributeValue> item =
                dynamo.getItem(
                                b ->
                                        b.tableName(table)
                                                .key(key(jobPk(jobId), shardSk(index)))
                                                .consistentRead(true))
                        .item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(shard(item));
    }

    @Override
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
            page.items().forEach(i -> shards.add(shard(i)));
            start =
                    page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty()
                            ? page.lastEvaluatedKey()
                            : null;
        } while (start != null);
        return shards;
    }

    @Override
    public Optional<Shard> updateShard(Shard current, Shard next) {
        Shard stored = next.withVersion(current.version() + 1);
        try {
            dynamo.putItem(
                    b ->
                            b.tableName(table)
                                    .item(shardItem(stored))
                                    .conditionExpression("version = :v")
                                    .expressionAttributeValues(Map.of(":v", n(current.version()))));
            return Optional.of(stored);
        } catch (ConditionalCheckFailedException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean completeShard(Shard current, Shard completed, Shard child) {
        Shard stored = completed.withVersion(current.version() + 1);
        List<TransactWriteItem> items = new ArrayList<>();
        items.add(
                TransactWriteItem.builder()
                        .put(
                                Put.builder()
                                        .tableName(table)
                                        .item(shardItem(stored))
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
                                            .item(shardItem(child.withVersion(1)))
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

    @Override
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
        // caller conditions on is the current one; a shard that left the index since is dropped.
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
                    if (item.containsKey(DUE_AT)) {
                        read.put(Map.of(PK, item.get(PK), SK, item.get(SK)), shard(item));
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

    // ---- mapping ----

    // ---- admission pools ----------------------------------------------------------------------
    //
    // One item per pool (pk "pool#openai/gpt-4o-mini", sk "POOL"): a map of admitted shard id →
    // {tokens, admitted at}, the limit learned from the provider, and a version that every write
    // checks. AdmissionBudget decides what the next pool is; this only reads it and writes it back
    // if the version has not moved. A pool holds the shards a provider runs at once for one model,
    // a few thousand at most, well inside an item.

    static final String POOL_SK = "POOL";

    static String poolPk(String pool) {
        return "pool#" + pool;
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
        return new AdmissionPool(
                name,
                held,
                item.containsKey("learnedLimit") ? num(item, "learnedLimit") : null,
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

    public static String jobPk(String jobId) {
        return "JOB#" + jobId;
    }

    public static String shardSk(int index) {
        return "SHARD#" + Shard.partName(index);
    }

    private static Map<String, AttributeValue> key(String pk, String sk) {
        return Map.of(PK, s(pk), SK, s(sk));
    }

    private static Map<String, AttributeValue> jobItem(Job j) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put(PK, s(jobPk(j.jobId())));
        m.put(SK, s(JOB_SK));
        m.put("type", s("job"));
        m.put("jobId", s(j.jobId()));
        m.put("provider", s(j.provider()));
        m.put("status", s(j.status().name()));
        putS(m, "bucket", j.bucket());
        putS(m, "inputKey", j.inputKey());
        putS(m, "inputVersion", j.inputVersion());
        putS(m, "name", j.name());
        putS(m, "sha256", j.sha256());
        m.put("inputBytes", n(j.inputBytes()));
        m.put("requestCount", n(j.requestCount()));
        m.put("shardCount", n(j.shardCount()));
        m.put("shardsCompleted", n(j.shardsCompleted()));
        putS(m, "model", j.model());
        putS(m, "endpoint", j.endpoint());
        putT(m, "createdAt", j.createdAt());
        putT(m, "submittedAt", j.submittedAt());
        putT(m, "completedAt", j.completedAt());
        putS(m, "resultKey", j.resultKey());
        putS(m, "estimatedCostUsd", j.estimatedCostUsd());
        putS(m, "budgetUsd", j.budgetUsd());
        return m;
    }

    private static Job job(Map<String, AttributeValue> m) {
        return Job.builder(str(m, "jobId"), str(m, "provider"))
                .status(JobStatus.valueOf(str(m, "status")))
                .input(str(m, "bucket"), str(m, "inputKey"), str(m, "inputVersion"))
                .name(str(m, "name"))
                .sha256(str(m, "sha256"))
                .inputBytes(num(m, "inputBytes"))
                .requestCount(num(m, "requestCount"))
                .shardCount((int) num(m, "shardCount"))
                .shardsCompleted((int) num(m, "shardsCompleted"))
                .model(str(m, "model"))
                .endpoint(str(m, "endpoint"))
                .createdAt(time(m, "createdAt"))
                .submittedAt(time(m, "submittedAt"))
                .completedAt(time(m, "completedAt"))
                .resultKey(str(m, "resultKey"))
                .estimatedCostUsd(str(m, "estimatedCostUsd"))
                .budgetUsd(str(m, "budgetUsd"))
                .cancelRequested(
                        m.containsKey("cancelRequested")
                                && Boolean.TRUE.equals(m.get("cancelRequested").bool()))
                .build();
    }

    static Map<String, AttributeValue> shardItem(Shard sh) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put(PK, s(jobPk(sh.jobId())));
        m.put(SK, s(shardSk(sh.index())));
        m.put("type", s("shard"));
        m.put("jobId", s(sh.jobId()));
        m.put("shardIndex", n(sh.index()));
        m.put("status", s(sh.status().name()));
        putS(m, "provider", sh.provider());
        putS(m, "stagingKey", sh.stagingKey());
        m.put("requestCount", n(sh.requestCount()));
        m.put("bytes", n(sh.bytes()));
        putS(m, "batchId", sh.batchId());
        putS(m, "inputFileId", sh.inputFileId());
        putS(m, "outputFileId", sh.outputFileId());
        putS(m, "errorFileId", sh.errorFileId());
        putS(m, "providerStatus", sh.providerStatus());
        if (sh.batchState() != null) {
            m.put("batchState", s(sh.batchState().name()));
        }
        m.put("runMode", s(sh.runMode().name()));
        m.put("countTotal", n(sh.providerCounts().total()));
        m.put("countCompleted", n(sh.providerCounts().completed()));
        m.put("countFailed", n(sh.providerCounts().failed()));
        putS(m, "batchError", sh.batchError());
        m.put("pollCount", n(sh.pollCount()));
        if (sh.dueAt() != null) {
            // Present only while poll should look at the shard: that is what keeps the index
            // sparse.
            m.put(DUE_GROUP, s(DUE_PARTITION));
            m.put(DUE_AT, n(sh.dueAt().toEpochMilli()));
        }
        putT(m, "submittedAt", sh.submittedAt());
        putT(m, "endedAt", sh.endedAt());
        putT(m, "completedAt", sh.completedAt());
        if (sh.completedAt() != null) {
            m.put(TableSetup.TTL, n(sh.completedAt().plus(RETENTION).getEpochSecond()));
        }
        ShardResult r = sh.result();
        if (r != null) {
            m.put("resSucceeded", n(r.succeeded()));
            m.put("resFailed", n(r.failed()));
            m.put("resExpired", n(r.expired()));
            m.put("resCancelled", n(r.cancelled()));
            m.put("resMissing", n(r.missing()));
            m.put("resUnknown", n(r.unknownResults()));
            m.put("usageInput", n(r.usage().inputTokens()));
            m.put("usageCached", n(r.usage().cachedInputTokens()));
            m.put("usageOutput", n(r.usage().outputTokens()));
            putS(m, "partKey", r.partKey());
            m.put("resRetried", n(r.resubmitted()));
            m.put("resFinalFailures", n(r.finalFailures()));
            if (!r.usageByModel().isEmpty()) {
                putS(m, "usageByModel", usageByModel(r.usageByModel()));
            }
        }
        m.put("version", n(sh.version()));
        m.put("depth", n(sh.depth()));
        ShardTrouble t = sh.trouble();
        if (t != null) {
            m.put("troubleFailures", n(t.failures()));
            putS(m, "troubleLastError", t.lastError());
            putS(m, "stuck", t.stuck());
            putT(m, "troubleSince", t.since());
        }
        putT(m, "claimedAt", sh.claimedAt());
        if (sh.inputTokens() > 0) {
            m.put("inputTokens", n(sh.inputTokens()));
        }
        if (sh.attempt() != null) {
            // A creating call that may have taken effect: whoever takes the shard next looks for it
            // first.
            m.put("attemptStep", s(sh.attempt().step().name()));
            m.put("attemptAt", n(sh.attempt().at().toEpochMilli()));
        }
        QueueWait w = sh.queueWait();
        if (w.times() > 0) {
            putT(m, "waitSince", w.since());
            m.put("waitedMs", n(w.waited().toMillis()));
            m.put("waitTimes", n(w.times()));
            putS(m, "waitReason", w.reason());
        }
        return m;
    }

    /**
     * A shard's usage per model as {"model": [input, cached, output], …}: a few models at most, one
     * attribute.
     */
    static String usageByModel(Map<String, Usage> byModel) {
        var out = USAGE_JSON.createObjectNode();
        byModel.forEach(
                (model, u) ->
                        out.putArray(model)
                                .add(u.inputTokens())
                                .add(u.cachedInputTokens())
                                .add(u.outputTokens()));
        return out.toString();
    }

    static Map<String, Usage> usageByModel(String json) {
        if (json == null) {
            return Map.of();
        }
        try {
            Map<String, Usage> byModel = new java.util.TreeMap<>();
            USAGE_JSON
                    .readTree(json)
                    .fields()
                    .forEachRemaining(
                            e ->
                                    byModel.put(
                                            e.getKey(),
                                            new Usage(
                                                    e.getValue().path(0).asLong(),
                                                    e.getValue().path(1).asLong(),
                                                    e.getValue().path(2).asLong())));
            return byModel;
        } catch (java.io.IOException e) {
            throw new IllegalStateException(
                    "a shard's usageByModel is not the JSON this store wrote: " + json, e);
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper USAGE_JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();

    static Shard shard(Map<String, AttributeValue> m) {
        ShardResult result =
                m.containsKey("resSucceeded")
                        ? new ShardResult(
                                num(m, "resSucceeded"),
                                num(m, "resFailed"),
                                num(m, "resExpired"),
                                num(m, "resCancelled"),
                                num(m, "resMissing"),
                                num(m, "resUnknown"),
                                new Usage(
                                        num(m, "usageInput"),
                                        num(m, "usageCached"),
                                        num(m, "usageOutput")),
                                str(m, "partKey"),
                                num(m, "resRetried"),
                                num(m, "resFinalFailures"),
                                usageByModel(str(m, "usageByModel")))
                        : null;
        return Shard.builder(str(m, "jobId"), (int) num(m, "shardIndex"))
                .status(ShardStatus.valueOf(str(m, "status")))
                .provider(str(m, "provider"))
                .stagingKey(str(m, "stagingKey"))
                .requestCount(num(m, "requestCount"))
                .bytes(num(m, "bytes"))
                .batchId(str(m, "batchId"))
                .inputFileId(str(m, "inputFileId"))
                .outputFileId(str(m, "outputFileId"))
                .errorFileId(str(m, "errorFileId"))
                .providerStatus(str(m, "providerStatus"))
                .batchState(
                        // runMode is written on every item since both fields exist: an item
                        // without it is older, and only the provider's word says its state.
                        m.containsKey("runMode")
                                ? (m.containsKey("batchState")
                                        ? BatchState.valueOf(str(m, "batchState"))
                                        : null)
                                : LegacyShardItem.batchState(
                                        ShardStatus.valueOf(str(m, "status")),
                                        str(m, "providerStatus"),
                                        str(m, "batchError"),
                                        m.containsKey("endedAt")))
                .runMode(
                        m.containsKey("runMode")
                                ? RunMode.valueOf(str(m, "runMode"))
                                : LegacyShardItem.runMode(str(m, "providerStatus")))
                .providerCounts(
                        new BatchCounts(
                                num(m, "countTotal"),
                                num(m, "countCompleted"),
                                num(m, "countFailed")))
                .batchError(str(m, "batchError"))
                .pollCount((int) num(m, "pollCount"))
                .dueAt(time(m, DUE_AT))
                .submittedAt(time(m, "submittedAt"))
                .endedAt(time(m, "endedAt"))
                .completedAt(time(m, "completedAt"))
                .result(result)
                .version(num(m, "version"))
                .depth((int) num(m, "depth"))
                .trouble(
                        m.containsKey("troubleSince")
                                ? new ShardTrouble(
                                        (int) num(m, "troubleFailures"),
                                        str(m, "troubleLastError"),
                                        str(m, "stuck"),
                                        time(m, "troubleSince"))
                                : null)
                .claimedAt(time(m, "claimedAt"))
                .inputTokens(num(m, "inputTokens"))
                .attempt(
                        m.containsKey("attemptStep")
                                ? new CreationAttempt(
                                        CreationAttempt.Step.valueOf(str(m, "attemptStep")),
                                        time(m, "attemptAt"))
                                : null)
                .queueWait(
                        m.containsKey("waitTimes")
                                ? new QueueWait(
                                        time(m, "waitSince"),
                                        java.time.Duration.ofMillis(num(m, "waitedMs")),
                                        (int) num(m, "waitTimes"),
                                        str(m, "waitReason"))
                                : QueueWait.NONE)
                .build();
    }

    private static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    private static AttributeValue n(long v) {
        return AttributeValue.fromN(Long.toString(v));
    }

    private static void putS(Map<String, AttributeValue> m, String name, String v) {
        if (v != null) {
            m.put(name, s(v));
        }
    }

    private static void putT(Map<String, AttributeValue> m, String name, Instant t) {
        if (t != null) {
            m.put(name, n(t.toEpochMilli()));
        }
    }

    private static String str(Map<String, AttributeValue> m, String name) {
        AttributeValue v = m.get(name);
        return v == null ? null : v.s();
    }

    private static long num(Map<String, AttributeValue> m, String name) {
        AttributeValue v = m.get(name);
        return v == null || v.n() == null ? 0 : Long.parseLong(v.n());
    }

    private static Instant time(Map<String, AttributeValue> m, String name) {
        AttributeValue v = m.get(name);
        return v == null || v.n() == null ? null : Instant.ofEpochMilli(Long.parseLong(v.n()));
    }
}
