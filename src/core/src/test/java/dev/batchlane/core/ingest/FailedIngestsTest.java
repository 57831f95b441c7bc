package dev.batchlane.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchlane.core.job.IngestFailure;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.testkit.InMemoryJobStore;
import dev.batchlane.core.testkit.TestClock;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FailedIngestsTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final IngestService.ObjectRef REF =
            new IngestService.ObjectRef("lane", "inbox/openai/x.jsonl", "v1", "etag", 42);

    @Test
    void record_keepsTheObjectAndTheReason_cutAtFiveHundredCharacters() {
        InMemoryJobStore store = new InMemoryJobStore();
        FailedIngests failures = new FailedIngests(store, new TestClock(T0), LaneMetrics.NONE);

        failures.record("job-1", REF, new IllegalStateException("x".repeat(600)));

        IngestFailure f = store.ingestFailure("job-1").orElseThrow();
        assertThat(f.key()).isEqualTo("inbox/openai/x.jsonl");
        assertThat(f.identity()).isEqualTo("v1");
        assertThat(f.at()).isEqualTo(T0);
        assertThat(f.error())
                .startsWith("IllegalStateException: xxx")
                .hasSize(FailedIngests.MAX_REASON_CHARS + 1)
                .endsWith("…");
    }

    @Test
    void record_whenTheStoreFails_theOriginalErrorCarriesItAsSuppressed() {
        InMemoryJobStore broken =
                new InMemoryJobStore() {
                    @Override
                    public synchronized void recordIngestFailure(IngestFailure f) {
                        throw new IllegalStateException("table unreachable");
                    }
                };
        RuntimeException original = new IllegalStateException("reading failed");

        new FailedIngests(broken, new TestClock(T0), LaneMetrics.NONE)
                .record("job-1", REF, original);

        assertThat(original.getSuppressed())
                .singleElement()
                .satisfies(s -> assertThat(s).hasMessage("table unreachable"));
    }

    @Test
    void objectToResume_isTheObjectTheFailedAttemptRead_andNothingRecordedIsNamedInTheError() {
        InMemoryJobStore store = new InMemoryJobStore();
        FailedIngests failures = new FailedIngests(store, new TestClock(T0), LaneMetrics.NONE);
        failures.record("job-1", REF, new IllegalStateException("boom"));

        assertThat(failures.objectToResume("job-1"))
                .isEqualTo(new IngestService.ObjectRef("lane", REF.key(), "v1", "v1", 42));
        assertThatThrownBy(() -> failures.objectToResume("job-2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("job job-2: nothing to resume");
    }
}
