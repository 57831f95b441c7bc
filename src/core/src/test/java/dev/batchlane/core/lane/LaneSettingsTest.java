package dev.batchlane.core.lane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchlane.core.testkit.ScriptedProvider;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LaneSettingsTest {
    private final LaneSettings settings =
            new LaneSettings(
                    ScriptedProvider.LIMITS,
                    Duration.ofMinutes(1),
                    Duration.ofMinutes(30),
                    100,
                    Path.of("/tmp"));

    @Test
    void pollDelay_doublesFromTheFirstDelayUpToTheCap() {
        assertThat(settings.pollDelay(0)).isEqualTo(Duration.ofMinutes(1));
        assertThat(settings.pollDelay(1)).isEqualTo(Duration.ofMinutes(2));
        assertThat(settings.pollDelay(4)).isEqualTo(Duration.ofMinutes(16));
        assertThat(settings.pollDelay(5)).isEqualTo(Duration.ofMinutes(30));
        assertThat(settings.pollDelay(10_000)).isEqualTo(Duration.ofMinutes(30));
    }

    @Test
    void maxBelowFirst_isRefused() {
        assertThatThrownBy(
                        () ->
                                new LaneSettings(
                                        ScriptedProvider.LIMITS,
                                        Duration.ofMinutes(5),
                                        Duration.ofMinutes(1),
                                        1,
                                        Path.of("/tmp")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max");
    }

    @Test
    void sameObjectVersion_givesTheSameJobId_andAnotherVersionAnother() {
        assertThat(Keys.jobId("b", "inbox/openai/x.jsonl", "v1"))
                .isEqualTo(Keys.jobId("b", "inbox/openai/x.jsonl", "v1"))
                .isNotEqualTo(Keys.jobId("b", "inbox/openai/x.jsonl", "v2"))
                .startsWith("job-");
    }

    @Test
    void inboxKeys_nameTheProviderAndTheFile() {
        assertThat(Keys.parseInbox("inbox/openai/team/scores.jsonl"))
                .contains(new Keys.Drop("openai", "team/scores"));
        assertThat(Keys.parseInbox("inbox/scores.jsonl")).isEmpty();
        assertThat(Keys.parseInbox("results/x")).isEmpty();
    }
}
