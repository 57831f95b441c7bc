package dev.batchlane.core.complete;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardResult;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.RunMode;
import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * Joins one claimed shard's results: streams its part to the bucket, writes its final failures, and
 * stages the passing ones as its child shard (see {@link Resubmission}). Writes only objects; the
 * shard's own record is {@link CompleteService}'s to write.
 */
final class ShardJoin {
    private final ObjectStore objects;
    private final Providers providers;
    private final LaneSettings settings;
    private final Resubmission resubmission;

    ShardJoin(ObjectStore objects, Providers providers, LaneSettings settings) {
        this.objects = objects;
        this.providers = providers;
        this.settings = settings;
        this.resubmission = new Resubmission(objects);
    }

    /** The shard's result, and the child shard to record with it (null when nothing passes on). */
    record Joined(ShardResult result, Shard child) {}

    Joined join(Shard shard, Job job, Instant now) {
        BatchProvider provider = providers.get(shard.provider());
        String idField = provider.contract().idField();
        String partKey = Keys.part(shard.jobId(), shard.index());
        try {
            Set<String> pending;
            try (InputStream staged = objects.open(shard.input().stagingKey())) {
                pending = Joiner.stagedIds(staged, idField);
            }
            BatchView view =
                    new BatchView(
                            shard.batch().batchId(),
                            shard.batch().batchState(),
                            shard.batch().providerStatus(),
                            shard.batch().providerCounts(),
                            shard.batch().outputFileId(),
                            shard.batch().errorFileId(),
                            shard.batch().batchError());
            Joiner.Joined joined;
            // Streamed to the bucket part by part: a 1 GB part of long answers never touches /tmp.
            try (ObjectStore.Upload part = objects.upload(partKey, "application/jsonl")) {
                joined =
                        Joiner.join(
                                pending,
                                sink -> {
                                    if (shard.batch().batchId() != null) {
                                        provider.streamResults(view, sink);
                                    }
                                },
                                unanswered(shard),
                                mayResubmit(shard, job),
                                part,
                                partKey,
                                shard.batch().runMode() == RunMode.ON_DEMAND);
                part.complete();
            }
            String childKey = Keys.staging(shard.jobId(), shard.childIndex());
            Map<String, Long> written =
                    resubmission.copyStaged(
                            shard,
                            idField,
                            Map.of(
                                    Keys.failedPart(shard.jobId(), shard.index()),
                                    joined.finalFailures(),
                                    childKey,
                                    joined.resubmit()));
            Shard child = null;
            if (!joined.resubmit().isEmpty()) {
                child =
                        Resubmission.child(
                                shard,
                                childKey,
                                joined.resubmit().size(),
                                written.get(childKey),
                                now);
            }
            return new Joined(joined.result(), child);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "job "
                            + shard.jobId()
                            + " shard "
                            + Shard.partName(shard.index())
                            + ": joining results failed",
                    e);
        }
    }

    /**
     * Passing failures are resubmitted up to the depth limit, and never once the owner cancelled
     * the job.
     */
    private boolean mayResubmit(Shard shard, Job job) {
        return shard.depth() < settings.maxResubmitDepth() && !job.cancelRequested();
    }

    private static Joiner.Unanswered unanswered(Shard shard) {
        if (shard.batch().batchError() != null) {
            return new Joiner.Unanswered(
                    Outcome.FAILED, "batch_failed", shard.batch().batchError());
        }
        // The adapter decided the batch's state from the provider's words when it ended; a shard
        // cancelled before it was sent ended CANCELLED without a batch.
        BatchState state = shard.batch().batchState();
        if (state == BatchState.EXPIRED) {
            return new Joiner.Unanswered(
                    Outcome.EXPIRED,
                    "batch_expired",
                    "the batch's completion window closed before this request ran");
        }
        if (state == BatchState.CANCELLED) {
            return new Joiner.Unanswered(
                    Outcome.CANCELLED,
                    "batch_cancelled",
                    "the batch was cancelled before this request ran");
        }
        // The batch ended and says it is done, yet this request has no line. The provider's counts
        // decide whether it was run: only requests they show as never processed are sent again.
        var c = shard.batch().providerCounts();
        long notProcessed = c == null ? 0 : Math.max(0, c.total() - c.completed() - c.failed());
        return new Joiner.Unanswered(
                Outcome.MISSING,
                "missing_result",
                "the provider returned no result line for this request",
                notProcessed);
    }
}
