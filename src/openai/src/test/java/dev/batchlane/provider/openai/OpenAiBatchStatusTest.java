package dev.batchlane.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.ProviderException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class OpenAiBatchStatusTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "validating,PENDING",
        "in_progress,RUNNING",
        "finalizing,FINALIZING",
        "completed,COMPLETED",
        "failed,FAILED",
        "expired,EXPIRED",
        "cancelling,CANCELLING",
        "cancelled,CANCELLED"
    })
    void everyOpenAiStatus_mapsToOneInternalState(String wire, BatchState state) {
        OpenAiBatchStatus status = OpenAiBatchStatus.fromWire("batch_1", wire);

        assertThat(status.state()).isEqualTo(state);
        assertThat(status.wire()).isEqualTo(wire);
    }

    @ParameterizedTest
    @ValueSource(strings = {"paused", "COMPLETED", "in-progress", ""})
    @NullSource
    void unknownStatus_isRefusedAsNotRetryableNamingTheBatchAndTheStatus(String wire) {
        ProviderException e =
                catchThrowableOfType(
                        ProviderException.class,
                        () -> OpenAiBatchStatus.fromWire("batch_42", wire));

        assertThat(e.retryable()).isFalse();
        assertThat(e.code()).isEqualTo("unknown_status");
        assertThat(e.getMessage())
                .contains("batch_42")
                .contains(wire == null ? "null" : "'" + wire + "'");
    }
}
