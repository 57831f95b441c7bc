package dev.batchlane.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Submission;
import org.junit.jupiter.api.Test;

/**
 * What the lane leaves at the provider (nothing, even when cleanup runs twice) and what it declares
 * it may send (within the service's own limits, to the byte).
 */
interface CleanupAndLimitChecks {
    /** The target and the lane's side of this test. */
    ConformanceRun run();

    @Test
    default void cleanup_leavesNothing_andMissingIsFine() {
        ConformanceRun run = run();
        TestShard s = run.shard();
        Submission sub = run.submit(s);
        BatchView ended = run.runToEnd(sub);
        assertThat(run.count(run.results(s, ended), Outcome.SUCCEEDED)).isEqualTo(s.ids().size());
        run.clean(sub, ended);
        run.nothingLeft();
        // Cleanup runs again when complete is re-driven: what is gone already is fine.
        run.clean(sub, ended);
        run.nothingLeft();
    }

    @Test
    default void declaredLimits_holdAtTheByte() {
        ConformanceRun run = run();
        ConformanceTarget t = run.target();
        BatchProvider provider = run.provider();
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
}
