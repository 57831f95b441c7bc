package dev.batchlane.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderBusy;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.Submission;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The promises every provider adapter keeps, run against its simulator. An adapter module extends
 * this once and says how to reach its simulator ({@link #target}); each test gets a fresh target.
 *
 * <p>The tests call the adapter the way the lane's submitter does: a creating call whose answer may
 * have taken effect is followed by {@link BatchProvider#findCreated} with the attempt the lane
 * would have written, then by adopting what was found or making the call again. What they check is
 * at the provider: how many batches and files it made, and what it still holds after cleanup.
 */
public abstract class ProviderConformance {
    /** Enough rounds for any simulator's batch to end at one step per round. */
    private static final int MAX_ROUNDS = 200;

    private static final AtomicInteger JOBS = new AtomicInteger();

    /** A fresh adapter and simulator for one test. */
    protected abstract ConformanceTarget target();

    /** The number of requests in each test shard: small, so a run takes seconds. */
    protected int shardSize() {
        return 6;
    }

    protected ConformanceTarget t;
    protected BatchProvider provider;

    @BeforeEach
    void openTarget() {
        t = target();
        provider = t.provider();
    }

    @AfterEach
    void closeTarget() {
        if (t != null) {
            t.close();
        }
    }

    // ---- lost answers

    @ParameterizedTest(name = "upload answer lost as {0}")
    @EnumSource(LostAnswer.class)
    void lostUploadAnswer_fileIsAdopted_neverUploadedTwice(LostAnswer how) {
        assumeTrue(
                t.uploadsFiles(),
                provider.name() + " takes its requests inline: there is no upload to lose");
        TestShard s = new TestShard();
        Instant at = t.now();
        t.loseNextAnswer(CreationAttempt.Step.UPLOAD, how);
        String fileId = null;
        ProviderException lost = null;
        try {
            fileId = provider.upload(s.payload);
        } catch (ProviderException e) {
            lost = e;
        }
        assertThat(t.inputsMade()).as("the simulator made the upload").isEqualTo(1);
        if (lost == null) {
            // The adapter saw through the lost answer within the call (a resumable upload asks
            // its session what it holds): what it answers must be the one file that was made.
            assertThat(fileId).as("%s: upload answered no file", provider.name()).isNotNull();
        } else {
            assertThat(lost.mayHaveTakenEffect())
                    .as(
                            "%s: a lost upload answer (%s: %s) must count as may-have-taken-effect",
                            provider.name(), how, lost.getMessage())
                    .isTrue();
            Reconciliation found = reconcile(s, CreationAttempt.Step.UPLOAD, at, null, Set.of());
            if (found.found() == Reconciliation.Found.FILE) {
                fileId = found.inputFileId();
            } else {
                assertThat(provider.creationIsIdempotent())
                        .as(
                                "%s found %s after a lost upload (%s) and does not declare its"
                                        + " creation idempotent: the next attempt would upload"
                                        + " twice",
                                provider.name(), found.found(), found.evidence())
                        .isTrue();
                fileId = provider.upload(s.payload);
            }
        }
        assertThat(t.inputsMade())
                .as("%s: a lost upload answer must not make a second input file", provider.name())
                .isEqualTo(1);
        Submission sub = provider.create(fileId, s.payload, t.endpoint(), s.metadata);
        finishAndClean(s, sub);
        nothingLeft();
    }

    @ParameterizedTest(name = "create answer lost as {0}")
    @EnumSource(LostAnswer.class)
    void lostCreateAnswer_batchIsAdopted_neverCreatedTwice(LostAnswer how) {
        TestShard other = new TestShard();
        Submission otherSub = submit(other);
        TestShard s = new TestShard();
        String fileId = provider.upload(s.payload);
        Instant at = t.now();
        t.loseNextAnswer(CreationAttempt.Step.CREATE, how);
        Submission sub = null;
        ProviderException lost = null;
        try {
            sub = provider.create(fileId, s.payload, t.endpoint(), s.metadata);
        } catch (ProviderException e) {
            lost = e;
        }
        assertThat(t.batchesMade()).as("the simulator made the batch").isEqualTo(2);
        if (lost != null) {
            assertThat(lost.mayHaveTakenEffect())
                    .as(
                            "%s: a lost create answer (%s: %s) must count as may-have-taken-effect",
                            provider.name(), how, lost.getMessage())
                    .isTrue();
            sub = recover(s, at, fileId, Set.of());
        }
        // Otherwise the adapter looked within the call and answered what the create made.
        assertThat(sub.batchId())
                .as("%s adopted the other job's batch", provider.name())
                .isNotEqualTo(otherSub.batchId());
        assertThat(t.batchesMade())
                .as("%s: a lost create answer must not make a second batch", provider.name())
                .isEqualTo(2);
        finishAndClean(s, sub);
        finishAndClean(other, otherSub);
        nothingLeft();
    }

    @Test
    void createThatFailedBeforeActing_findsNothing_andIsMadeOnce() {
        TestShard sibling = new TestShard();
        Submission siblingSub = submit(sibling);
        TestShard s = new TestShard();
        String fileId = provider.upload(s.payload);
        Instant at = t.now();
        t.failNextCreateBeforeActing();
        ProviderException failed =
                catchThrowableOfType(
                        ProviderException.class,
                        () -> provider.create(fileId, s.payload, t.endpoint(), s.metadata));
        assertThat(failed)
                .as("%s: the injected 5xx must fail the create", provider.name())
                .isNotNull();
        assertThat(failed.mayHaveTakenEffect()).as("a 5xx may have taken effect").isTrue();
        assertThat(t.batchesMade()).isEqualTo(1);

        Submission sub = recover(s, at, fileId, Set.of());
        assertThat(sub.batchId())
                .as(
                        "%s adopted a batch of another job for a create that made nothing",
                        provider.name())
                .isNotEqualTo(siblingSub.batchId());
        assertThat(t.batchesMade()).isEqualTo(2);
        finishAndClean(s, sub);
        finishAndClean(sibling, siblingSub);
        nothingLeft();
    }

    // ---- "not now"

    @Test
    void rateLimitedCreate_makesTheShardWait_andMakesNothing() {
        TestShard s = new TestShard();
        String fileId = provider.upload(s.payload);
        t.rateLimitNextCreate();
        ProviderException refused =
                catchThrowableOfType(
                        ProviderException.class,
                        () -> provider.create(fileId, s.payload, t.endpoint(), s.metadata));
        assertWaits(refused, "a 429 at create");
        assertThat(t.batchesMade()).isZero();
        finishAndClean(s, provider.create(fileId, s.payload, t.endpoint(), s.metadata));
        nothingLeft();
    }

    @Test
    void fullQueue_makesTheShardWait_andNoRequestFails() {
        TestShard s = new TestShard();
        String fileId = provider.upload(s.payload);
        t.fillQueueForNextCreate();
        Submission sub;
        try {
            sub = provider.create(fileId, s.payload, t.endpoint(), s.metadata);
        } catch (ProviderException refused) {
            assertWaits(refused, "a full queue at create");
            finishAndClean(s, provider.create(fileId, s.payload, t.endpoint(), s.metadata));
            nothingLeft();
            return;
        }
        BatchView ended = runToEnd(sub);
        assertThat(ended.busy())
                .as(
                        "%s: a batch created into a full queue must end saying so (busy), not as a"
                                + " failure of its requests; it ended %s (%s)",
                        provider.name(), ended.state(), ended.error())
                .isNotNull();
        assertThat(ended.busy().reason()).isEqualTo(ProviderBusy.Reason.ENQUEUED_TOKENS);
        clean(sub, ended);
        nothingLeft();
    }

    // ---- endings

    @Test
    void expiredBatch_keepsWhatFinished() {
        TestShard s = new TestShard();
        t.expireNextBatch();
        Submission sub = submit(s);
        BatchView ended = runToEnd(sub);
        assertThat(ended.state())
                .as("%s: %s", provider.name(), ended)
                .isEqualTo(BatchState.EXPIRED);
        Map<String, LineResult> lines = results(s, ended);
        long succeeded = count(lines, Outcome.SUCCEEDED);
        if (!t.expiryKeepsFinishedWork()) {
            assertThat(succeeded)
                    .as("%s returns nothing of an expired batch", provider.name())
                    .isZero();
            clean(sub, ended);
            nothingLeft();
            return;
        }
        assertThat(succeeded)
                .as(
                        "%s: an expired batch keeps the requests that finished: %s",
                        provider.name(), lines)
                .isPositive()
                .isLessThan(s.ids.size());
        for (LineResult line : lines.values()) {
            assertThat(line.outcome())
                    .as("line %s of an expired batch", line.customId())
                    .isIn(Outcome.SUCCEEDED, Outcome.EXPIRED, Outcome.FAILED, Outcome.MISSING);
        }
        clean(sub, ended);
        nothingLeft();
    }

    @Test
    void cancelOfRunningBatch_endsCancelled_withWhatFinished() {
        TestShard s = new TestShard();
        Submission sub = submit(s);
        BatchView running = provider.retrieve(sub.batchId());
        for (int round = 0; round < MAX_ROUNDS && running.state() == BatchState.PENDING; round++) {
            t.advance();
            running = provider.retrieve(sub.batchId());
        }
        assertThat(running.state())
                .as("%s: the batch must be running to test its cancel", provider.name())
                .isIn(BatchState.RUNNING, BatchState.FINALIZING);
        provider.cancel(sub.batchId());
        BatchView ended = runToEnd(sub);
        assertThat(ended.state())
                .as("%s: a batch cancelled before it ended: %s", provider.name(), ended)
                .isEqualTo(BatchState.CANCELLED);
        Map<String, LineResult> lines = results(s, ended);
        for (LineResult line : lines.values()) {
            assertThat(line.outcome())
                    .as("line %s of a cancelled batch", line.customId())
                    .isIn(Outcome.SUCCEEDED, Outcome.CANCELLED, Outcome.FAILED, Outcome.MISSING);
        }
        clean(sub, ended);
        nothingLeft();
    }

    @Test
    void cancelOfEndedBatch_changesNothing() {
        TestShard s = new TestShard();
        Submission sub = submit(s);
        BatchView ended = runToEnd(sub);
        assertThat(ended.state()).isEqualTo(BatchState.COMPLETED);
        try {
            provider.cancel(sub.batchId());
        } catch (ProviderException refused) {
            assertThat(refused.retryable())
                    .as(
                            "%s: refusing to cancel an ended batch is final, not worth retrying: %s",
                            provider.name(), refused.getMessage())
                    .isFalse();
        }
        BatchView after = provider.retrieve(sub.batchId());
        assertThat(after.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(count(results(s, after), Outcome.SUCCEEDED)).isEqualTo(s.ids.size());
        clean(sub, after);
        nothingLeft();
    }

    // ---- results

    @Test
    void results_outOfOrder_missingAndUnreadable_areJoinedByIdOnly() {
        TestShard s = new TestShard();
        String missing = s.ids.get(1);
        String unreadable = s.ids.get(3);
        t.damageNextResults(Set.of(missing), Set.of(unreadable));
        Submission sub = submit(s);
        BatchView ended = runToEnd(sub);
        assertThat(ended.state()).isEqualTo(BatchState.COMPLETED);
        Map<String, LineResult> lines = results(s, ended);
        Set<String> intact = new HashSet<>(s.ids);
        intact.removeAll(Set.of(missing, unreadable));
        for (String id : intact) {
            assertThat(lines.get(id))
                    .as(
                            "%s: the intact line %s must be read whatever the others",
                            provider.name(), id)
                    .isNotNull()
                    .extracting(LineResult::outcome)
                    .isEqualTo(Outcome.SUCCEEDED);
        }
        for (String id : List.of(missing, unreadable)) {
            LineResult line = lines.get(id);
            assertThat(line == null || line.outcome() != Outcome.SUCCEEDED)
                    .as(
                            "%s: line %s has no readable answer, yet was read as %s",
                            provider.name(), id, line)
                    .isTrue();
        }
        clean(sub, ended);
        nothingLeft();
    }

    // ---- cleanup and limits

    @Test
    void cleanup_leavesNothing_andMissingIsFine() {
        TestShard s = new TestShard();
        Submission sub = submit(s);
        BatchView ended = runToEnd(sub);
        assertThat(count(results(s, ended), Outcome.SUCCEEDED)).isEqualTo(s.ids.size());
        clean(sub, ended);
        nothingLeft();
        // Cleanup runs again when complete is re-driven: what is gone already is fine.
        clean(sub, ended);
        nothingLeft();
    }

    @Test
    void declaredLimits_holdAtTheByte() {
        IngestLimits declared = provider.limits();
        IngestLimits service = t.serviceLimits();
        assertThat(declared.maxRequestsPerShard())
                .as("%s: requests per batch", provider.name())
                .isPositive()
                .isLessThanOrEqualTo(service.maxRequestsPerShard());
        assertThat(declared.maxBytesPerShard())
                .as(
                        "%s: bytes per batch (the service's %s)",
                        provider.name(), service.maxBytesPerShard())
                .isPositive()
                .isLessThanOrEqualTo(service.maxBytesPerShard());
        assertThat(declared.maxLineBytes())
                .as("%s: bytes per line", provider.name())
                .isPositive()
                .isLessThanOrEqualTo(service.maxLineBytes());
        assertThat(declared.maxInputsPerShard())
                .as("%s: inputs per batch", provider.name())
                .isLessThanOrEqualTo(service.maxInputsPerShard());
    }

    // ---- the lane's side, as the submitter plays it

    /** One shard of a job of its own: ids, payload and the metadata the lane sends. */
    protected final class TestShard {
        final String jobId =
                "job"
                        + JOBS.incrementAndGet()
                        + "x"
                        + Long.toString(System.nanoTime() % 100_000, 36);
        final String name = dev.batchlane.core.job.Shard.partName(0);
        final List<String> ids =
                IntStream.range(0, shardSize()).mapToObj(i -> jobId + "-req-" + i).toList();
        final Payload payload = t.shard(jobId, name, ids);
        final Map<String, String> metadata =
                Map.of("batchlane_job_id", jobId, "batchlane_shard", name);
    }

    private Submission submit(TestShard s) {
        String fileId = provider.upload(s.payload);
        return provider.create(fileId, s.payload, t.endpoint(), s.metadata);
    }

    /**
     * After a create that may have taken effect: looks for it, and adopts it or makes the call
     * again, as the submitter does.
     */
    private Submission recover(TestShard s, Instant at, String fileId, Set<String> known) {
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
                            s.payload,
                            t.endpoint(),
                            s.metadata);
            case UNDECIDED -> throw new IllegalStateException("reconcile never answers UNDECIDED");
        };
    }

    /** {@code findCreated} until it decides, the provider's time moving on between looks. */
    private Reconciliation reconcile(
            TestShard s, CreationAttempt.Step step, Instant at, String fileId, Set<String> known) {
        CreationQuery q =
                new CreationQuery(
                        s.jobId,
                        s.name,
                        s.payload,
                        s.ids.size(),
                        s.metadata,
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

    private BatchView runToEnd(Submission sub) {
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
    private Map<String, LineResult> results(TestShard s, BatchView ended) {
        List<LineResult> all = new ArrayList<>();
        provider.streamResults(ended, all::add);
        Map<String, LineResult> byId = new HashMap<>();
        for (LineResult line : all) {
            assertThat(s.ids)
                    .as("%s: result line for an id the shard never sent", provider.name())
                    .contains(line.customId());
            assertThat(byId.put(line.customId(), line))
                    .as("%s: two result lines for %s", provider.name(), line.customId())
                    .isNull();
        }
        return byId;
    }

    private void finishAndClean(TestShard s, Submission sub) {
        BatchView ended = runToEnd(sub);
        assertThat(ended.state())
                .as("%s: %s", provider.name(), ended)
                .isEqualTo(BatchState.COMPLETED);
        assertThat(count(results(s, ended), Outcome.SUCCEEDED)).isEqualTo(s.ids.size());
        clean(sub, ended);
    }

    private void clean(Submission sub, BatchView ended) {
        provider.cleanup(sub.inputFileId(), ended.outputFileId(), ended.errorFileId());
    }

    /** Once every batch of a test is cleaned up, the provider holds nothing of the lane's. */
    private void nothingLeft() {
        assertThat(t.leftovers())
                .as("%s: cleanup left something at the provider", provider.name())
                .isEmpty();
    }

    private void assertWaits(ProviderException refused, String what) {
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

    private static long count(Map<String, LineResult> lines, Outcome outcome) {
        return lines.values().stream().filter(l -> l.outcome() == outcome).count();
    }

    // ---- a lost creation meets another job, or a cancel (AcrossJobsChecks)

    @Test
    void anotherJobsBatchWithTheSameIds_isNeverAdopted() {
        new AcrossJobsChecks(t, shardSize()).anotherJobsBatchWithTheSameIds_isNeverAdopted();
    }

    @ParameterizedTest(name = "create answer lost as {0}, another job's batch beside it")
    @EnumSource(LostAnswer.class)
    void lostCreateAnswer_besideAnotherJobsBatchWithTheSameIds_adoptsItsOwn(LostAnswer how) {
        new AcrossJobsChecks(t, shardSize())
                .lostCreateAnswer_besideAnotherJobsBatchWithTheSameIds_adoptsItsOwn(how);
    }

    @Test
    void cancelDuringAnUnresolvedCreate_findsTheBatch_andStopsIt() {
        new AcrossJobsChecks(t, shardSize())
                .cancelDuringAnUnresolvedCreate_findsTheBatch_andStopsIt();
    }
}
