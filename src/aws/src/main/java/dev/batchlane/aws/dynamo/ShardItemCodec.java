package dev.batchlane.aws.dynamo;

import static dev.batchlane.aws.dynamo.Attrs.n;
import static dev.batchlane.aws.dynamo.Attrs.num;
import static dev.batchlane.aws.dynamo.Attrs.putS;
import static dev.batchlane.aws.dynamo.Attrs.putT;
import static dev.batchlane.aws.dynamo.Attrs.s;
import static dev.batchlane.aws.dynamo.Attrs.str;
import static dev.batchlane.aws.dynamo.Attrs.time;
import static dev.batchlane.aws.dynamo.ItemKeys.DUE_PARTITION;
import static dev.batchlane.aws.dynamo.ItemKeys.RETENTION;
import static dev.batchlane.aws.dynamo.ItemKeys.jobPk;
import static dev.batchlane.aws.dynamo.ItemKeys.shardSk;
import static dev.batchlane.aws.dynamo.TableSetup.DUE_AT;
import static dev.batchlane.aws.dynamo.TableSetup.DUE_GROUP;
import static dev.batchlane.aws.dynamo.TableSetup.PK;
import static dev.batchlane.aws.dynamo.TableSetup.SK;

import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.job.ProviderBatch;
import dev.batchlane.core.job.QueueWait;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardInput;
import dev.batchlane.core.job.ShardResult;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.job.ShardTimeline;
import dev.batchlane.core.job.ShardTrouble;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.RunMode;
import dev.batchlane.core.provider.Usage;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * A {@link Shard} as its item's attributes, and back; items written before a field existed read
 * with its default (see {@link LegacyShardItem}).
 */
final class ShardItemCodec {
    private ShardItemCodec() {}

    static Map<String, AttributeValue> shardItem(Shard sh) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put(PK, s(jobPk(sh.jobId())));
        m.put(SK, s(shardSk(sh.index())));
        m.put("type", s("shard"));
        m.put("jobId", s(sh.jobId()));
        m.put("shardIndex", n(sh.index()));
        m.put("status", s(sh.status().name()));
        putS(m, "provider", sh.provider());
        putS(m, "stagingKey", sh.input().stagingKey());
        m.put("requestCount", n(sh.input().requestCount()));
        m.put("bytes", n(sh.input().bytes()));
        putS(m, "batchId", sh.batch().batchId());
        putS(m, "inputFileId", sh.batch().inputFileId());
        putS(m, "outputFileId", sh.batch().outputFileId());
        putS(m, "errorFileId", sh.batch().errorFileId());
        putS(m, "providerStatus", sh.batch().providerStatus());
        if (sh.batch().batchState() != null) {
            m.put("batchState", s(sh.batch().batchState().name()));
        }
        m.put("runMode", s(sh.batch().runMode().name()));
        m.put("countTotal", n(sh.batch().providerCounts().total()));
        m.put("countCompleted", n(sh.batch().providerCounts().completed()));
        m.put("countFailed", n(sh.batch().providerCounts().failed()));
        putS(m, "batchError", sh.batch().batchError());
        m.put("pollCount", n(sh.batch().pollCount()));
        if (sh.timeline().dueAt() != null) {
            // Present only while poll should look at the shard: that is what keeps the index
            // sparse.
            m.put(DUE_GROUP, s(DUE_PARTITION));
            m.put(DUE_AT, n(sh.timeline().dueAt().toEpochMilli()));
        }
        putT(m, "submittedAt", sh.timeline().submittedAt());
        putT(m, "endedAt", sh.timeline().endedAt());
        putT(m, "completedAt", sh.timeline().completedAt());
        if (sh.timeline().completedAt() != null) {
            m.put(TableSetup.TTL, n(sh.timeline().completedAt().plus(RETENTION).getEpochSecond()));
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
        putT(m, "claimedAt", sh.timeline().claimedAt());
        putT(m, "uploadedAt", sh.timeline().uploadedAt());
        if (sh.input().inputTokens() > 0) {
            m.put("inputTokens", n(sh.input().inputTokens()));
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
        ShardStatus status = ShardStatus.valueOf(str(m, "status"));
        ProviderBatch batch =
                new ProviderBatch(
                        str(m, "batchId"),
                        str(m, "inputFileId"),
                        str(m, "outputFileId"),
                        str(m, "errorFileId"),
                        str(m, "providerStatus"),
                        new BatchCounts(
                                num(m, "countTotal"),
                                num(m, "countCompleted"),
                                num(m, "countFailed")),
                        str(m, "batchError"),
                        // runMode is written on every item since both fields exist: an item
                        // without it is older, and only the provider's word says its state.
                        m.containsKey("runMode")
                                ? (m.containsKey("batchState")
                                        ? BatchState.valueOf(str(m, "batchState"))
                                        : null)
                                : LegacyShardItem.batchState(
                                        status,
                                        str(m, "providerStatus"),
                                        str(m, "batchError"),
                                        m.containsKey("endedAt")),
                        m.containsKey("runMode")
                                ? RunMode.valueOf(str(m, "runMode"))
                                : LegacyShardItem.runMode(str(m, "providerStatus")),
                        (int) num(m, "pollCount"));
        return Shard.builder(str(m, "jobId"), (int) num(m, "shardIndex"))
                .status(status)
                .provider(str(m, "provider"))
                .input(
                        new ShardInput(
                                str(m, "stagingKey"),
                                num(m, "requestCount"),
                                num(m, "bytes"),
                                num(m, "inputTokens")))
                .batch(batch)
                .timeline(
                        new ShardTimeline(
                                time(m, DUE_AT),
                                time(m, "submittedAt"),
                                time(m, "endedAt"),
                                time(m, "completedAt"),
                                time(m, "claimedAt"),
                                time(m, "uploadedAt")))
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
}
