package dev.batchlane.provider.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.simulator.MutableClock;
import dev.batchlane.simulator.anthropic.AnthropicSimulator;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A message batch created but unanswered is found again by what it holds and when it was made. */
class ReconcileTest {
    private static final String PARAMS =
            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private AnthropicSimulator sim;
    private AnthropicProvider provider;

    @BeforeEach
    void start() {
        sim = AnthropicSimulator.builder().stepDuration(Duration.ofHours(1)).seed(5).start();
        provider =
                new AnthropicProvider(
                        new AnthropicConfig(
                                URI.create(sim.baseUrl()),
                                "sk-ant-test",
                                null,
                                Duration.ofSeconds(10)),
                        HttpClient.newHttpClient());
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private static Payload shard(String prefix, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append("{\"custom_id\":\"")
                    .append(prefix)
                    .append(i)
                    .append("\",\"params\":")
                    .append(PARAMS)
                    .append("}\n");
        }
        byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
        return new Payload(prefix + ".jsonl", bytes.length, () -> new ByteArrayInputStream(bytes));
    }

    private static CreationQuery query(Payload p, int n, Instant at, Set<String> known) {
        return new CreationQuery(
                "job", "00001", p, n, Map.of(), CreationAttempt.Step.CREATE, at, null, known);
    }

    @Test
    void
            createAppliedButTheConnectionReset_theOnlyBatchOfItsSize_isUndecidedWhileItRuns_andFoundOnceItEnds() {
        provider.submit(shard("other", 5), null, Map.of()); // a different size: not a candidate
        Instant at = Instant.now();
        sim.loseNextCreateAnswers(1, true);
        Payload mine = shard("mine", 3);

        assertThatThrownBy(() -> provider.submit(mine, null, Map.of()))
                .isInstanceOfSatisfying(
                        ProviderException.class, e -> assertThat(e.mayHaveTakenEffect()).isTrue());
        assertThat(sim.batchesHolding("mine0")).isEqualTo(1);

        // Running, it could as well be a sibling shard's that is not recorded yet: not adopted.
        assertThat(provider.findCreated(query(mine, 3, at, Set.of())).found())
                .isEqualTo(Reconciliation.Found.UNDECIDED);

        sim.setStepDuration(
                Duration.ZERO); // it ends (a listing shows it as far as its time has come)
        Reconciliation found = provider.findCreated(query(mine, 3, at, Set.of()));
        assertThat(found.found()).isEqualTo(Reconciliation.Found.BATCH);
        assertThat(found.evidence()).contains("definite");
        assertThat(sim.liveBatchIds()).contains(found.batchId());
    }

    /**
     * Seen in the fault suite: a create answered 500 before it acted, while a sibling shard of the
     * same size was being created. Its batch, not yet recorded by the sibling, was adopted as
     * "probable"; both shards then held one batch, and this shard's requests were never sent.
     */
    @Test
    void aSiblingsBatchNotYetRecorded_isNeverAdopted_andOnceEndedIsNotThisShards() {
        Instant at = Instant.now();
        sim.failNextCalls("create", 500, 1);
        Payload mine = shard("mine", 3);
        assertThatThrownBy(() -> provider.submit(mine, null, Map.of()))
                .isInstanceOf(ProviderException.class);
        provider.submit(
                shard("sibling", 3), null, Map.of()); // answered, but not recorded on its shard yet

        assertThat(provider.findCreated(query(mine, 3, at, Set.of())).found())
                .isEqualTo(Reconciliation.Found.UNDECIDED);
        sim.setStepDuration(Duration.ZERO);
        assertThat(provider.findCreated(query(mine, 3, at, Set.of())).found())
                .isEqualTo(Reconciliation.Found.NOTHING);
    }

