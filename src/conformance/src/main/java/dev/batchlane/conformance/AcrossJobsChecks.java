package dev.batchlane.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.fail;

import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.Submission;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * The kit's cases where a lost creation meets another job: users reuse request ids across files
 * ({@code req-0…} every day), so two jobs' shards can hold the same ids and the same count, and a
 * look-up by content alone would take the other job's batch. And a cancel that arrives while a
 * creation is unresolved: what the creation made is found and cancelled (or, when the provider can
 * tell it only once it ended, joined), never left running unseen. Run from {@link
 * ProviderConformance}; the lane's side is played as the submitter plays it, with the lane's batch
 * registry given as {@link CreationQuery#recordedElsewhere}.
 */
final class AcrossJobsChecks {
    private static final int MAX_ROUNDS = 200;
    private static final AtomicInteger JOBS = new AtomicInteger();

    private final ConformanceTarget t;
    private final BatchProvider provider;
    private final int size;

    AcrossJobsChecks(ConformanceTarget t, int size) {
        this.t = t;
        this.provider = t.provider();
        this.size = size;
    }

    /** One shard of a job of its own, with ids every job uses: req-0, req-1, … */
    private final class Shard {
        final String jobId = "reuse" + JOBS.incrementAndGet() + "x" + (System.nanoTime() % 1000);
        final String name = dev.batchlane.core.job.Shard.partName(0);
        final List<String> ids = IntStream.range(0, size).mapToObj(i -> "req-" + i).toList();
        final Payload payload = t.shard(jobId, name, ids);
        final Map<String, String> metadata =
                Map.of("batchlane_job_id", jobId, "batchlane_shard", name);
    }

    /**
     * Job A's batch holds the same ids; job B's create failed before acting. B must find nothing
     * (A's batch is recorded by the lane) and make its own.
     */
    void anotherJobsBatchWithTheSameIds_isNeverAdopted() {
        Shard a = new Shard();
        Submission theirs = submit(a);
        BatchView aEnded = runToEnd(theirs);
        Shard b = new Shard();
        String fileId = provider.upload(b.payload);
        Instant at = t.now();
        t.failNextCreateBeforeActing();
        ProviderException failed =
                catchThrowableOfType(
                        ProviderException.class,
                        () -> provider.create(fileId, b.payload, t.endpoint(), b.metadata));
        assertThat(failed).as("%s: the injected 5xx must fail the create", name()).isNotNull();

        Submission mine = recover(b, at, fileId, Set.of(theirs.batchId()));
        assertThat(mine.batchId())
                .as(
                        "%s took job A's batch (recorded by the lane, same ids) for job B's create"
                                + " that made nothing",
                        name())
                .isNotEqualTo(theirs.batchId());
        assertThat(t.batchesMade()).isEqualTo(2);
        finishAndClean(b, mine);
        clean(theirs, aEnded);
        assertThat(t.leftovers()).as("%s: cleanup left something", name()).isEmpty();
    }

    /**
     * Job A's batch holds the same ids and is recorded; job B's create took effect and its answer
     * was lost. B adopts its own batch, not A's, and nothing is made twice.
     */
    void lostCreateAnswer_besideAnotherJobsBatchWithTheSameIds_adoptsItsOwn(LostAnswer how) {
        Shard a = new Shard();
        Submission theirs = submit(a);
        Shard b = new Shard();
        String fileId = provider.upload(b.payload);
        Instant at = t.now();
        t.loseNextAnswer(CreationAttempt.Step.CREATE, how);
        Submission mine = null;
        try {
            mine = provider.create(fileId, b.payload, t.endpoint(), b.metadata);
        } catch (ProviderException e) {
            assertThat(e.mayHaveTakenEffect()).isTrue();
            mine = recover(b, at, fileId, Set.of(theirs.batchId()));
        }
        assertThat(mine.batchId())
                .as("%s adopted job A's batch (same ids)", name())
                .isNotEqualTo(theirs.batchId());
        assertThat(t.batchesMade()).as("%s made a second batch", name()).isEqualTo(2);
        finishAndClean(b, mine);
        finishAndClean(a, theirs);
        assertThat(t.leftovers()).as("%s: cleanup left something", name()).isEmpty();
    }

    /**
     * A cancel arrives while a create is unresolved: the lane looks for what it made, and cancels
     * it. The batch ends cancelled (or completed, where the provider can tell it only once it
     * ended), its results are joined, cleanup leaves nothing, and nothing was made twice.
     */
    void cancelDuringAnUnresolvedCreate_findsTheBatch_andStopsIt() {
        Shard s = new Shard();
        String fileId = provider.upload(s.payload);
        Instant at = t.now();
        t.loseNextAnswer(CreationAttempt.Step.CREATE, LostAnswer.SERVER_ERROR);
        Submission sub;
        try {
            sub = provider.create(fileId, s.payload, t.endpoint(), s.metadata);
        } catch (ProviderException e) {
            Reconciliation found = reconcile(s, at, fileId, Set.of());
            assertThat(found.found())
                    .as(
                            "%s: the create took effect; a cancel must find its batch to stop it"
                                    + " (%s)",
                            name(), found.evidence())
                    .isIn(Reconciliation.Found.BATCH, Reconciliation.Found.NOTHING);
            if (found.found() == Reconciliation.Found.NOTHING) {
                assertThat(provider.creationIsIdempotent())
                        .as("%s found nothing of a create that took effect", name())
                        .isTrue();
                sub = provider.create(fileId, s.payload, t.endpoint(), s.metadata);
            } else {
                sub =
                        Submission.batch(
                                found.batchId(),
                                found.inputFileId() != null ? found.inputFileId() : fileId,
                                BatchState.PENDING,
                                found.providerStatus());
            }
        }
        try {
            provider.cancel(sub.batchId());
        } catch (ProviderException refused) {
            assertThat(refused.retryable())
                    .as("%s: a cancel refused for an ended batch is final", name())
                    .isFalse();
        }
        BatchView ended = runToEnd(sub);
        assertThat(ended.state())
                .as("%s: %s", name(), ended)
                .isIn(BatchState.CANCELLED, BatchState.COMPLETED);
        assertThat(t.batchesMade()).as("%s made a second batch", name()).isEqualTo(1);
        results(s, ended);
        clean(sub, ended);
        assertThat(t.leftovers()).as("%s: cleanup left something", name()).isEmpty();
    }

    private String name() {
        return provider.name();
    }

    private Submission submit(Shard s) {
        String fileId = provider.upload(s.payload);
        return provider.create(fileId, s.payload, t.endpoint(), s.metadata);
    }

    private Submission recover(Shard s, Instant at, String fileId, Set<String> recorded) {
        Reconciliation found = reconcile(s, at, fileId, recorded);
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
                            s.payload,
                            t.endpoint(),
                            s.metadata);
            case UNDECIDED -> throw new IllegalStateException("reconcile never answers UNDECIDED");
        };
    }

    /**
     * {@code findCreated} until it decides, time moving on between looks; {@code recorded} are the
     * batches other jobs of the lane recorded (the lane's registry).
     */
    private Reconciliation reconcile(Shard s, Instant at, String fileId, Set<String> recorded) {
        CreationQuery q =
                new CreationQuery(
                        s.jobId,
                        s.name,
                        s.payload,
                        s.ids.size(),
                        s.metadata,
                        fileId == null ? CreationAttempt.Step.UPLOAD : CreationAttempt.Step.CREATE,
                        at,
                        fileId,
                        Set.of(),
                        at.plus(CreationQuery.DEFAULT_CALL_LIFE),
                        recorded::contains);
        for (int round = 0; round < MAX_ROUNDS; round++) {
            Reconciliation found = provider.findCreated(q);
            if (found.found() != Reconciliation.Found.UNDECIDED) {
                return found;
            }
            t.advance();
        }
        return fail(name() + " stayed undecided for " + MAX_ROUNDS + " rounds about " + q);
    }

    private BatchView runToEnd(Submission sub) {
        BatchView view = null;
        for (int round = 0; round < MAX_ROUNDS; round++) {
            view = provider.retrieve(sub.batchId());
            if (view.state().terminal()) {
                return view;
            }
            t.advance();
        }
        return fail(name() + " batch " + sub.batchId() + " did not end: " + view);
    }

    private List<LineResult> results(Shard s, BatchView ended) {
        List<LineResult> all = new ArrayList<>();
        provider.streamResults(ended, all::add);
        for (LineResult line : all) {
            assertThat(s.ids)
                    .as("%s: result line for an id the shard never sent", name())
                    .contains(line.customId());
        }
        return all;
    }

    private void finishAndClean(Shard s, Submission sub) {
        BatchView ended = runToEnd(sub);
        assertThat(ended.state()).as("%s: %s", name(), ended).isEqualTo(BatchState.COMPLETED);
        assertThat(results(s, ended).stream().filter(l -> l.outcome() == Outcome.SUCCEEDED))
                .hasSize(s.ids.size());
        clean(sub, ended);
    }

    private void clean(Submission sub, BatchView ended) {
        provider.cleanup(sub.inputFileId(), ended.outputFileId(), ended.errorFileId());
    }
}
