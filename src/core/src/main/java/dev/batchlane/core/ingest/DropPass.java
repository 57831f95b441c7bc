package dev.batchlane.core.ingest;

import dev.batchlane.core.job.IngestProgress;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.lane.Deadline;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.money.TokenEstimate;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One {@link IngestPass} over a dropped object, wired to the bucket and the store: the provider's
 * contract for this file, its limits capped by the lane's, the error list streamed to {@code
 * rejected/}, the shards staged under this attempt's prefix, and the progress on record for the
 * status. A pass that fails or finds a bad line leaves nothing staged.
 */
final class DropPass {
    private static final System.Logger LOG = System.getLogger(DropPass.class.getName());

    private final JobStore store;
    private final ObjectStore objects;
    private final LaneSettings settings;
    private final IngestService.Tuning tuning;
    private final Clock clock;

    DropPass(
            JobStore store,
            ObjectStore objects,
            LaneSettings settings,
            IngestService.Tuning tuning,
            Clock clock) {
        this.store = store;
        this.objects = objects;
        this.settings = settings;
        this.tuning = tuning;
        this.clock = clock;
    }

    /**
     * What the pass found. When {@code checked} is not valid, the staged shards are already removed
     * and {@code errorsWritten} says whether the error list was streamed (and completed). {@code
     * onDemand} is the estimate, by model, of the staged shards too small for one of the provider's
     * batches, which run request by request at the synchronous price.
     */
    record Read(
            FileValidator.Validation checked,
            ShardStaging staging,
            boolean errorsWritten,
            Map<String, TokenEstimate> onDemand) {}

    Read read(DroppedFile file, BatchProvider provider, Deadline deadline) throws IOException {
        String jobId = file.jobId();
        IngestService.ObjectRef ref = file.ref();
        Keys.Drop drop = file.drop();
        IngestLimits limits = provider.limits().cappedBy(settings.limits());
        IngestProgress[] progress = {IngestProgress.started(ref.size(), clock.instant())};
        store.recordIngestProgress(jobId, progress[0]);
        IngestPass.Options options =
                new IngestPass.Options(
                        tuning.parallelism(),
                        IngestPass.Options.DEFAULT_CHUNK_BYTES,
                        tuning.progressEvery(),
                        deadline,
                        tuning.passMargin(),
                        clock);
        ShardStaging staging = ShardStaging.forNewAttempt(objects, jobId, clock);
        IngestPass.PassSummary pass;
        RequestContract contract;
        try (ErrorList errors =
                        new ErrorList(
                                objects, Keys.rejectedErrors(drop.provider(), drop.name(), jobId));
                InputStream in = objects.open(ref.key(), ref.identity())) {
            try {
                // The contract may read per-file settings (Gemini's model) from the object's
                // metadata: the version the event names, the one whose bytes are read, not
                // whatever was written over it since.
                Map<String, String> metadata =
                        objects.head(ref.key(), ref.versionId())
                                .map(info -> info.metadata())
                                .orElse(Map.of());
                contract = provider.contract().forFile(metadata);
                pass =
                        new IngestPass(
                                        contract,
                                        limits,
                                        settings.money().defaultMaxOutputTokens(),
                                        options,
                                        QueueLimits.of(settings, store, provider.name()))
                                .run(
                                        in,
                                        errors::add,
                                        staging,
                                        (bytes, shards) -> {
                                            progress[0] =
                                                    progress[0].read(
                                                            bytes, shards, clock.instant());
                                            store.recordIngestProgress(jobId, progress[0]);
                                            LOG.log(
                                                    Level.INFO,
                                                    "job {0}: {1} of {2} bytes validated, {3} shard(s) staged",
                                                    jobId,
                                                    bytes,
                                                    ref.size(),
                                                    shards);
                                        });
            } catch (IOException | RuntimeException e) {
                staging.removeAll();
                throw e;
            }
            FileValidator.Validation checked = pass.checked();
            progress[0] =
                    progress[0].passEnded(
                            checked.bytes(), staging.shards().size(), clock.instant());
            store.recordIngestProgress(jobId, progress[0]);
            LOG.log(
                    Level.INFO,
                    "job {0}: one pass over {1} bytes in {2} ms ({3} lines, {4} violations, {5} shards)",
                    jobId,
                    checked.bytes(),
                    pass.elapsed().toMillis(),
                    checked.lines(),
                    checked.violationCount(),
                    staging.shards().size());
            if (!checked.valid()) {
                staging.removeAll();
                errors.complete();
            }
            return new Read(checked, staging, errors.written(), onDemand(pass.shards(), contract));
        }
    }

    /** The estimate of the shards the provider runs on demand, being below its batch minimum. */
    private static Map<String, TokenEstimate> onDemand(
            List<IngestPass.StagedShard> shards, RequestContract contract) {
        long below = contract.onDemandBelow();
        Map<String, TokenEstimate> sum = new TreeMap<>();
        for (IngestPass.StagedShard s : shards) {
            if (s.requests() < below) {
                s.estimates().forEach((model, t) -> sum.merge(model, t, TokenEstimate::plus));
            }
        }
        return sum;
    }
}
