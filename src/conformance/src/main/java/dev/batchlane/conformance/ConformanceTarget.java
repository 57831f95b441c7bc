package dev.batchlane.conformance;

import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.Payload;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * One adapter wired to its simulator, with the simulator's fault knobs in the kit's words. Each
 * adapter module implements this once; {@link ProviderConformance} does the rest. Every knob acts
 * on the next matching call only, and the simulator records each request before it answers.
 */
public interface ConformanceTarget extends AutoCloseable {

    /** The adapter under test, pointed at the simulator. */
    BatchProvider provider();

    /** The endpoint (or model target) the lane passes to {@code create} for the shards below. */
    String endpoint();

    /**
     * A staged shard holding one valid request per id, in the provider's own line format, named as
     * the lane names it ({@code <jobId>-<shard>.jsonl}).
     */
    Payload shard(String jobId, String shard, List<String> customIds);

    /**
     * Whether the provider takes a shard as an uploaded file ({@code upload} answers its id); false
     * for providers that take requests inline, which have no upload to lose.
     */
    default boolean uploadsFiles() {
        return true;
    }

    /**
     * Whether the service returns the requests that finished before a batch expired. A service that
     * documents no results for an expired batch says false: every request then comes back unrun,
     * and the kit checks that nothing claims otherwise.
     */
    default boolean expiryKeepsFinishedWork() {
        return true;
    }

    /** The simulator's clock, which the lane's clock is taken to agree with. */
    Instant now();

    /** Moves the simulator on by one of its steps, so batches progress. */
    void advance();

    /**
     * The next creating call of {@code step} takes effect at the provider and its answer is lost
     * {@code how}. For providers that take requests inline, {@code CREATE} is the only step.
     */
    void loseNextAnswer(CreationAttempt.Step step, LostAnswer how);

    /** The next batch creation fails with a 5xx before it acts: nothing is made. */
    void failNextCreateBeforeActing();

    /** The next batch creation is refused with the provider's rate-limit answer (HTTP 429). */
    void rateLimitNextCreate();

    /**
     * The provider's queue is full for the next batch: it is refused at creation, or created and
     * failed for the queue, whichever the provider does.
     */
    void fillQueueForNextCreate();

    /** The next batch expires with some, not all, of its requests done. */
    void expireNextBatch();

    /**
     * The next batch's results lose the lines of {@code missing} and carry the lines of {@code
     * unreadable} damaged beyond parsing; the order of the lines is not the input's either.
     */
    void damageNextResults(Set<String> missing, Set<String> unreadable);

    /** How many batches (jobs) the provider has made since the target started, deleted or not. */
    int batchesMade();

    /** How many input files the provider has made since the target started, deleted or not. */
    int inputsMade();

    /**
     * What the provider still holds for the lane (files, batches with data, objects), one line each
     * for the failure message; empty when cleanup left nothing.
     */
    List<String> leftovers();

    /** The service's own documented limits, which the adapter's declared limits must not exceed. */
    IngestLimits serviceLimits();

    @Override
    void close();
}
