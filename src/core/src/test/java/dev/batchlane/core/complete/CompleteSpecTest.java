package dev.batchlane.core.complete;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.testkit.Lane;
import dev.batchlane.core.testkit.ScriptedProvider.Create;
import dev.batchlane.core.testkit.ScriptedProvider.Fate;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Complete and the resubmission rule, specified on the in-memory lane: every request ends in
 * exactly one joined line or in failed.jsonl; failures for a passing reason go to a child shard, a
 * bounded number of times; the manifest adds up.
 */
class CompleteSpecTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;

    private static List<String> ids(String jsonl) {
        List<String> out = new ArrayList<>();
        if (jsonl == null) {
            return out;
        }
        for (String line : jsonl.split("\n")) {
            if (!line.isBlank()) {
                try {
                    out.add(JSON.readTree(line).path("custom_id").asText());
                } catch (Exception e) {
                    throw new AssertionError("not JSON: " + line, e);
                }
            }
        }
        return out;
    }

    /** The ids in every joined part of the job, in shard order. */
    private static List<String> joined(Lane lane, String jobId) {
        List<String> out = new ArrayList<>();
        for (Shard s : lane.store.shards(jobId)) {
            out.addAll(ids(lane.text(Keys.part(jobId, s.index()))));
        }
        return out;
    }

    private static JsonNode manifest(Lane lane, String jobId) throws Exception {
        return JSON.readTree(lane.text(Keys.manifest(jobId)));
    }

    private static String run(Lane lane, String name, String jsonl) {
        IngestService.Ingestion r = lane.ingest.ingest(lane.drop(name, jsonl, Map.of()));
        lane.runToCompletion(r.jobId(), 20);
        return r.jobId();
    }

    @Test
    void complete_everyRequestSucceeds_oneJoinedLineEach_manifestWritten_providerFilesCleanedUp()
            throws Exception {
        Lane lane = new Lane(tmp);
        String jobId = run(lane, "ok.jsonl", Lane.requests("r", 6));

        assertThat(joined(lane, jobId))
                .containsExactlyInAnyOrder("r0", "r1", "r2", "r3", "r4", "r5");
        JsonNode m = manifest(lane, jobId);
        assertThat(m.path("counts").path("succeeded").asLong()).isEqualTo(6);
        assertThat(m.path("counts").path("inFailedFile").asLong()).isZero();
        assertThat(lane.store.job(jobId).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(lane.provider.count("cleanup")).isPositive();
    }

    @Test
    void complete_passingFailuresGoToAChildShard_theRestToFailedJsonl_nothingLostNothingTwice()
            throws Exception {
        Lane lane = new Lane(tmp);
        lane.provider.batches(Fate.PARTIAL); // then the child batch succeeds
        String file =
                Lane.request("fine-1")
                        + Lane.request("limited-1")
                        + Lane.request("broken-1")
                        + Lane.request("lost-1")
                        + Lane.request("fine-2");
        String jobId = run(lane, "partial.jsonl", file);

        assertThat(lane.provider.batchIds()).hasSize(2);
        assertThat(lane.provider.requestsOf("batch-2"))
                .as("429 and never-processed requests, resubmitted")
                .containsExactlyInAnyOrder("limited-1", "lost-1");
        assertThat(ids(lane.text(Keys.failed(jobId))))
                .as("the 400 is the user's to fix")
                .containsExactly("broken-1");
        assertThat(joined(lane, jobId))
                .as("each request once, in the part of the shard where it ended")
                .containsExactlyInAnyOrder("fine-1", "fine-2", "limited-1", "lost-1", "broken-1");
        JsonNode counts = manifest(lane, jobId).path("counts");
        assertThat(counts.path("succeeded").asLong()).isEqualTo(4);
        assertThat(counts.path("failed").asLong()).isEqualTo(1);
        assertThat(counts.path("resubmitted").asLong()).isEqualTo(2);
    }

    @Test
    void complete_anExpiredBatch_itsUnrunRequestsAreResubmitted_andSucceedInTheChild()
            throws Exception {
        Lane lane = new Lane(tmp);
        lane.provider.batches(Fate.EXPIRED);
        String jobId = run(lane, "late.jsonl", Lane.requests("r", 4));

        assertThat(lane.provider.requestsOf("batch-2")).containsExactly("r2", "r3");
        assertThat(manifest(lane, jobId).path("counts").path("succeeded").asLong()).isEqualTo(4);
        assertThat(lane.text(Keys.failed(jobId))).isNullOrEmpty();
    }

    /**
     * The batch's end is read from the state its adapter decided, never from the provider's word: a
     * batch that expired or was cancelled in words the lane has never heard, with no counts to go
     * by, still has its unrun requests resubmitted rather than failed as missing.
     */
    @ParameterizedTest
    @EnumSource(
            value = Fate.class,
            names = {"EXPIRED_IN_ITS_OWN_WORDS", "CANCELLED_IN_ITS_OWN_WORDS"})
    void complete_anEndedBatch_isReadByItsState_notByTheProvidersWord(Fate fate) throws Exception {
        Lane lane = new Lane(tmp);
        lane.provider.batches(fate);
        String jobId = run(lane, "words.jsonl", Lane.requests("r", 4));

        assertThat(lane.provider.requestsOf("batch-2"))
                .as("the requests the batch never ran, resubmitted")
                .containsExactly("r2", "r3");
        assertThat(lane.text(Keys.failed(jobId))).isNullOrEmpty();
        JsonNode m = manifest(lane, jobId);
        assertThat(m.path("counts").path("succeeded").asLong()).isEqualTo(4);
        assertThat(m.path("counts").path("missing").asLong()).isZero();
    }

    /**
     * How a shard ran is the run mode its adapter chose, whatever word the provider uses for it:
     * its lines and its manifest entry say on demand.
     */
    @Test
    void complete_aShardRunOnDemand_isMarkedSo_whateverTheProvidersWord() throws Exception {
        Lane lane = new Lane(tmp);
        lane.provider.creates(Create.ON_DEMAND);
        String jobId = run(lane, "small.jsonl", Lane.requests("r", 3));

        JsonNode shard = manifest(lane, jobId).path("shards").path(0);
        assertThat(shard.path("onDemand").asBoolean()).as("%s", shard).isTrue();
        assertThat(shard.path("providerStatus").asText())
                .as("the provider's word, kept for people")
                .isEqualTo("completed");
        String part = lane.text(shard.path("part").asText());
        assertThat(part.lines())
                .hasSize(3)
                .allSatisfy(
                        l -> assertThat(JSON.readTree(l).path("on_demand").asBoolean()).isTrue());
    }

    @Test
    void complete_resubmissionIsBounded_aRequestStillFailingAfterMaxDepthIsAFinalFailure()
            throws Exception {
        Lane lane = new Lane(tmp);
        lane.provider.batches(Fate.PARTIAL, Fate.PARTIAL, Fate.PARTIAL, Fate.PARTIAL);
        String jobId =
                run(lane, "stubborn.jsonl", Lane.request("limited-x") + Lane.request("fine"));

        assertThat(lane.provider.batchIds())
                .as("the input shard and maxResubmitDepth (2) children")
                .hasSize(1 + lane.settings.maxResubmitDepth());
        assertThat(ids(lane.text(Keys.failed(jobId)))).containsExactly("limited-x");
        Job job = lane.store.job(jobId).orElseThrow();
        assertThat(job.shardsCompleted()).isEqualTo(job.shardCount()).isEqualTo(3);
    }

    @Test
    void complete_deliveredTwice_joinsOnce() throws Exception {
        Lane lane = new Lane(tmp);
        IngestService.Ingestion r =
                lane.ingest.ingest(lane.drop("twin.jsonl", Lane.requests("r", 3), Map.of()));
        lane.clock.advance(lane.settings.maxPollDelay());
        lane.poll.pollDue();
        lane.clock.advance(lane.settings.maxPollDelay());
        lane.poll.pollDue();
        Shard ended = lane.store.shards(r.jobId()).get(0);

        CompleteService.Completion first = lane.complete.complete(r.jobId(), ended.index());
        CompleteService.Completion twin = lane.complete.complete(r.jobId(), ended.index());

        assertThat(first.outcome()).isEqualTo(CompleteService.Step.JOINED);
        assertThat(twin.outcome()).isEqualTo(CompleteService.Step.ALREADY_DONE);
        assertThat(lane.store.job(r.jobId()).orElseThrow().shardsCompleted()).isEqualTo(1);
        assertThat(manifest(lane, r.jobId()).path("counts").path("succeeded").asLong())
                .isEqualTo(3);
    }
}
