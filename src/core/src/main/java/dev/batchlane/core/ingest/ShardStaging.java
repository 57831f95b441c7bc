package dev.batchlane.core.ingest;

import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.storage.ObjectStore;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Where one ingest attempt stages its shards, and the removal of what it staged when the file will
 * not run: a staged file no shard record points at must not linger where a provider could be sent
 * it.
 */
final class ShardStaging implements IngestPass.Stager {
    private static final System.Logger LOG = System.getLogger(ShardStaging.class.getName());

    private final ObjectStore objects;
    private final String jobId;
    private final String attempt;
    private final List<IngestPass.StagedShard> staged = new ArrayList<>();

    ShardStaging(ObjectStore objects, String jobId, String attempt) {
        this.objects = objects;
        this.jobId = jobId;
        this.attempt = attempt;
    }

    /**
     * Each attempt stages under its own prefix: a twin delivery or a retry running its pass while
     * another attempt's shards are recorded (and maybe at the provider) never overwrites or removes
     * their staged files. The shard record says which file is the shard's.
     */
    static ShardStaging forNewAttempt(ObjectStore objects, String jobId, Clock clock) {
        String attempt =
                Long.toString(clock.millis(), 36)
                        + "-"
                        + Integer.toHexString(
                                ThreadLocalRandom.current().nextInt(0x10000, 0x100000));
        return new ShardStaging(objects, jobId, attempt);
    }

    @Override
    public ObjectStore.Upload open(int index) {
        return objects.upload(key(index), "application/jsonl");
    }

    @Override
    public void staged(IngestPass.StagedShard shard) {
        staged.add(shard);
        LOG.log(
                Level.INFO,
                "job {0}: staged shard {1} ({2} requests, {3} bytes)",
                jobId,
                Shard.partName(shard.index()),
                shard.requests(),
                shard.bytes());
    }

    /** The staged file of shard {@code index} of this attempt. */
    String key(int index) {
        return Keys.staging(jobId, attempt, index);
    }

    /** The shards staged so far, in order; whole once the pass has returned or thrown. */
    List<IngestPass.StagedShard> shards() {
        return staged;
    }

    /** Every shard this attempt staged, removed: the file will not run. */
    void removeAll() {
        for (IngestPass.StagedShard s : staged) {
            remove(s.index());
        }
    }

    /** One staged file that no shard record will point at. */
    void remove(int index) {
        String key = key(index);
        try {
            objects.delete(key);
        } catch (RuntimeException e) {
            // No shard record points at it, so nothing submits it; the staging/ lifecycle rule
            // removes it.
            LOG.log(
                    Level.WARNING,
                    "could not remove the unused staged file {0}: {1}",
                    key,
                    e.toString());
        }
    }
}
