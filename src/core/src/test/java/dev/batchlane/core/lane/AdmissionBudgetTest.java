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
                store,
                new AdmissionBudget.Settings(Map.of(POOL, limit), 0, Duration.ofHours(1)),
                race -> true);
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
        assertThat(d.next().held())
                .as("a refusal writes only its place in line")
                .isEqualTo(pool.held());
        assertThat(d.next().head().shardId()).isEqualTo("j/new");
        assertThat(
                        AdmissionBudget.decide(d.next(), "j/new", 1, 1000, T0.plusSeconds(60), T0)
                                .next())
                .as("asking again a minute later writes nothing")
                .isNull();
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

    /**
     * With no limit configured and none learned there is nothing to pace: fifty files dropped at
     * once used to race on one item that recorded every shard in flight, and grew toward 400 KB.
     */
    @Test
    void aPoolWithNoLimit_admitsWithoutWriting_evenUnderAFloodOfShards() {
        AdmissionBudget budget = budget(0);
        for (int i = 0; i < 500; i++) {
            assertThat(budget.admit(POOL, "j/" + i, 1_000_000, T0)).isTrue();
        }
        assertThat(store.pool(POOL)).isEqualTo(AdmissionPool.empty(POOL));
        budget.release(POOL, "j/1");
        assertThat(store.pool(POOL).stored()).isFalse();
    }

    /**
     * Every write losing to a concurrent one used to throw after 20 tries without a pause, and left
     * the ingest's shards staged with nobody coming back. Now each repeat pauses a little longer,
     * and a pool too busy to decide answers BUSY, which the submitter queues like a full pool.
     */
    @Test
    void aPoolThatAlwaysLosesItsRaces_pausesLongerEachTime_andAnswersBusy_withoutThrowing() {
        java.util.List<Integer> pauses = new java.util.ArrayList<>();
        AdmissionPools alwaysRaced =
                new AdmissionPools() {
                    @Override
                    public AdmissionPool pool(String name) {
                        return store.pool(name);
                    }

                    @Override
                    public boolean replacePool(AdmissionPool current, AdmissionPool next) {
                        return false;
                    }
                };
        AdmissionBudget budget =
                new AdmissionBudget(
                        alwaysRaced,
                        new AdmissionBudget.Settings(Map.of(POOL, 1000L), 0, Duration.ofHours(1)),
                        race -> pauses.add(race));

        assertThat(budget.tryAdmit(POOL, "j/1", 10, T0, T0))
                .isEqualTo(AdmissionBudget.Verdict.BUSY);
        assertThat(pauses).hasSize(AdmissionBudget.MAX_RACES - 1).startsWith(1, 2, 3);
        budget.learn(POOL, 500);
    }

    @Test
    void theJitteredBackoff_staysUnderItsDoublingCeiling() {
        long start = System.nanoTime();
        for (int race = 1; race <= 3; race++) {
            assertThat(AdmissionBudget.Backoff.JITTERED.pause(race)).isTrue();
        }
        // Ceilings 40, 80 and 160 ms: the three together stay well under a second.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    /**
     * A shard that needs most of the limit waits while small shards of newer jobs keep arriving:
     * without a line they would take every room that frees, and it would wait forever.
     */
    @Test
    void theShardThatWaitedLongest_isNotStarvedByNewerSmallShards() {
        AdmissionBudget budget = budget(1000);
        assertThat(budget.admit(POOL, "old/a", 500, T0)).isTrue();
        Instant bigSince = T0.plusSeconds(10);
        assertThat(budget.tryAdmit(POOL, "big/1", 900, bigSince, bigSince))
                .as("no room for 900 beside 500")
                .isEqualTo(AdmissionBudget.Verdict.FULL);
        assertThat(store.pool(POOL).head().shardId()).isEqualTo("big/1");

        Instant t = T0.plusSeconds(20);
        assertThat(budget.tryAdmit(POOL, "new/1", 100, t, t))
                .as("room for 100 beside 500, but not beside the 900 that waits first")
                .isEqualTo(AdmissionBudget.Verdict.FULL);
        assertThat(store.pool(POOL).head().shardId())
                .as("the older waiter keeps its place")
                .isEqualTo("big/1");

        budget.release(POOL, "old/a");
        assertThat(budget.tryAdmit(POOL, "new/2", 150, t.plusSeconds(1), t.plusSeconds(1)))
                .as("1,050 with the head's 900 reserved")
                .isEqualTo(AdmissionBudget.Verdict.FULL);
        assertThat(budget.tryAdmit(POOL, "big/1", 900, t.plusSeconds(2), bigSince))
                .isEqualTo(AdmissionBudget.Verdict.ADMITTED);
        assertThat(store.pool(POOL).head()).as("admitted: out of the line").isNull();
        assertThat(budget.tryAdmit(POOL, "new/3", 100, t.plusSeconds(3), t.plusSeconds(3)))
                .isEqualTo(AdmissionBudget.Verdict.ADMITTED);
    }

    @Test
    void aHeadThatStopsAsking_lapses_andNoLongerHoldsRoom() {
        AdmissionBudget budget = budget(1000);
        assertThat(budget.admit(POOL, "old/a", 500, T0)).isTrue();
        assertThat(budget.tryAdmit(POOL, "gone/1", 900, T0, T0))
                .isEqualTo(AdmissionBudget.Verdict.FULL);
        Instant later = T0.plus(AdmissionBudget.HEAD_LAPSE).plusSeconds(1);
        assertThat(budget.tryAdmit(POOL, "new/1", 100, later, later))
                .as("its job was cancelled; nobody waits for its room")
                .isEqualTo(AdmissionBudget.Verdict.ADMITTED);
        assertThat(store.pool(POOL).head()).isNull();
    }
}
