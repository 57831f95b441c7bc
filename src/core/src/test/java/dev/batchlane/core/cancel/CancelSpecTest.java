package dev.batchlane.core.cancel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.testkit.Lane;
import dev.batchlane.core.testkit.ScriptedProvider.Create;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cancel, specified on the in-memory lane: what the owner asked for reaches every batch, and the
 * job still ends.
 */
class CancelSpecTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;

    @Test
    void
            cancel_aRunningJob_cancelsItsBatch_nothingIsResubmitted_andTheJobCompletesWithTheUnrunInFailedJsonl()
                    throws Exception {
        Lane lane = new Lane(tmp);
        lane.provider.runningPolls = 100;
        IngestService.Ingestion r =
                lane.ingest.ingest(lane.drop("stop.jsonl", Lane.requests("r", 3), Map.of()));

        CancelService.Cancellation c = lane.cancel.cancel(r.jobId());
        CancelService.Cancellation again = lane.cancel.cancel(r.jobId());
        lane.runToCompletion(r.jobId(), 10);

        assertThat(c.outcome()).isEqualTo(CancelService.Outcome.CANCELLING);
        assertThat(again.outcome())
                .as("asking again is safe: the provider is asked again, nothing else changes")
                .isEqualTo(CancelService.Outcome.CANCELLING);
        assertThat(lane.provider.count("cancel")).isEqualTo(2);
        assertThat(lane.provider.batchIds()).as("cancelled requests are not sent again").hasSize(1);
        assertThat(lane.store.job(r.jobId()).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(lane.text(Keys.failed(r.jobId()))).contains("r0", "r1", "r2");
        assertThat(
                        JSON.readTree(lane.text(Keys.manifest(r.jobId())))
                                .path("counts")
                                .path("cancelled")
                                .asLong())
                .isEqualTo(3);
    }

    @Test
    void cancel_beforeSubmission_theStagedShardEnds_andNoBatchIsEverCreated() {
        Lane lane = new Lane(tmp);
        lane.provider.creates(Create.RATE_LIMITED);
        IngestService.Ingestion r =
                lane.ingest.ingest(lane.drop("early.jsonl", Lane.requests("r", 2), Map.of()));
        assertThat(lane.provider.batchIds()).isEmpty();

        CancelService.Cancellation c = lane.cancel.cancel(r.jobId());
        lane.runToCompletion(r.jobId(), 10);

        assertThat(c.stagedEnded()).isEqualTo(1);
        assertThat(lane.provider.batchIds()).isEmpty();
        assertThat(lane.provider.count("cancel")).isZero();
        assertThat(lane.store.job(r.jobId()).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);
    }
}
