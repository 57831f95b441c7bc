package dev.batchlane.functions;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The -Plocalstack profile on a machine without Docker: the suite is skipped with one line that
 * says why, rather than failing or hanging. Where Docker exists, the backend says it can run.
 */
class LocalStackSkipTest {

    @Test
    void theProfileSelectsLocalStack() {
        assertThat(System.getProperty(LaneBackend.PROPERTY)).isEqualTo("localstack");
        try (LaneBackend backend = LaneBackend.selected()) {
            assertThat(backend).isInstanceOf(LocalStackBackend.class);
        }
    }

    @Test
    void withoutDocker_theSuiteIsSkippedWithAOneLineReason_withDocker_itRuns() {
        var result = new LaneBackend.Available().evaluateExecutionCondition(null);
        if (LocalStackBackend.dockerAvailable()) {
            assertThat(result.isDisabled()).isFalse();
        } else {
            assertThat(result.isDisabled()).isTrue();
            assertThat(result.getReason()).hasValueSatisfying(reason -> assertThat(reason)
                    .contains("no Docker engine").contains("-Plocalstack").doesNotContain("\n"));
        }
    }
}
