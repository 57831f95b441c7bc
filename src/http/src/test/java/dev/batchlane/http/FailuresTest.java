package dev.batchlane.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.provider.ProviderException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The one envelope reader, the one retryable rule and the one cut of error text. */
class FailuresTest {

    @Test
    void envelope_openAi_codeFirst_thenType() {
        assertThat(
                        Failures.envelope(
                                bytes(
                                        "{\"error\":{\"message\":\"m\",\"type\":\"invalid_request_error\","
                                                + "\"code\":\"token_limit_exceeded\"}}")))
                .isEqualTo(new Failures.Envelope("token_limit_exceeded", "m"));
        assertThat(
                        Failures.envelope(
                                bytes(
                                        "{\"error\":{\"message\":\"m\",\"type\":\"server_error\",\"code\":null}}")))
                .isEqualTo(new Failures.Envelope("server_error", "m"));
    }

    @Test
    void envelope_google_statusIsTheCode_notTheHttpNumber() {
        assertThat(
                        Failures.envelope(
                                bytes(
                                        "{\"error\":{\"code\":429,\"message\":\"quota\","
                                                + "\"status\":\"RESOURCE_EXHAUSTED\"}}")))
                .isEqualTo(new Failures.Envelope("RESOURCE_EXHAUSTED", "quota"));
    }

    @Test
    void envelope_anthropic_typeIsTheCode() {
        assertThat(
                        Failures.envelope(
                                bytes(
                                        "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                                                + "\"message\":\"Overloaded\"}}")))
                .isEqualTo(new Failures.Envelope("overloaded_error", "Overloaded"));
    }

    @Test
    void envelope_mistralFlat_andErrorAsText() {
        assertThat(
                        Failures.envelope(
                                bytes(
                                        "{\"object\":\"error\",\"message\":\"bad\",\"type\":\"invalid_request\","
                                                + "\"code\":\"3001\"}")))
                .isEqualTo(new Failures.Envelope("3001", "bad"));
        assertThat(Failures.envelope(bytes("{\"error\":\"quota gone\"}")))
                .isEqualTo(new Failures.Envelope(null, "quota gone"));
    }

    @Test
    void envelope_notJson_givesNothing() {
        assertThat(Failures.envelope(bytes("<html>502</html>")))
                .isEqualTo(new Failures.Envelope(null, null));
        assertThat(Failures.envelope(new byte[0])).isEqualTo(new Failures.Envelope(null, null));
    }

    @Test
    void status_aPagesBodyIsNeverRepeated() {
        ProviderException e =
                Failures.status(
                        "gemini",
                        "batches.get",
                        502,
                        bytes("<html>proxy saw {\"secret\":1}</html>"));

        assertThat(e.getMessage())
                .isEqualTo(
                        "gemini batches.get failed: 502: no error message (the answer was not "
                                + "an error envelope)");
        assertThat(e.retryable()).isTrue();
    }

    @Test
    void retryableRule_isTheCoresOne_forCallsAndLinesAlike() {
        for (int status : new int[] {408, 409, 429, 500, 502, 503, 504, 529}) {
            assertThat(ProviderException.retryableStatus(status)).as("status %d", status).isTrue();
            assertThat(Failures.status("p", "op", status, new byte[0]).retryable())
                    .as("status %d", status)
                    .isTrue();
        }
        for (int status : new int[] {400, 401, 403, 404, 413, 422}) {
            assertThat(ProviderException.retryableStatus(status)).as("status %d", status).isFalse();
            assertThat(Failures.status("p", "op", status, new byte[0]).retryable())
                    .as("status %d", status)
                    .isFalse();
        }
    }

    @Test
    void truncate_cutsAt500Characters_neverInsideASurrogatePair() {
        assertThat(Failures.truncate("m".repeat(500))).hasSize(500);
        assertThat(Failures.truncate("m".repeat(10_000))).isEqualTo("m".repeat(500) + "…");
        String emoji = "m".repeat(499) + "\uD83D\uDE00" + "tail";
        assertThat(Failures.truncate(emoji)).isEqualTo("m".repeat(499) + "…");
    }

    @Test
    void status_longMessage_isCut() {
        ProviderException e =
                Failures.status(
                        "anthropic",
                        "createBatch",
                        400,
                        bytes(
                                "{\"error\":{\"type\":\"invalid_request_error\",\"message\":\""
                                        + "x".repeat(5000)
                                        + "\"}}"));

        assertThat(e.getMessage())
                .isEqualTo(
                        "anthropic createBatch failed: 400 invalid_request_error: "
                                + "x".repeat(500)
                                + "…");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void status_aKeyFragmentInTheProvidersMessage_isRedacted_andTheRestKept() {
        ProviderException e =
                Failures.status(
                        "openai",
                        "create batch",
                        401,
                        bytes(
                                "{\"error\":{\"message\":\"Incorrect API key provided:"
                                        + " sk-proj-ab**********************wxYz. You can find"
                                        + " your API key at the dashboard.\",\"type\":"
                                        + "\"invalid_request_error\",\"code\":\"invalid_api_key\"}}"));

        assertThat(e.getMessage())
                .doesNotContain("sk-proj")
                .doesNotContain("wxYz")
                .contains("Incorrect API key provided: [redacted]. You can find")
                .contains("invalid_api_key");
    }
}
