package dev.batchlane.core.complete;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchlane.core.provider.FailureKind;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ResubmitPolicyTest {

    /**
     * The decision reads the adapter's classification only: neither the status nor the provider's
     * code nor the message. A line its adapter calls final stays refused even with a status and a
     * code that would pass at another provider, and a passing one is resubmitted whatever its
     * message says.
     */
    @ParameterizedTest(name = "{0} {1} {2}: -> {3}")
    @CsvSource(
            delimiter = '|',
            value = {
                "429 | rate_limit_exceeded   | FINAL   | false",
                "503 | server_error          | FINAL   | false",
                "400 | invalid_request_error | PASSING | true",
                "    |                       | PASSING | true",
                "    |                       | FINAL   | false",
            })
    void failedLine_isResubmittedOnItsAdaptersClassification_only(
            Integer status, String code, FailureKind kind, boolean resubmitted) {
        String errorJson =
                "{\"code\":"
                        + (code == null ? "null" : "\"" + code + "\"")
                        + ",\"message\":\"a timeout and a rate_limit and a server_error\"}";
        LineResult line =
                new LineResult(
                        "r-1", Outcome.FAILED, status, null, errorJson, null, code, null, kind);

        assertThat(ResubmitPolicy.worthResubmitting(line)).isEqualTo(resubmitted);
    }

    @ParameterizedTest
    @CsvSource({"SUCCEEDED,false", "EXPIRED,true", "CANCELLED,true", "MISSING,false"})
    void outcomes_withoutAnError_followTheirMeaning(Outcome outcome, boolean resubmitted) {
        assertThat(
                        ResubmitPolicy.worthResubmitting(
                                new LineResult("r-1", outcome, null, null, null, null)))
                .isEqualTo(resubmitted);
    }

    @Test
    void aFailedLine_withoutItsAdaptersClassification_isRefused_namingTheLine() {
        assertThatThrownBy(
                        () ->
                                new LineResult(
                                        "r-7",
                                        Outcome.FAILED,
                                        500,
                                        null,
                                        "{}",
                                        null,
                                        null,
                                        null,
                                        null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("r-7")
                .hasMessageContaining("failureKind");
    }

    @ParameterizedTest
    @CsvSource({
        "408,PASSING",
        "409,PASSING",
        "429,PASSING",
        "500,PASSING",
        "529,PASSING",
        "400,FINAL",
        "404,FINAL",
        ",FINAL"
    })
    void theHttpReading_passesTimeoutsConflictsRateLimitsAndServerErrors(
            Integer status, FailureKind kind) {
        assertThat(FailureKind.ofHttpStatus(status)).isEqualTo(kind);
    }
}
