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
import dev.batchlane.core.job.QueueWait;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardResult;
import dev.batchlane.core.job.ShardStatus;
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
}
