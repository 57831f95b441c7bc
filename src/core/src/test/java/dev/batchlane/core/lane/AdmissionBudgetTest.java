package dev.batchlane.core.lane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.testkit.InMemoryJobStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The admission rule, decided by the budget on a snapshot of the pool: the store under it only
 * reads and writes back with a version check (its own cases are in {@code JobStoreContract}).
 */
class AdmissionBudgetTest {
    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
    private static final String POOL = "openai/gpt-4o-mini";

    private final InMemoryJobStore store = new InMemoryJobStore();

    private AdmissionBudget budget(long limit) {
        return new AdmissionBudget(
                store, new AdmissionBudget.Settings(Map.of(POOL, limit), 0, Duration.ofHours(1)));
    }

    @Test
    void admit_fillsThePoolUpToTheLimit_andNoFurther_releaseMakesRoom() {
        AdmissionBudget budget = budget(1000);
        assertThat(budget.admit(POOL, "j/1", 600, T0)).isTrue();
        assertThat(budget.admit(POOL, "j/2", 400, T0)).as("exactly the limit").isTrue();
        assertThat(budget.admit(POOL, "j/3", 1, T0)).isFalse();
        long version = store.pool(POOL).version();
        assertThat(budget.admit(POOL, "j/1", 600, T0)).as("admitted already: idempotent").isTrue();
        assertThat(store.pool(POOL).version()).as("and nothing written").isEqualTo(version);
        budget.release(POOL, "j/2");
        budget.release(POOL, "j/2");
        assertThat(budget.admit(POOL, "j/3", 400, T0)).as("released room").isTrue();
        assertThat(store.pool(POOL).held()).containsOnlyKeys("j/1", "j/3");
    }

    @Test
    void admit_anEmptyPoolTakesAShardLargerThanTheLimit_alone() {
        AdmissionBudget budget = budget(1000);
        assertThat(budget.admit(POOL, "j/big", 5000, T0)).isTrue();
        assertThat(budget.admit(POOL, "j/small", 1, T0)).isFalse();
    }

    @Test
    void admit_aPoolWhoseEntriesHoldNoTokens_countsAsEmpty() {
        AdmissionBudget budget = budget(1000);
        assertThat(budget.admit(POOL, "j/none", 0, T0)).isTrue();
        assertThat(budget.admit(POOL, "j/big", 5000, T0)).isTrue();
    }

    @Test
    void admit_entriesOlderThanTheStaleness_noLongerCount_andLeaveThePoolInTheSameWrite() {
        AdmissionBudget budget = budget(1000);
        assertThat(budget.admit(POOL, "j/dead", 1000, T0)).isTrue();
        Instant later = T0.plus(Duration.ofHours(3));
        assertThat(budget.admit(POOL, "j/next", 1000, later))
                .as("the holder died three hours ago and never released")
                .isTrue();
        assertThat(store.pool(POOL).held()).containsOnlyKeys("j/next");
        assertThat(budget.admit(POOL, "j/third", 1, later)).isFalse();
    }

    @Test
    void decide_anEntryExactlyAtStaleBefore_stillCounts() {
        AdmissionPool pool =
                new AdmissionPool(
                        POOL, Map.of("j/edge", new AdmissionPool.Admission(1000, T0)), null, 1);
        AdmissionBudget.Decision d = AdmissionBudget.decide(pool, "j/new", 1, 1000, T0, T0);
        assertThat(d.admitted()).isFalse();
        assertThat(d.next()).as("a refusal writes nothing").isNull();
    }

    @Test
    void learn_lowersTheLimitAdmissionsUse_andTheConfiguredOneStillHolds() {
        AdmissionBudget budget = budget(1000);
        budget.learn(POOL, 500);
        assertThat(store.pool(POOL).learnedLimit()).isEqualTo(500L);
        assertThat(budget.admit(POOL, "j/1", 400, T0)).isTrue();
        assertThat(budget.admit(POOL, "j/2", 200, T0)).as("over the learned 500").isFalse();
        budget.learn(POOL, 5000);
        assertThat(budget.admit(POOL, "j/2", 700, T0))
                .as("the configured 1000 still holds")
                .isFalse();
        assertThat(budget.admit(POOL, "j/2", 600, T0)).isTrue();
        assertThat(store.pool(POOL).learnedLimit()).isEqualTo(5000L);
    }

    /**
     * Two callers read the same pool; the one whose write comes second loses the version check and
     * decides again on what the first wrote, so both can never take the last room.
     */
    @Test
    void admit_aWriteThatLosesARace_isDecidedAgainOnTheWinnersPool() {
        AtomicBoolean raced = new AtomicBoolean();
        AdmissionPools racing =
                new AdmissionPools() {
                    @Override
                    public AdmissionPool pool(String name) {
                        return store.pool(name);
                    }

                    @Override
                    public boolean replacePool(AdmissionPool current, AdmissionPool next) {
                        if (raced.compareAndSet(false, true)) {
                            // Another caller takes the last room between this read and write.
                            assertThat(budget(1000).admit(POOL, "j/other", 600, T0)).isTrue();
                        }
                        return store.replacePool(current, next);
                    }
                };
        AdmissionBudget budget =
                new AdmissionBudget(
                        racing,
                        new AdmissionBudget.Settings(Map.of(POOL, 1000L), 0, Duration.ofHours(1)));

        assertThat(budget.admit(POOL, "j/mine", 600, T0)).isFalse();
        assertThat(store.pool(POOL).held()).containsOnlyKeys("j/other");
    }
}
