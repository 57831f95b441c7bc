package dev.batchlane.core.poll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.testkit.InMemoryObjectStore;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** When poll looks at a staged shard, and when it refreshes it, with time as a parameter. */
class StagingRefreshTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final Duration FOURTEEN_DAYS = Duration.ofDays(14);
    private static final Duration SECOND = Duration.ofSeconds(1);

    private final StagingRefresh rule =
            new StagingRefresh(FOURTEEN_DAYS, new InMemoryObjectStore());

    @Test
    void margin_isTwoDays_orAQuarterOfAShortLifetime() {
        assertThat(rule.margin()).isEqualTo(Duration.ofDays(2));
        assertThat(new StagingRefresh(Duration.ofDays(4), null).margin())
                .isEqualTo(Duration.ofDays(1));
        assertThat(new StagingRefresh(Duration.ofHours(8), null).margin())
                .isEqualTo(Duration.ofHours(2));
    }

    @Test
    void shouldLook_aJobYoungerThanHalfTheLifetime_never() {
        Instant half = T0.plus(Duration.ofDays(7));
        assertThat(rule.shouldLook(ShardStatus.SUBMITTED, T0, T0)).isFalse();
        assertThat(rule.shouldLook(ShardStatus.SUBMITTED, T0, half.minus(SECOND))).isFalse();
        assertThat(rule.shouldLook(ShardStatus.SUBMITTED, T0, half)).isTrue();
        assertThat(rule.shouldLook(ShardStatus.SUBMITTED, T0, half.plus(Duration.ofDays(30))))
                .isTrue();
    }

    @ParameterizedTest
    @EnumSource(ShardStatus.class)
    void shouldLook_everyStatusButCompleted_ofAnOldJob(ShardStatus status) {
        Instant old = T0.plus(Duration.ofDays(13));
        assertThat(rule.shouldLook(status, T0, old))
                .as(status.name())
                .isEqualTo(status != ShardStatus.COMPLETED);
    }

    @Test
    void shouldLook_aJobWhoseCreationIsUnknown_yes_aCompletedShard_stillNever() {
        assertThat(rule.shouldLook(ShardStatus.ENDED, null, T0)).isTrue();
        assertThat(rule.shouldLook(ShardStatus.COMPLETED, null, T0)).isFalse();
    }

    @Test
    void noLifetime_neverLooks_neverRefreshes() {
        StagingRefresh none = new StagingRefresh(null, new InMemoryObjectStore());
        Instant late = T0.plus(Duration.ofDays(365));
        assertThat(none.shouldLook(ShardStatus.SUBMITTED, T0, late)).isFalse();
        assertThat(none.refreshDue(T0, late)).isFalse();
    }

    @Test
    void refreshDue_onlyWithinTheMarginOfTheExpiry_orPastIt() {
        Instant dueFrom = T0.plus(Duration.ofDays(12));
        assertThat(rule.refreshDue(T0, T0.plus(Duration.ofDays(7)))).isFalse();
        assertThat(rule.refreshDue(T0, dueFrom.minus(SECOND))).isFalse();
        assertThat(rule.refreshDue(T0, dueFrom)).isTrue();
        assertThat(rule.refreshDue(T0, T0.plus(FOURTEEN_DAYS).minus(SECOND))).isTrue();
        assertThat(rule.refreshDue(T0, T0.plus(Duration.ofDays(15))))
                .as("past the lifetime: the bucket's expiry runs late, a refresh may still save it")
                .isTrue();
    }

    @Test
    void refreshDue_anObjectWhoseWritingTimeIsUnknown_isLeftAlone() {
        assertThat(rule.refreshDue(null, T0.plus(Duration.ofDays(13)))).isFalse();
    }

    @Test
    void aLifetimeThatIsNotPositive_isRefused_naming_theValue() {
        assertThatThrownBy(() -> new StagingRefresh(Duration.ZERO, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("staging lifetime")
                .hasMessageContaining("PT0S");
    }
}
