package dev.batchlane.core.lane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.CreationQuery;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Reconciliation;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.core.testkit.InMemoryJobStore;
import dev.batchlane.core.testkit.InMemoryObjectStore;
import dev.batchlane.core.testkit.ScriptedProvider;
import dev.batchlane.core.testkit.TestClock;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A creating call that failed before its request left whole is not a lost answer: nothing reached
 * the provider. Such a shard used to be held back "to be looked for" every two minutes, forever and
 * unflagged (a missing setting, a staged shard that expired); now it ends with its code, or waits
 * and is flagged when the failure may pass. Only failures after the request left stay ambiguous,
 * and their holds count too.
 */
class NotSentTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final LaneSettings LANE =
            new LaneSettings(
                    ScriptedProvider.LIMITS,
                    Duration.ofMinutes(1),
                    Duration.ofMinutes(30),
                    200,
                    Path.of("/tmp"));

    private final TestClock clock = new TestClock(T0);
    private final InMemoryJobStore store = new InMemoryJobStore();
    private final FlakyObjects objects = new FlakyObjects();
    private final StreamingProvider provider = new StreamingProvider();
    private final List<String> stuck = new ArrayList<>();

    private ShardSubmitter submitter() {
        return new ShardSubmitter(
                store,
                objects,
                new Providers(List.of(provider)),
                LANE,
                clock,
                new LaneMetrics() {
                    @Override
                    public void shardStuck(String p) {
                        stuck.add(p);
                    }
                });
    }

    private Job job() {
        Job j =
                Job.builder("j", "stream")
                        .status(JobStatus.RUNNING)
                        .input("b", "inbox/stream/j.jsonl", "etag")
                        .name("j")
                        .sha256("sha")
                        .inputBytes(10)
                        .requestCount(10)
                        .shardCount(1)
                        .model("m")
                        .endpoint("/v1/chat/completions")
                        .createdAt(T0)
                        .submittedAt(T0)
                        .estimatedCostUsd("0.1")
                        .budgetUsd("5")
                        .build();
        store.createJob(j);
        return j;
    }

    private Shard staged() {
        objects.putBytes(
                "staging/j/shard-00001.jsonl",
                "{\"custom_id\":\"a\"}\n".getBytes(StandardCharsets.UTF_8),
                "application/jsonl");
        store.createShard(
                Shard.staged("j", 1, "stream", "staging/j/shard-00001.jsonl", 10, 18, 0, T0));
        return stored();
    }

    private Shard stored() {
        return store.shard("j", 1).orElseThrow();
    }

    @Test
    void aStagedShardThatIsGone_endsTheShardWithStagedMissing_insteadOfBeingLookedForForever() {
        Job job = job();
        staged();
        objects.delete("staging/j/shard-00001.jsonl");

        assertThat(submitter().submit(job, stored()))
                .isEqualTo(ShardSubmitter.SubmitOutcome.REJECTED_BY_PROVIDER);

        Shard s = stored();
        assertThat(s.status()).isEqualTo(ShardStatus.ENDED);
        assertThat(s.batch().batchState()).isEqualTo(BatchState.FAILED);
        assertThat(s.batch().providerStatus()).isEqualTo("staged_missing");
        assertThat(s.batch().batchError())
                .startsWith("not sent to the provider (staged_missing)")
                .contains("staging/j/shard-00001.jsonl");
        assertThat(s.attempt()).as("nothing was sent, so nothing is looked for").isNull();
        assertThat(provider.received).as("the provider never saw a whole request").isZero();
    }

    @Test
    void anAdapterRefusalBeforeSending_endsTheShardWithItsCode() {
        Job job = job();
        staged();
        provider.refuseLocally =
                ProviderException.notSent(
                        "stream create failed: 0 role_missing: no service role configured",
                        "role_missing",
                        false,
                        null);

        assertThat(submitter().submit(job, stored()))
                .isEqualTo(ShardSubmitter.SubmitOutcome.REJECTED_BY_PROVIDER);
        assertThat(stored().status()).isEqualTo(ShardStatus.ENDED);
        assertThat(stored().batch().providerStatus()).isEqualTo("role_missing");
        assertThat(stored().batch().batchError()).contains("no service role configured");
    }

    @Test
    void aReadThatMayPass_waitsWithoutAnAttempt_andIsFlaggedStuckWhenItKeepsFailing() {
        Job job = job();
        staged();
        objects.readFailures = 3;

        for (int i = 1; i <= 3; i++) {
            assertThat(submitter().submit(job, stored()))
                    .isEqualTo(ShardSubmitter.SubmitOutcome.HELD_BACK);
            Shard s = stored();
            assertThat(s.status()).isEqualTo(ShardStatus.STAGED);
            assertThat(s.attempt()).as("nothing left, nothing to look for").isNull();
            assertThat(s.trouble().failures()).isEqualTo(i);
            clock.advance(Duration.ofMinutes(31));
        }
        assertThat(stored().trouble().stuck())
                .startsWith("submission held back 3 times in a row")
                .contains("reading the staged shard staging/j/shard-00001.jsonl failed")
                .contains("connection to S3 reset");
        assertThat(stuck).as("the third hold is counted as a stuck shard, once").hasSize(1);

        // The read works again: the shard goes, and its trouble is cleared.
        assertThat(submitter().submit(job, stored()))
                .isEqualTo(ShardSubmitter.SubmitOutcome.SUBMITTED);
        assertThat(stored().trouble()).isNull();
        assertThat(provider.received).isEqualTo(1);
    }

    @Test
    void aLostAnswerAfterTheRequestLeft_staysAmbiguous_andItsHoldsAreCounted() {
        Job job = job();
        staged();
        provider.loseAnswers = 3;

        for (int i = 1; i <= 3; i++) {
            assertThat(submitter().submit(job, stored()))
                    .isEqualTo(ShardSubmitter.SubmitOutcome.HELD_BACK);
            assertThat(stored().attempt()).as("it may have taken effect").isNotNull();
            assertThat(stored().trouble().failures()).isEqualTo(i);
            clock.advance(Duration.ofMinutes(3));
        }
        assertThat(stored().trouble().isStuck()).isTrue();
        assertThat(stuck).hasSize(1);
        assertThat(provider.received)
                .as("each creation reached the provider, which made nothing it answered")
                .isEqualTo(3);
    }

    /** The staging bucket, whose reads break mid-object a given number of times. */
    static final class FlakyObjects extends InMemoryObjectStore {
        volatile int readFailures;

        @Override
        public synchronized InputStream open(String key, String versionOrEtag) {
            InputStream in = super.open(key, versionOrEtag);
            if (readFailures == 0) {
                return in;
            }
            readFailures--;
            return new InputStream() {
                @Override
                public int read() throws IOException {
                    throw new IOException("connection to S3 reset");
                }
            };
        }
    }

    /**
     * Reads the payload into its request as an HTTP client streams a body, and reports a failed
     * read the way the HTTP layer reports any send that broke: status 0, io_error, as if the answer
     * had been lost.
     */
    static final class StreamingProvider implements BatchProvider {
        volatile ProviderException refuseLocally;
        volatile int loseAnswers;
        int received;

        @Override
        public String name() {
            return "stream";
        }

        @Override
        public java.util.Optional<java.time.Duration> inputFileLifetime() {
            return java.util.Optional.empty();
        }

        @Override
        public IngestLimits limits() {
            return ScriptedProvider.LIMITS;
        }

        @Override
        public RequestContract contract() {
            throw new UnsupportedOperationException("these tests validate nothing");
        }

        @Override
        public synchronized Submission submit(
                Payload payload, String endpoint, Map<String, String> metadata) {
            if (refuseLocally != null) {
                throw refuseLocally;
            }
            try (InputStream in = payload.open()) {
                in.readAllBytes();
            } catch (IOException | RuntimeException e) {
                throw new ProviderException(
                        "stream create failed: 0 io_error", 0, "io_error", true, e);
            }
            received++;
            if (loseAnswers > 0) {
                loseAnswers--;
                throw new ProviderException(
                        "stream create failed: 0 io_error", 0, "io_error", true, null);
            }
            return Submission.batch("batch-" + received, null, BatchState.PENDING, "validating");
        }

        @Override
        public Reconciliation findCreated(CreationQuery q) {
            // Answers that were lost carried no batch of this test's own: nothing was kept.
            return Reconciliation.nothing("this provider keeps nothing it did not answer");
        }

        @Override
        public BatchView retrieve(String batchId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void streamResults(BatchView batch, Consumer<LineResult> sink) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void cleanup(String inputFileId, String outputFileId, String errorFileId) {}
    }

    /**
     * A 401 during a key rotation used to end every shard for good ("rejected"), losing the job to
     * a fix someone was making. It waits now, and is flagged stuck after three holds.
     */
    @Test
    void aKeyRefusedDuringARotation_waits_isFlaggedAfterThreeHolds_andGoesOnceTheKeyWorks() {
        Job job = job();
        staged();
        for (int i = 1; i <= 3; i++) {
            provider.refuseLocally =
                    new ProviderException(
                            "stream create failed: 401 invalid_api_key: Incorrect API key provided",
                            401,
                            "invalid_api_key",
                            false,
                            null);
            assertThat(submitter().submit(job, stored()))
                    .isEqualTo(ShardSubmitter.SubmitOutcome.HELD_BACK);
            assertThat(stored().status()).isEqualTo(ShardStatus.STAGED);
            assertThat(stored().attempt()).isNull();
            clock.advance(Duration.ofMinutes(31));
        }
        assertThat(stored().trouble().stuck()).contains("refused the lane's credentials (401");
        assertThat(stuck).hasSize(1);

        provider.refuseLocally = null;
        assertThat(submitter().submit(job, stored()))
                .isEqualTo(ShardSubmitter.SubmitOutcome.SUBMITTED);
    }
}
