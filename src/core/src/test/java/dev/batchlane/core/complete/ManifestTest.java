package dev.batchlane.core.complete;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.testkit.Lane;
import dev.batchlane.core.testkit.ScriptedProvider.Create;
import dev.batchlane.core.testkit.ScriptedProvider.Fate;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manifest is a record Jackson writes; these are the exact bytes the hand-built tree wrote for
 * the same jobs before (under {@code src/test/resources/manifests}, the job id replaced by {@code
 * JOB}). Users, the functions and dashboards read this file: a change to its text is a change to an
 * interface, made on purpose here or not at all.
 */
class ManifestTest {
    @TempDir Path tmp;

    private static String written(Lane lane, String name, String file, Map<String, String> meta) {
        IngestService.Ingestion r = lane.ingest.ingest(lane.drop(name, file, meta));
        lane.runToCompletion(r.jobId(), 20);
        return lane.text(Keys.manifest(r.jobId())).replace(r.jobId(), "JOB");
    }

    private static String expected(String name) throws Exception {
        try (InputStream in = ManifestTest.class.getResourceAsStream("/manifests/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void allSucceeded_theSameBytesAsEver() throws Exception {
        assertThat(written(new Lane(tmp), "ok.jsonl", Lane.requests("r", 6), Map.of()))
                .isEqualTo(expected("ok.json"));
    }

    @Test
    void resubmittedAndFailed_withABudget_theSameBytesAsEver() throws Exception {
        Lane lane = new Lane(tmp);
        lane.provider.batches(Fate.PARTIAL);
        String file =
                Lane.request("fine-1")
                        + Lane.request("limited-1")
                        + Lane.request("broken-1")
                        + Lane.request("lost-1");
        assertThat(written(lane, "partial.jsonl", file, Map.of("budget-usd", "5")))
                .isEqualTo(expected("partial.json"));
    }

    @Test
    void onDemand_billedAtTheSynchronousPrice_theSameBytesAsEver() throws Exception {
        Lane lane = new Lane(tmp);
        lane.provider.creates(Create.ON_DEMAND);
        assertThat(written(lane, "ondemand.jsonl", Lane.requests("r", 3), Map.of()))
                .isEqualTo(expected("ondemand.json"));
    }

    @Test
    void expiredAfterAQueueWait_theSameBytesAsEver() throws Exception {
        Lane lane = new Lane(tmp);
        lane.provider.batches(Fate.EXPIRED);
        lane.provider.creates(Create.RATE_LIMITED);
        assertThat(written(lane, "expired.jsonl", Lane.requests("r", 4), Map.of()))
                .isEqualTo(expected("expired.json"));
    }
}