    @Test
    void twoRunningBatchesOfTheSameSize_areUndecided_untilTheirResultsTellThemApart() {
        Instant at = Instant.now();
        Payload mine = shard("mine", 3);
        sim.loseNextCreateAnswers(1, false);
        assertThatThrownBy(() -> provider.submit(mine, null, Map.of()))
                .isInstanceOf(ProviderException.class);
        String other = provider.submit(shard("theirs", 3), null, Map.of()).batchId();

        assertThat(provider.findCreated(query(mine, 3, at, Set.of())).found())
                .isEqualTo(Reconciliation.Found.UNDECIDED);
        // one the job already recorded is not a candidate; the other still runs, so still undecided
        assertThat(provider.findCreated(query(mine, 3, at, Set.of(other))).found())
                .isEqualTo(Reconciliation.Found.UNDECIDED);

        sim.setStepDuration(Duration.ZERO);
        for (String id : sim.liveBatchIds()) {
            provider.retrieve(id); // both end
        }
        Reconciliation found = provider.findCreated(query(mine, 3, at, Set.of()));
        assertThat(found.found()).isEqualTo(Reconciliation.Found.BATCH);
        assertThat(found.batchId()).isNotEqualTo(other);
        assertThat(sim.batchesHolding("mine0")).isEqualTo(1);
        assertThat(found.evidence()).contains("definite");
    }

    @Test
    void nothingCreatedSinceTheAttempt_isNothing() {
        provider.submit(shard("early", 3), null, Map.of());
        sim.failNextCalls("create", 500, 1);
        Instant at =
                Instant.now().plus(Duration.ofMinutes(10)); // the earlier batch predates the window
        assertThatThrownBy(() -> provider.submit(shard("mine", 3), null, Map.of()))
                .isInstanceOf(ProviderException.class);

        assertThat(provider.findCreated(query(shard("mine", 3), 3, at, Set.of())).found())
                .isEqualTo(Reconciliation.Found.NOTHING);
    }

    // ---- another job's batch, with the same ids (users reuse req-1… across files)

    /** A simulator on a clock the test moves, and the adapter pointed at it. */
    private record Timed(AnthropicSimulator sim, AnthropicProvider provider, MutableClock clock)
            implements AutoCloseable {
        static Timed start() {
            MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
            AnthropicSimulator sim =
                    AnthropicSimulator.builder()
                            .clock(clock)
                            .stepDuration(Duration.ofMinutes(10))
                            .seed(5)
                            .start();
            return new Timed(
                    sim,
                    new AnthropicProvider(
                            new AnthropicConfig(
                                    URI.create(sim.baseUrl()),
                                    "sk-ant-test",
                                    null,
                                    Duration.ofSeconds(10)),
                            HttpClient.newHttpClient()),
                    clock);
        }

        /** Moves time on until every batch has ended. */
        void endAll() {
            clock.advance(Duration.ofMinutes(11));
            for (String id : sim.liveBatchIds()) {
                provider.retrieve(id);
            }
        }

        @Override
        public void close() {
            sim.close();
        }
    }

    private static CreationQuery query(
            Payload p, int n, Instant at, java.util.function.Predicate<String> recorded) {
        return new CreationQuery(
                "job-b",
                "00000",
                p,
                n,
                Map.of(),
                CreationAttempt.Step.CREATE,
                at,
                null,
                Set.of(),
                at.plus(CreationQuery.DEFAULT_CALL_LIFE),
                recorded);
    }

    @Test
    void anotherJobsBatchWithTheSameIds_createdAfterTheAttemptsCallWasOver_isNotAdopted() {
        try (Timed x = Timed.start()) {
            Instant at = x.clock().instant();
            x.sim().failNextCalls("create", 500, 1); // job B's create made nothing
            Payload mine = shard("req-", 4);
            assertThatThrownBy(() -> x.provider().submit(mine, null, Map.of()))
                    .isInstanceOf(ProviderException.class);
            // Job A drops tomorrow's file with the same ids hours later; its batch ends.
            x.clock().advance(Duration.ofHours(3));
            String theirs = x.provider().submit(shard("req-", 4), null, Map.of()).batchId();
            x.endAll();

            Reconciliation found = x.provider().findCreated(query(mine, 4, at, Set.of()));
            assertThat(found.found())
                    .as("batch %s was made 3 h after the attempt: %s", theirs, found.evidence())
                    .isEqualTo(Reconciliation.Found.NOTHING);
        }
    }

