package dev.batchlane.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.testkit.Lane;
import dev.batchlane.core.testkit.ScriptedProvider.Create;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ingest, specified on the in-memory lane: what a user's drop becomes, what never reaches the
 * provider, and how a lost or refused creation is handled. No emulator, no simulator.
 */
class IngestSpecTest {
    @TempDir Path tmp;

    private String report(Lane lane, IngestService.ObjectRef ref, String jobId) {
        Keys.Drop drop = Keys.parseInbox(ref.key()).orElseThrow();
        return lane.text(Keys.rejectedReport(drop.provider(), drop.name(), jobId));
    }

    @Test
    void ingest_validFile_becomesARunningJob_withItsRequestsInOneBatch() {
        Lane lane = new Lane(tmp);
        IngestService.ObjectRef ref = lane.drop("five.jsonl", Lane.requests("r", 5), Map.of());

        IngestService.Ingestion r = lane.ingest.ingest(ref);

        assertThat(r.outcome()).isEqualTo(IngestService.Outcome.ACCEPTED);
        Job job = lane.store.job(r.jobId()).orElseThrow();
        assertThat(job.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(job.requestCount()).isEqualTo(5);
        assertThat(job.model()).isEqualTo("gpt-4o-mini");
        assertThat(lane.provider.batchIds()).hasSize(1);
        assertThat(lane.provider.requestsOf("batch-1"))
                .containsExactly("r0", "r1", "r2", "r3", "r4");
        Shard shard = lane.store.shards(r.jobId()).get(0);
        assertThat(shard.status()).isEqualTo(ShardStatus.SUBMITTED);
        assertThat(shard.batch().batchId()).isEqualTo("batch-1");
    }

    @Test
    void ingest_theSameEventTwice_makesOneJobAndOneBatch() {
        Lane lane = new Lane(tmp);
        IngestService.ObjectRef ref = lane.drop("twice.jsonl", Lane.requests("r", 3), Map.of());

        IngestService.Ingestion first = lane.ingest.ingest(ref);
        IngestService.Ingestion again = lane.ingest.ingest(ref);

        assertThat(again.jobId()).isEqualTo(first.jobId());
        assertThat(lane.provider.count("create")).isEqualTo(1);
        assertThat(lane.store.shards(first.jobId())).hasSize(1);
    }

    @Test
    void ingest_aBadLine_rejectsTheWholeFile_reachesNoProvider_andTheReportNamesLineAndRule() {
        Lane lane = new Lane(tmp);
        String file =
                Lane.request("a")
                        + "{\"custom_id\":\"b\",\"method\":\"GET\",\"body\":{}}\n"
                        + Lane.request("a");
        IngestService.ObjectRef ref = lane.drop("bad.jsonl", file, Map.of());

        IngestService.Ingestion r = lane.ingest.ingest(ref);

        assertThat(r.outcome()).isEqualTo(IngestService.Outcome.REJECTED);
        assertThat(lane.provider.calls).isEmpty();
        assertThat(lane.store.job(r.jobId()).orElseThrow().status()).isEqualTo(JobStatus.REJECTED);
        String errors =
                lane.text(
                        Keys.rejectedErrors(
                                "openai",
                                Keys.parseInbox(ref.key()).orElseThrow().name(),
                                r.jobId()));
        assertThat(errors)
                .contains("\"line\":2")
                .contains("request_invalid")
                .contains("\"line\":3")
                .contains("duplicate_custom_id");
        assertThat(report(lane, ref, r.jobId()))
                .contains("request_invalid")
                .contains("duplicate_custom_id");
    }

    @Test
    void ingest_aFileOverItsBudget_isRejectedWithTheFigures_andReachesNoProvider() {
        Lane lane = new Lane(tmp);
        IngestService.ObjectRef ref =
                lane.drop("dear.jsonl", Lane.requests("r", 50), Map.of("budget-usd", "0.000001"));

        IngestService.Ingestion r = lane.ingest.ingest(ref);

        assertThat(r.outcome()).isEqualTo(IngestService.Outcome.REJECTED);
        assertThat(lane.provider.calls).isEmpty();
        assertThat(report(lane, ref, r.jobId()))
                .contains("over_budget")
                .contains("budget of $0.000001");
    }

    @Test
    void ingest_readsTheBudgetOfTheVersionItsEventNamed_notOfAnOverwriteSince() {
        Lane lane = new Lane(tmp);
        IngestService.ObjectRef stingy =
                lane.drop("v.jsonl", Lane.requests("r", 50), Map.of("budget-usd", "0.000001"));
        lane.drop("v.jsonl", Lane.requests("r", 50), Map.of("budget-usd", "100"));

        IngestService.Ingestion r = lane.ingest.ingest(stingy);

        assertThat(r.outcome())
                .as("the event's version carries the stingy budget")
                .isEqualTo(IngestService.Outcome.REJECTED);
        assertThat(lane.provider.calls).isEmpty();
    }

    @Test
    void ingest_aBudgetThatIsNotAnAmount_rejectsTheFile_namingTheValue() {
        Lane lane = new Lane(tmp);
        IngestService.ObjectRef ref =
                lane.drop("odd.jsonl", Lane.requests("r", 2), Map.of("budget-usd", "lots"));

        IngestService.Ingestion r = lane.ingest.ingest(ref);

        assertThat(r.outcome()).isEqualTo(IngestService.Outcome.REJECTED);
        assertThat(report(lane, ref, r.jobId())).contains("budget_invalid").contains("'lots'");
    }

    @Test
    void ingest_createAnswerLost_theBatchIsFoundAndAdopted_neverCreatedTwice() {
        Lane lane = new Lane(tmp);
        lane.provider.creates(Create.LOST_ANSWER);
        IngestService.ObjectRef ref = lane.drop("lost.jsonl", Lane.requests("r", 4), Map.of());

        IngestService.Ingestion r = lane.ingest.ingest(ref);
        Shard held = lane.store.shards(r.jobId()).get(0);
        assertThat(held.attempt())
                .as("the creation that may have taken effect is on record")
                .isNotNull();

        lane.clock.advance(Duration.ofHours(1));
        lane.poll.pollDue();

        Shard adopted = lane.store.shards(r.jobId()).get(0);
        assertThat(adopted.status()).isEqualTo(ShardStatus.SUBMITTED);
        assertThat(adopted.batch().batchId()).isEqualTo("batch-1");
        assertThat(lane.provider.count("create")).isEqualTo(1);
        assertThat(lane.provider.count("findCreated")).isPositive();
    }

    @Test
    void ingest_createRateLimited_theShardWaitsStaged_andPollSubmitsItLater() {
        Lane lane = new Lane(tmp);
        lane.provider.creates(Create.RATE_LIMITED);
        IngestService.ObjectRef ref = lane.drop("busy.jsonl", Lane.requests("r", 4), Map.of());

        IngestService.Ingestion r = lane.ingest.ingest(ref);
        Shard waiting = lane.store.shards(r.jobId()).get(0);
        assertThat(waiting.status()).isEqualTo(ShardStatus.STAGED);
        assertThat(waiting.timeline().dueAt())
                .as("due again after the provider's Retry-After")
                .isAfter(Lane.T0);

        lane.clock.advance(Duration.ofHours(1));
        lane.poll.pollDue();

        assertThat(lane.store.shards(r.jobId()).get(0).status()).isEqualTo(ShardStatus.SUBMITTED);
        assertThat(lane.provider.batchIds()).hasSize(1);
    }
}
