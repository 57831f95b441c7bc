package dev.batchlane.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.Submission;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Creating calls whose answer is lost (a 5xx, a reset, a cut 2xx) after they took effect: what they
 * made is found and adopted, or made again idempotently, never made twice. A call that failed
 * before acting finds nothing and is made once.
 */
interface LostAnswerChecks {
    /** The target and the lane's side of this test. */
    ConformanceRun run();

    @ParameterizedTest(name = "upload answer lost as {0}")
    @EnumSource(LostAnswer.class)
    default void lostUploadAnswer_fileIsAdopted_neverUploadedTwice(LostAnswer how) {
        ConformanceRun run = run();
        ConformanceTarget t = run.target();
        BatchProvider provider = run.provider();
        assumeTrue(
                t.uploadsFiles(),
                provider.name() + " takes its requests inline: there is no upload to lose");
        TestShard s = run.shard();
        Instant at = t.now();
        t.loseNextAnswer(CreationAttempt.Step.UPLOAD, how);
        String fileId = null;
        ProviderException lost = null;
        try {
            fileId = provider.upload(s.payload());
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
            Reconciliation found =
                    run.reconcile(s, CreationAttempt.Step.UPLOAD, at, null, Set.of());
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
                fileId = provider.upload(s.payload());
            }
        }
        assertThat(t.inputsMade())
                .as("%s: a lost upload answer must not make a second input file", provider.name())
                .isEqualTo(1);
        Submission sub = provider.create(fileId, s.payload(), t.endpoint(), s.metadata());
        run.finishAndClean(s, sub);
        run.nothingLeft();
    }

    @ParameterizedTest(name = "create answer lost as {0}")
    @EnumSource(LostAnswer.class)
    default void lostCreateAnswer_batchIsAdopted_neverCreatedTwice(LostAnswer how) {
        ConformanceRun run = run();
        ConformanceTarget t = run.target();
        BatchProvider provider = run.provider();
        TestShard other = run.shard();
        Submission otherSub = run.submit(other);
        TestShard s = run.shard();
        String fileId = provider.upload(s.payload());
        Instant at = t.now();
        t.loseNextAnswer(CreationAttempt.Step.CREATE, how);
        Submission sub = null;
        ProviderException lost = null;
        try {
            sub = provider.create(fileId, s.payload(), t.endpoint(), s.metadata());
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
            sub = run.recover(s, at, fileId, Set.of());
        }
        // Otherwise the adapter looked within the call and answered what the create made.
        assertThat(sub.batchId())
                .as("%s adopted the other job's batch", provider.name())
                .isNotEqualTo(otherSub.batchId());
        assertThat(t.batchesMade())
                .as("%s: a lost create answer must not make a second batch", provider.name())
                .isEqualTo(2);
        run.finishAndClean(s, sub);
        run.finishAndClean(other, otherSub);
        run.nothingLeft();
    }

    @Test
    default void createThatFailedBeforeActing_findsNothing_andIsMadeOnce() {
        ConformanceRun run = run();
        ConformanceTarget t = run.target();
        BatchProvider provider = run.provider();
        TestShard sibling = run.shard();
        Submission siblingSub = run.submit(sibling);
        TestShard s = run.shard();
        String fileId = provider.upload(s.payload());
        Instant at = t.now();
        t.failNextCreateBeforeActing();
        ProviderException failed =
                catchThrowableOfType(
                        ProviderException.class,
                        () -> provider.create(fileId, s.payload(), t.endpoint(), s.metadata()));
        assertThat(failed)
                .as("%s: the injected 5xx must fail the create", provider.name())
                .isNotNull();
        assertThat(failed.mayHaveTakenEffect()).as("a 5xx may have taken effect").isTrue();
        assertThat(t.batchesMade()).isEqualTo(1);

        Submission sub = run.recover(s, at, fileId, Set.of());
        assertThat(sub.batchId())
                .as(
                        "%s adopted a batch of another job for a create that made nothing",
                        provider.name())
                .isNotEqualTo(siblingSub.batchId());
        assertThat(t.batchesMade()).isEqualTo(2);
        run.finishAndClean(s, sub);
        run.finishAndClean(sibling, siblingSub);
        run.nothingLeft();
    }
}
