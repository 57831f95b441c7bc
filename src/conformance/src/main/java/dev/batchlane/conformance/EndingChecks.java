package dev.batchlane.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Submission;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Batches that end other than completed: expired, and cancelled while running or after it ended.
 * What finished before the end is kept; cancelling an ended batch changes nothing.
 */
interface EndingChecks {
    /** The target and the lane's side of this test. */
    ConformanceRun run();

    @Test
    default void expiredBatch_keepsWhatFinished() {
        ConformanceRun run = run();
        ConformanceTarget t = run.target();
        BatchProvider provider = run.provider();
        TestShard s = run.shard();
        t.expireNextBatch();
        Submission sub = run.submit(s);
        BatchView ended = run.runToEnd(sub);
        assertThat(ended.state())
                .as("%s: %s", provider.name(), ended)
                .isEqualTo(BatchState.EXPIRED);
        Map<String, LineResult> lines = run.results(s, ended);
        long succeeded = run.count(lines, Outcome.SUCCEEDED);
        if (!t.expiryKeepsFinishedWork()) {
            assertThat(succeeded)
                    .as("%s returns nothing of an expired batch", provider.name())
                    .isZero();
            run.clean(sub, ended);
            run.nothingLeft();
            return;
        }
        assertThat(succeeded)
                .as(
                        "%s: an expired batch keeps the requests that finished: %s",
                        provider.name(), lines)
                .isPositive()
                .isLessThan(s.ids().size());
        for (LineResult line : lines.values()) {
            assertThat(line.outcome())
                    .as("line %s of an expired batch", line.customId())
                    .isIn(Outcome.SUCCEEDED, Outcome.EXPIRED, Outcome.FAILED, Outcome.MISSING);
        }
        run.clean(sub, ended);
        run.nothingLeft();
    }

    @Test
    default void cancelOfRunningBatch_endsCancelled_withWhatFinished() {
        ConformanceRun run = run();
        ConformanceTarget t = run.target();
        BatchProvider provider = run.provider();
        TestShard s = run.shard();
        Submission sub = run.submit(s);
        BatchView running = provider.retrieve(sub.batchId());
        for (int round = 0;
                round < ConformanceRun.MAX_ROUNDS && running.state() == BatchState.PENDING;
                round++) {
            t.advance();
            running = provider.retrieve(sub.batchId());
        }
        assertThat(running.state())
                .as("%s: the batch must be running to test its cancel", provider.name())
                .isIn(BatchState.RUNNING, BatchState.FINALIZING);
        provider.cancel(sub.batchId());
        BatchView ended = run.runToEnd(sub);
        assertThat(ended.state())
                .as("%s: a batch cancelled before it ended: %s", provider.name(), ended)
                .isEqualTo(BatchState.CANCELLED);
        Map<String, LineResult> lines = run.results(s, ended);
        for (LineResult line : lines.values()) {
            assertThat(line.outcome())
                    .as("line %s of a cancelled batch", line.customId())
                    .isIn(Outcome.SUCCEEDED, Outcome.CANCELLED, Outcome.FAILED, Outcome.MISSING);
        }
        run.clean(sub, ended);
        run.nothingLeft();
    }

    @Test
    default void cancelOfEndedBatch_changesNothing() {
        ConformanceRun run = run();
        BatchProvider provider = run.provider();
        TestShard s = run.shard();
        Submission sub = run.submit(s);
        BatchView ended = run.runToEnd(sub);
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
        assertThat(run.count(run.results(s, after), Outcome.SUCCEEDED)).isEqualTo(s.ids().size());
        run.clean(sub, after);
        run.nothingLeft();
    }
}
