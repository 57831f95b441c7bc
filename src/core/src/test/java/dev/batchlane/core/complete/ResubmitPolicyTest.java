package dev.batchlane.core.complete;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ResubmitPolicyTest {

    /**
     * The decision reads the status and the provider's code, never the message: a refusal whose
     * words happen to say "timeout" or "rate_limit" stays refused, and a passing code is
     * resubmitted whatever its message says.
     */
    @ParameterizedTest(name = "{0} {1}: {2} -> {3}")
    @CsvSource(
            delimiter = '|',
            value = {
                "400 | invalid_request_error | the request mentions a timeout and a rate_limit and a server_error | false",
                "400 | context_length_exceeded | overloaded prompt, api_error in the text                          | false",
                "    | invalid_prompt       | batch_expired is only a word here                                   | false",
                "    | overloaded_error     | nothing                                                             | true",
                "    | rate_limit_exceeded  | nothing                                                             | true",
                "    | server_error         | nothing                                                             | true",
                "429 |                      | nothing                                                             | true",
                "503 |                      | nothing                                                             | true",
                "404 | not_found_error      | nothing                                                             | false",
            })
    void failedLine_isRetriedOnItsStatusAndCode_notOnItsMessage(
            Integer status, String code, String message, boolean resubmitted) {
        String errorJson =
                "{\"code\":"
                        + (code == null ? "null" : "\"" + code + "\"")
                        + ",\"message\":\""
                        + message
                        + "\"}";
        LineResult line =
                new LineResult("r-1", Outcome.FAILED, status, null, errorJson, null, code, null);

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
}
