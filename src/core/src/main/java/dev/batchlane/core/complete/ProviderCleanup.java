package dev.batchlane.core.complete;

import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.Providers;
import java.util.List;

/**
 * Deletes what a finished job left at its providers (input, output and error files) for every shard
 * that reached one. Run only once every part and the manifest are in the bucket.
 */
final class ProviderCleanup {
    private final Providers providers;

    ProviderCleanup(Providers providers) {
        this.providers = providers;
    }

    void cleanup(List<Shard> shards) {
        for (Shard s : shards) {
            if (s.batch().batchId() != null || s.batch().inputFileId() != null) {
                providers
                        .get(s.provider())
                        .cleanup(
                                s.batch().inputFileId(),
                                s.batch().outputFileId(),
                                s.batch().errorFileId());
            }
        }
    }
}
