package dev.batchlane.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Submission;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Results read back by id alone, whatever their order, gaps or damage: one broken line never costs
 * the others theirs.
 */
interface ResultChecks {
    /** The target and the lane's side of this test. */
    ConformanceRun run();

    @Test
    default void results_outOfOrder_missingAndUnreadable_areJoinedByIdOnly() {
        ConformanceRun run = run();
        ConformanceTarget t = run.target();
        BatchProvider provider = run.provider();
        TestShard s = run.shard();
        String missing = s.ids().get(1);
        String unreadable = s.ids().get(3);
        t.damageNextResults(Set.of(missing), Set.of(unreadable));
        Submission sub = run.submit(s);
        BatchView ended = run.runToEnd(sub);
        assertThat(ended.state()).isEqualTo(BatchState.COMPLETED);
        Map<String, LineResult> lines = run.results(s, ended);
        Set<String> intact = new HashSet<>(s.ids());
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
        run.clean(sub, ended);
        run.nothingLeft();
    }
}
