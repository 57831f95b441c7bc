package dev.batchlane.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.Submission;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * The lane's side of one conformance test, as the submitter plays it: shards of jobs of their own,
 * creation and its recovery after a lost answer, polling to the end, reading results and cleaning
 * up. The groups of checks share it so each says only what it checks.
 */
final class ConformanceRun {
    /** Enough rounds for any simulator's batch to end at one step per round. */
    static final int MAX_ROUNDS = 200;

    private static final AtomicInteger JOBS = new AtomicInteger();

    private final ConformanceTarget t;
    private final BatchProvider provider;
    private final int shardSize;

    ConformanceRun(ConformanceTarget target, int shardSize) {
        this.t = target;
        this.provider = target.provider();
        this.shardSize = shardSize;
    }

    ConformanceTarget target() {
        return t;
    }

    BatchProvider provider() {
        return provider;
    }

    /** One shard of a job of its own, with the ids, payload and metadata the lane sends. */
    TestShard shard() {
        String jobId =
                "job"
                        + JOBS.incrementAndGet()
                        + "x"
                        + Long.toString(System.nanoTime() % 100_000, 36);
        String name = Shard.partName(0);
        List<String> ids =
                IntStream.range(0, shardSize).mapToObj(i -> jobId + "-req-" + i).toList();
        return new TestShard(
                jobId,
                name,
                ids,
                t.shard(jobId, name, ids),
                Map.of("batchlane_job_id", jobId, "batchlane_shard", name));
    }

    Submission submit(TestShard s) {
        String fileId = provider.upload(s.payload());
        return provider.create(fileId, s.payload(), t.endpoint(), s.metadata());
    }

    /**
     * After a create that may have taken effect: looks for it, and adopts it or makes the call
     * again, as the submitter does.
     */
    Submission recover(TestShard s, Instant at, String fileId, Set<String> known) {
        CreationAttempt.Step step =
                fileId == null ? CreationAttempt.Step.UPLOAD : CreationAttempt.Step.CREATE;
        Reconciliation found = reconcile(s, step, at, fileId, known);
        return switch (found.found()) {
            case BATCH ->
                    Submission.batch(
                            found.batchId(),
                            found.inputFileId() != null ? found.inputFileId() : fileId,
                            BatchState.PENDING,
                            found.providerStatus());
            case NOTHING, FILE ->
                    provider.create(
                            found.found() == Reconciliation.Found.FILE
                                    ? found.inputFileId()
                                    : fileId,
                            s.payload(),
                            t.endpoint(),
                            s.metadata());
            case UNDECIDED -> throw new IllegalStateException("reconcile never answers UNDECIDED");
        };
    }

    /** {@code findCreated} until it decides, the provider's time moving on between looks. */
    Reconciliation reconcile(
            TestShard s, CreationAttempt.Step step, Instant at, String fileId, Set<String> known) {
        CreationQuery q =
                new CreationQuery(
                        s.jobId(),
                        s.name(),
                        s.payload(),
                        s.ids().size(),
                        s.metadata(),
                        step,
                        at,
                        fileId,
                        known);
        for (int round = 0; round < MAX_ROUNDS; round++) {
            Reconciliation found = provider.findCreated(q);
            if (found.found() != Reconciliation.Found.UNDECIDED) {
                return found;
            }
            t.advance();
        }
        return fail(provider.name() + " stayed undecided for " + MAX_ROUNDS + " rounds about " + q);
    }

    BatchView runToEnd(Submission sub) {
        BatchView view = null;
        for (int round = 0; round < MAX_ROUNDS; round++) {
            view = provider.retrieve(sub.batchId());
            if (view.state().terminal()) {
                return view;
            }
            t.advance();
        }
        return fail(
                provider.name()
                        + " batch "
                        + sub.batchId()
                        + " did not end in "
                        + MAX_ROUNDS
                        + " rounds: "
                        + view);
    }

    /**
     * Every result line of an ended batch by id; each id at most once and every id one of the
     * shard's.
     */
    Map<String, LineResult> results(TestShard s, BatchView ended) {
        List<LineResult> all = new ArrayList<>();
        provider.streamResults(ended, all::add);
        Map<String, LineResult> byId = new HashMap<>();
        for (LineResult line : all) {
            assertThat(s.ids())
                    .as("%s: result line for an id the shard never sent", provider.name())
                    .contains(line.customId());
            assertThat(byId.put(line.customId(), line))
                    .as("%s: two result lines for %s", provider.name(), line.customId())
                    .isNull();
        }
        return byId;
    }

    void finishAndClean(TestShard s, Submission sub) {
        BatchView ended = runToEnd(sub);
        assertThat(ended.state())
                .as("%s: %s", provider.name(), ended)
                .isEqualTo(BatchState.COMPLETED);
        assertThat(count(results(s, ended), Outcome.SUCCEEDED)).isEqualTo(s.ids().size());
        clean(sub, ended);
    }

    void clean(Submission sub, BatchView ended) {
        provider.cleanup(sub.inputFileId(), ended.outputFileId(), ended.errorFileId());
    }

    /** Once every batch of a test is cleaned up, the provider holds nothing of the lane's. */
    void nothingLeft() {
        assertThat(t.leftovers())
                .as("%s: cleanup left something at the provider", provider.name())
                .isEmpty();
    }

    void assertWaits(ProviderException refused, String what) {
        assertThat(refused).as("%s: %s must fail the call", provider.name(), what).isNotNull();
        assertThat(refused.retryable())
                .as(
                        "%s: %s is 'not now', so the shard waits: %s",
                        provider.name(), what, refused.getMessage())
                .isTrue();
        assertThat(refused.mayHaveTakenEffect())
                .as(
                        "%s: %s is a definite refusal: nothing was made: %s",
                        provider.name(), what, refused.getMessage())
                .isFalse();
    }

    static long count(Map<String, LineResult> lines, Outcome outcome) {
        return lines.values().stream().filter(l -> l.outcome() == outcome).count();
    }
}
