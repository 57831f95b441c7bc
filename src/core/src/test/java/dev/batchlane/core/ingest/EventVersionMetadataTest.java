package dev.batchlane.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.testkit.ForwardingContract;
import dev.batchlane.core.testkit.Lane;
import dev.batchlane.core.testkit.ScriptedProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A provider whose per-file choices ride as S3 metadata (Gemini's model, Bedrock's model and mode)
 * reads them from the version the event names, the one whose bytes are validated and staged. It
 * used to read the latest version: a file overwritten between the event and ingest ran the old
 * lines under the new file's settings.
 */
class EventVersionMetadataTest {
    @TempDir Path tmp;

    @Test
    void theContractReadsTheMetadataOfTheEventsVersion_notOfAVersionWrittenOverIt() {
        List<Map<String, String>> seen = new CopyOnWriteArrayList<>();
        RequestContract recording =
                new ForwardingContract() {
                    @Override
                    public RequestContract forFile(Map<String, String> metadata) {
                        seen.add(metadata);
                        return this;
                    }
                };
        Lane lane =
                new Lane(
                        new ScriptedProvider("openai", recording),
                        new LaneSettings(
                                ScriptedProvider.LIMITS,
                                Duration.ofMinutes(1),
                                Duration.ofMinutes(30),
                                200,
                                tmp));
        IngestService.ObjectRef first =
                lane.drop("daily.jsonl", Lane.requests("r", 2), Map.of("model", "first-model"));
        // Overwritten before ingest ran: a new version with other settings.
        lane.objects.putBytes(
                first.key(),
                Lane.requests("s", 2).getBytes(StandardCharsets.UTF_8),
                Map.of("model", "second-model"));

        lane.ingest.ingest(first);

        assertThat(seen)
                .isNotEmpty()
                .allSatisfy(m -> assertThat(m).containsEntry("model", "first-model"));
    }
}