    @Test
    void anotherJobsBatchWithTheSameIds_recordedByTheLane_isNeverAdopted() {
        try (Timed x = Timed.start()) {
            Instant at = x.clock().instant();
            String theirs = x.provider().submit(shard("req-", 4), null, Map.of()).batchId();
            x.sim().failNextCalls("create", 500, 1);
            Payload mine = shard("req-", 4);
            assertThatThrownBy(() -> x.provider().submit(mine, null, Map.of()))
                    .isInstanceOf(ProviderException.class);
            x.endAll();

            Reconciliation found = x.provider().findCreated(query(mine, 4, at, theirs::equals));
            assertThat(found.found())
                    .as("job A recorded %s: %s", theirs, found.evidence())
                    .isEqualTo(Reconciliation.Found.NOTHING);
        }
    }

    @Test
    void aBatchHoldingAllButOneOfTheShardsIds_isNotAdopted_everyResultLineIsChecked() {
        try (Timed x = Timed.start()) {
            Instant at = x.clock().instant();
            // another job: the shard's ids req-0..req-4 and one of its own, one line foreign of 6
            StringBuilder lines = new StringBuilder();
            for (String id : List.of("req-0", "req-1", "req-2", "req-3", "req-4", "other-9")) {
                lines.append("{\"custom_id\":\"")
                        .append(id)
                        .append("\",\"params\":")
                        .append(PARAMS)
                        .append("}\n");
            }
            byte[] bytes = lines.toString().getBytes(StandardCharsets.UTF_8);
            x.provider()
                    .submit(
                            new Payload(
                                    "theirs.jsonl",
                                    bytes.length,
                                    () -> new ByteArrayInputStream(bytes)),
                            null,
                            Map.of());
            x.sim().failNextCalls("create", 500, 1);
            Payload mine = shard("req-", 6);
            assertThatThrownBy(() -> x.provider().submit(mine, null, Map.of()))
                    .isInstanceOf(ProviderException.class);
            x.endAll();

            for (int look = 0; look < 5; look++) {
                assertThat(x.provider().findCreated(query(mine, 6, at, id -> false)).found())
                        .isEqualTo(Reconciliation.Found.NOTHING);
            }
        }
    }

    @Test
    void twoEndedBatchesWithExactlyTheShardsIds_neitherRecorded_areUndecided() {
        try (Timed x = Timed.start()) {
            Instant at = x.clock().instant();
            x.sim().loseNextCreateAnswers(1, false); // job A's answer lost too
            assertThatThrownBy(() -> x.provider().submit(shard("req-", 3), null, Map.of()))
                    .isInstanceOf(ProviderException.class);
            x.sim().loseNextCreateAnswers(1, true);
            Payload mine = shard("req-", 3);
            assertThatThrownBy(() -> x.provider().submit(mine, null, Map.of()))
                    .isInstanceOf(ProviderException.class);
            x.endAll();

            Reconciliation found = x.provider().findCreated(query(mine, 3, at, id -> false));
            assertThat(found.found()).isEqualTo(Reconciliation.Found.UNDECIDED);
            assertThat(found.evidence()).contains("cannot be told");
        }
    }

    @Test
    void itsOwnBatch_besideAnotherJobsRecordedOneWithTheSameIds_isAdopted_onceEnded() {
        try (Timed x = Timed.start()) {
            Instant at = x.clock().instant();
            String theirs = x.provider().submit(shard("req-", 3), null, Map.of()).batchId();
            x.sim().loseNextCreateAnswers(1, true);
            Payload mine = shard("req-", 3);
            assertThatThrownBy(() -> x.provider().submit(mine, null, Map.of()))
                    .isInstanceOf(ProviderException.class);

            assertThat(x.provider().findCreated(query(mine, 3, at, theirs::equals)).found())
                    .as("still running")
                    .isEqualTo(Reconciliation.Found.UNDECIDED);
            x.endAll();
            Reconciliation found = x.provider().findCreated(query(mine, 3, at, theirs::equals));
            assertThat(found.found()).isEqualTo(Reconciliation.Found.BATCH);
            assertThat(found.batchId()).isNotEqualTo(theirs);
            assertThat(x.sim().batchesHolding("req-0")).isEqualTo(2);
        }
    }
}
