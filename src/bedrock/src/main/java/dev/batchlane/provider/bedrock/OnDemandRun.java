package dev.batchlane.provider.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A shard too small for a batch job, run record by record through bedrock-runtime (InvokeModel or
 * Converse, as the file's format says), in the batch output format (with {@code "onDemand": true})
 * so results and cleanup are one path. Each record is invoked at most once, because a model call is
 * billed whether or not its answer comes back:
 *
 * <ul>
 *   <li>before a call, {@code record-<n>.started} is written, only if absent (two overlapping steps
 *       cannot both claim a record); after it, the record's line is written at once as {@code
 *       record-<n>.jsonl.out}, so a step cut short keeps what it paid for, and a step run again (an
 *       overlapping poll, a retried read) skips it;
 *   <li>a record found started without a line lost its answer after the call left: it may have run
 *       and been billed, so it ends with {@value #OUTCOME_UNKNOWN} and is never invoked again; so
 *       does a call that timed out or failed with a server error (the runtime client makes one
 *       attempt, see {@link BedrockFactory#runtimeClient});
 *   <li>only a call refused before the model ran (throttled, not reached) is taken back (its marker
 *       deleted) and tried by a later poll;
 *   <li>a step starts a call only while the time left before its deadline exceeds one call's worst
 *       case ({@link BedrockConfig#requestTimeout()}) plus {@link #MARGIN};
 *   <li>a cancel ({@code cancel-requested} in the folder) stops further calls; the run ends {@code
 *       CANCELLED} with the lines it wrote, which are joined.
 * </ul>
 *
 * When every record has its line, {@code manifest.json.out} is written as Bedrock writes it and the
 * run is {@code COMPLETED}. Lines of the older {@code records-<first>.jsonl.out} objects (one per
 * step) are read as the records they hold.
 *
 * <p>This class is the step: its loop over the records, the deadline and the cancel, and the run's
 * counts. One record's call and what its outcome means are {@link OnDemandCall}'s; what is kept in
 * S3 (markers, lines, the manifest) is {@link OnDemandFolder}'s.
 */
final class OnDemandRun {
    private static final System.Logger LOG = System.getLogger(OnDemandRun.class.getName());

    /**
     * The word shown for a shard run on demand, for people (the manifest's {@code providerStatus});
     * the lane knows it ran on demand from the submission's {@link
     * dev.batchlane.core.provider.RunMode}, never from this word.
     */
    static final String STATUS = "OnDemand";

    /** The error code of a record whose call left and whose answer was lost; final. */
    static final String OUTCOME_UNKNOWN = "on_demand_outcome_unknown";

    /** Room kept after one call's worst case for writing its line before the deadline. */
    static final Duration MARGIN = Duration.ofSeconds(10);

    private final BedrockConfig config;
    private final OnDemandCall calls;
    private final OnDemandFolder folders;

    OnDemandRun(BedrockConfig config, BedrockRuntimeClient runtime, S3Client s3) {
        this.config = config;
        this.calls = new OnDemandCall(runtime);
        this.folders = new OnDemandFolder(config, s3);
    }

    /**
     * Advances the run by at most {@code onDemandRecordsPerCall} records, starting no call that
     * could end after {@code deadline} as {@code clock} tells time.
     *
     * @param batchId {@code ondemand|<type>|<model>|<input key>}; the model may hold ':' but never
     *     '|'
     */
    BatchView step(String batchId, Instant deadline, Clock clock) {
        String[] parts = batchId.split("\\|", 4);
        InvocationType type = InvocationType.parse(parts[1]);
        String model = parts[2];
        String inputKey = parts[3];
        String folder = folders.outputFolder(inputKey);
        List<String> records = folders.readInput(inputKey);
        OnDemandFolder.Listing listing = folders.list(folder);
        Map<Integer, JsonNode> outcomes = listing.outcomes();
        boolean cancelled = listing.cancelled();
        for (int i : listing.started()) {
            if (!outcomes.containsKey(i) && i < records.size()) {
                ObjectNode line =
                        OnDemandCall.unknown(
                                OnDemandFolder.readTree(records.get(i)),
                                i,
                                inputKey,
                                model,
                                "a step ended between the call and the write of its answer");
                folders.writeLine(folder, i, line);
                outcomes.put(i, line);
            }
        }
        Duration worstCall = config.requestTimeout().plus(MARGIN);
        int ran = 0;
        for (int i = 0; i < records.size() && !cancelled; i++) {
            if (outcomes.containsKey(i)) {
                continue;
            }
            if (ran >= config.onDemandRecordsPerCall()) {
                break;
            }
            Duration left = Duration.between(clock.instant(), deadline);
            if (left.compareTo(worstCall) < 0) {
                LOG.log(
                        Level.INFO,
                        "on-demand run {0}: {1}s left before the step''s deadline, less than one"
                                + " call''s worst case ({2}s); the next poll goes on at record {3}",
                        inputKey,
                        left.toSeconds(),
                        worstCall.toSeconds(),
                        i + 1);
                break;
            }
            if (ran > 0 && folders.cancelRequested(folder)) {
                cancelled = true;
                break;
            }
            JsonNode record = OnDemandFolder.readTree(records.get(i));
            if (!folders.claim(folder, i)) {
                // Another step of this run holds the record (an overlapping poll, or a step
                // retried while the first still waits on the model). That step goes on with the
                // records after it; this one, whose listing is older, stops rather than invoke
                // them again.
                LOG.log(
                        Level.INFO,
                        "on-demand run {0}: record {1} is being run by another step; this step"
                                + " stops",
                        inputKey,
                        i + 1);
                break;
            }
            OnDemandCall.Verdict verdict = calls.call(type, model, record, i, inputKey);
            if (verdict instanceof OnDemandCall.TakenBack back) {
                // Refused before the model ran: taken back for a later poll.
                folders.release(folder, i);
                if (back.refusal() == OnDemandCall.Refusal.THROTTLED) {
                    LOG.log(
                            Level.INFO,
                            "on-demand run {0}: throttled after {1} record(s); the next poll goes on",
                            inputKey,
                            ran);
                } else {
                    LOG.log(
                            Level.WARNING,
                            "on-demand run {0}: record {1} could not reach bedrock-runtime ({2});"
                                    + " the next poll tries it",
                            inputKey,
                            i + 1,
                            back.detail());
                }
                break;
            }
            ObjectNode line = ((OnDemandCall.Kept) verdict).line();
            folders.writeLine(folder, i, line);
            outcomes.put(i, line);
            ran++;
        }
        return summary(batchId, folder, records.size(), outcomes, cancelled);
    }

    /**
     * The run as the lane sees it: RUNNING while records are left; once every record has its line
     * (or a cancel stopped it), {@code manifest.json.out} is written and the run ends.
     */
    private BatchView summary(
            String batchId,
            String folder,
            int total,
            Map<Integer, JsonNode> outcomes,
            boolean cancelled) {
        long succeeded = 0;
        long errors = 0;
        long inTokens = 0;
        long outTokens = 0;
        for (JsonNode n : outcomes.values()) {
            if (n.has("modelOutput")) {
                succeeded++;
                var u = BedrockResults.usageOf(n.get("modelOutput"));
                inTokens += u.inputTokens();
                outTokens += u.outputTokens();
            } else {
                errors++;
            }
        }
        long doneCount = outcomes.size();
        BatchCounts counts = new BatchCounts(total, succeeded, errors);
        boolean complete = doneCount >= total;
        if (!complete && !cancelled) {
            return new BatchView(batchId, BatchState.RUNNING, STATUS, counts, null, null, null);
        }
        ObjectNode manifest = BedrockProvider.JSON.createObjectNode();
        manifest.put("totalRecordCount", total);
        manifest.put("processedRecordCount", doneCount);
        manifest.put("successRecordCount", succeeded);
        manifest.put("errorRecordCount", errors);
        manifest.put("inputTokenCount", inTokens);
        manifest.put("outputTokenCount", outTokens);
        manifest.put("onDemand", true);
        folders.writeManifest(folder, manifest);
        return new BatchView(
                batchId,
                complete ? BatchState.COMPLETED : BatchState.CANCELLED,
                STATUS,
                counts,
                folder,
                null,
                null);
    }

    /** Stops further calls of the run: the next step starts none and ends it CANCELLED. */
    void cancel(String batchId) {
        folders.requestCancel(folders.outputFolder(batchId.split("\\|", 4)[3]));
    }
}
