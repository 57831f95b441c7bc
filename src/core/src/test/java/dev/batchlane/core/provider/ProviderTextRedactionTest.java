package dev.batchlane.core.provider;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * What any adapter hands the core (a result line, a batch's state) carries the provider's text on
 * to the user's results and the manifest, so a key quoted in it is redacted where the value is
 * made, for every provider at once, and a model's answer is left as it came.
 */
class ProviderTextRedactionTest {
    private static final String QUOTED_KEY =
            "{\"code\":\"invalid_api_key\",\"message\":\"Incorrect API key provided:"
                    + " sk-proj-AbCd********************wxYZ.\"}";

    @Test
    void aFailedLinesErrorAndResponse_haveTheQuotedKeyRedacted() {
        LineResult failed =
                new LineResult(
                        "req-1",
                        Outcome.FAILED,
                        401,
                        "{\"status_code\":401,\"body\":{\"error\":" + QUOTED_KEY + "}}",
                        QUOTED_KEY,
                        null,
                        "invalid_api_key",
                        "gpt-4o-mini",
                        FailureKind.FINAL);

        assertThat(failed.errorJson())
                .doesNotContain("AbCd")
                .contains(KeyRedaction.REDACTED)
                .startsWith("{\"code\":\"invalid_api_key\"");
        assertThat(failed.responseJson()).doesNotContain("wxYZ").contains(KeyRedaction.REDACTED);
    }

    @Test
    void aSucceededLinesAnswer_isKeptAsTheModelWroteIt() {
        String answer = "{\"choices\":[{\"message\":{\"content\":\"try sk-test-1234 ****\"}}]}";
        LineResult ok =
                new LineResult(
                        "req-2",
                        Outcome.SUCCEEDED,
                        200,
                        answer,
                        null,
                        new Usage(1, 0, 1),
                        null,
                        "gpt-4o-mini",
                        null);

        assertThat(ok.responseJson()).isEqualTo(answer);
    }

    @Test
    void aBatchsError_hasTheQuotedKeyRedacted() {
        BatchView view =
                new BatchView(
                        "batch_1",
                        BatchState.FAILED,
                        "failed",
                        null,
                        null,
                        null,
                        "authentication failed for AKIAIOSFODNN7EXAMPLE");

        assertThat(view.error()).isEqualTo("authentication failed for " + KeyRedaction.REDACTED);
    }
}
