package dev.batchlane.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.http.Failures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's answers turned into words by the shared layer and {@link OpenAiErrors}, tested alone.
 */
class ProviderFailureTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void failure_envelopeWithCode_namesOperationStatusCodeAndTheProvidersMessage() {
        ProviderException e =
                Failures.status(
                        "openai",
                        "createBatch",
                        400,
                        bytes(
                                "{\"error\":{\"message\":\"Enqueued token limit reached\",\"type\":\"invalid_request_error\","
                                        + "\"param\":null,\"code\":\"token_limit_exceeded\"}}"));

        assertThat(e.getMessage())
                .isEqualTo(
                        "openai createBatch failed: 400 token_limit_exceeded: Enqueued token "
                                + "limit reached");
        assertThat(e.code()).isEqualTo("token_limit_exceeded");
        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.retryable()).isFalse();
    }

    @Test
    void failure_envelopeWithoutCode_fallsBackToTheType() {
        ProviderException e =
                Failures.status(
                        "openai",
                        "retrieveBatch",
                        503,
                        bytes(
                                "{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\",\"param\":null,\"code\":null}}"));

        assertThat(e.code()).isEqualTo("server_error");
        assertThat(e.retryable()).isTrue();
    }

    @Test
    void failure_bodyThatIsNotAnEnvelope_isNotRepeated() {
        String page =
                "<html><body>502 Bad Gateway from proxy, request was {\"secret\":1}</body></html>";

        ProviderException e = Failures.status("openai", "downloadFile", 502, bytes(page));

        assertThat(e.getMessage())
                .startsWith("openai downloadFile failed: 502: no error message")
                .doesNotContain("secret")
                .doesNotContain("html");
        assertThat(e.code()).isNull();
        assertThat(e.retryable()).isTrue();
    }

    @Test
    void failure_veryLongProviderMessage_isCutShort() {
        ProviderException e =
                Failures.status(
                        "openai",
                        "createFile",
                        400,
                        bytes(
                                "{\"error\":{\"message\":\""
                                        + "m".repeat(10_000)
                                        + "\",\"code\":\"x\"}}"));

        assertThat(e.getMessage()).hasSizeLessThan(600);
    }

    @Test
    void failureSummary_firstErrorWithLineAndHowManyMore() throws IOException {
        JsonNode errors =
                JSON.readTree(
                        "[{\"code\":\"invalid_json_line\",\"message\":\"This line is not parseable as "
                                + "valid JSON.\",\"param\":null,\"line\":3},{\"code\":\"url_mismatch\",\"line\":5},{\"code\":\"x\"}]");

        assertThat(OpenAiErrors.failureSummary(errors))
                .isEqualTo(
                        "line 3 invalid_json_line: This line is not parseable as valid JSON.; 2 more");
    }

    @Test
    void failureSummary_noErrorsGiven_saysSo() throws IOException {
        assertThat(OpenAiErrors.failureSummary(JSON.readTree("[]")))
                .isEqualTo("openai failed the batch without " + "saying why");
        assertThat(OpenAiErrors.failureSummary(JSON.missingNode())).isNotBlank();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
