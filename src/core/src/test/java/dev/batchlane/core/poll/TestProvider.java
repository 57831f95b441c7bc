package dev.batchlane.core.poll;

import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.job.BatchCounts;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.Submission;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The provider port in memory: every batch is running unless {@link #onRetrieve} says otherwise for
 * its id (block, throw, advance a clock …). Counts its calls.
 */
final class TestProvider implements BatchProvider {
    final AtomicInteger retrieves = new AtomicInteger();
    final AtomicInteger submits = new AtomicInteger();
    final Map<String, AtomicInteger> retrievesById = new ConcurrentHashMap<>();
    volatile Function<String, BatchView> onRetrieve = TestProvider::running;

    /** Batches asked to cancel, in order (a refused one too). */
    final java.util.List<String> cancels =
            java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    /** What a cancel of that batch throws, or null to accept it. */
    volatile Function<String, RuntimeException> onCancel = b -> null;

    /** Runs inside each submission, before it answers (a cancel arriving meanwhile …). */
    volatile Runnable duringSubmit = () -> {};

    static BatchView running(String batchId) {
        return new BatchView(
                batchId,
                BatchState.RUNNING,
                "in_progress",
                new BatchCounts(10, 1, 0),
                null,
                null,
                null);
    }

    @Override
    public String name() {
        return "test";
    }

    @Override
    public java.util.Optional<java.time.Duration> inputFileLifetime() {
        return java.util.Optional.empty();
    }

    @Override
    public dev.batchlane.core.ingest.IngestLimits limits() {
        throw new UnsupportedOperationException("poll cuts no shards");
    }

    @Override
    public RequestContract contract() {
        throw new UnsupportedOperationException("poll validates nothing");
    }

    @Override
    public Submission submit(Payload payload, String endpoint, Map<String, String> metadata) {
        int n = submits.incrementAndGet();
        duringSubmit.run();
        return Submission.batch(
                "batch_sub_" + n, "file_sub_" + n, BatchState.PENDING, "validating");
    }

    @Override
    public void cancel(String batchId) {
        cancels.add(batchId);
        RuntimeException e = onCancel.apply(batchId);
        if (e != null) {
            throw e;
        }
    }

    /** Makes nothing a lost answer could hide: every batch exists only in this process. */
    @Override
    public dev.batchlane.core.provider.Reconciliation findCreated(
            dev.batchlane.core.provider.CreationQuery query) {
        return dev.batchlane.core.provider.Reconciliation.nothing("nothing is made remotely");
    }

    @Override
    public BatchView retrieve(String batchId) {
        retrieves.incrementAndGet();
        retrievesById.computeIfAbsent(batchId, b -> new AtomicInteger()).incrementAndGet();
        return onRetrieve.apply(batchId);
    }

    @Override
    public void streamResults(BatchView batch, Consumer<LineResult> sink) {
        throw new UnsupportedOperationException("not poll's");
    }

    @Override
    public void cleanup(String inputFileId, String outputFileId, String errorFileId) {
        throw new UnsupportedOperationException("not poll's");
    }
}
