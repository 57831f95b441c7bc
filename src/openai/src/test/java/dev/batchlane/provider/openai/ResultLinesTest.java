package dev.batchlane.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.provider.FailureKind;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Outcome;
import dev.batchlane.core.provider.Usage;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Result lines in the shapes OpenAI writes them (docs/providers.md), including the odd ones. */
class ResultLinesTest {

    @Test
    void successLine_keepsTheBodyTextExactlyAsWritten_numbersAndSpacingIncluded() throws Exception {
        String body =
                "{ \"object\" : \"list\", \"data\":[{\"embedding\":[0.10, -1.5e-7, 3E+2]}],"
                        + " \"note\":\"a \\\"quoted\\\" } brace\" }";
        LineResult r =
                ResultLines.parse(
                        "{\"id\":\"batch_req_1\",\"custom_id\":\"a\","
                                + "\"response\":{\"status_code\":200,"
                                + "\"request_id\":\"req_1\",\"body\":"
                                + body
                                + "},\"error\":null}");

        assertThat(r.customId()).isEqualTo("a");
        assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.responseJson()).isEqualTo(body);
        assertThat(r.errorJson()).isNull();
    }

    @Test
    void successLine_bodyAfterOtherNestedFields_isStillFound() throws Exception {
        LineResult r =
                ResultLines.parse(
                        "{\"custom_id\":\"a\",\"extra\":{\"body\":[1]},\"response\":"
                                + "{\"headers\":{\"body\":\"no\"},\"body\":[1,2],\"status_code\":201},\"error\":null}");

        assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.responseJson()).isEqualTo("[1,2]");
    }

    @Test
    void non2xxResponse_isFailedWithTheBodysErrorObjectAndStatus() throws Exception {
        String error =
                "{\"message\":\"bad\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"x\"}";
        LineResult r =
                ResultLines.parse(
                        "{\"custom_id\":\"a\",\"response\":{\"status_code\":400,\"body\":{\"error\":"
                                + error
                                + "}},\"error\":null}");

        assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.responseJson()).isNull();
        assertThat(r.errorJson()).isEqualTo(error);
        assertThat(r.usage()).isNull();
    }

    /**
     * Retries are decided on this code, so it is read from the error's fields, never from its
     * words.
     */
    @Test
    void failedLine_carriesTheErrorCode_orItsTypeWhenTheCodeIsNull() throws Exception {
        LineResult coded =
                ResultLines.parse(
                        "{\"custom_id\":\"a\",\"response\":{\"status_code\":400,\"body\":{"
                                + "\"error\":{\"message\":\"mentions rate_limit_exceeded\",\"type\":\"invalid_request_error\","
                                + "\"code\":\"context_length_exceeded\"}}}}");
        LineResult typed =
                ResultLines.parse(
                        "{\"custom_id\":\"a\",\"response\":{\"status_code\":500,\"body\":{"
                                + "\"error\":{\"message\":\"oops\",\"type\":\"server_error\",\"code\":null}}}}");
        LineResult fileError =
                ResultLines.parse(
                        "{\"custom_id\":\"b\",\"response\":null,\"error\":"
                                + "{\"code\":\"batch_expired\",\"message\":\"x\"}}");
        LineResult ok =
                ResultLines.parse(
                        "{\"custom_id\":\"c\",\"response\":{\"status_code\":200,\"body\":"
                                + "{\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[]}}}");

        assertThat(coded.errorCode()).isEqualTo("context_length_exceeded");
        assertThat(typed.errorCode()).isEqualTo("server_error");
        assertThat(fileError.errorCode()).isEqualTo("batch_expired");
        assertThat(ok.errorCode()).isNull();
        assertThat(ok.model()).isEqualTo("gpt-4o-mini-2024-07-18");
    }

    @Test
    void non2xxResponse_withoutAnErrorObject_keepsTheWholeBody() throws Exception {
        LineResult r =
                ResultLines.parse(
                        "{\"custom_id\":\"a\",\"response\":{\"status_code\":502,"
                                + "\"body\":{\"detail\":\"upstream\"}},\"error\":null}");

        assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.errorJson()).isEqualTo("{\"detail\":\"upstream\"}");
    }

    @Test
    void expiredLine_isExpiredWithTheErrorObject() throws Exception {
        String error =
                "{\"code\":\"batch_expired\",\"message\":\"This request could not be executed before the "
                        + "completion window expired.\"}";
        LineResult r =
                ResultLines.parse(
                        "{\"id\":\"batch_req_2\",\"custom_id\":\"b\",\"response\":null,\"error\":"
                                + error
                                + "}");

        assertThat(r.outcome()).isEqualTo(Outcome.EXPIRED);
        assertThat(r.statusCode()).isNull();
        assertThat(r.errorJson()).isEqualTo(error);
    }

    @Test
    void cancelledLine_isCancelled_otherErrorCodesAreFailed() throws Exception {
        assertThat(
                        ResultLines.parse(
                                        "{\"custom_id\":\"b\",\"response\":null,\"error\":{\"code\":\"batch_cancelled\"}}")
                                .outcome())
                .isEqualTo(Outcome.CANCELLED);
        assertThat(
                        ResultLines.parse(
                                        "{\"custom_id\":\"b\",\"response\":null,\"error\":{\"code\":\"request_timeout\"}}")
                                .outcome())
                .isEqualTo(Outcome.FAILED);
    }

    @Test
    void lineWithNeitherResponseNorError_isFailedWithAnExplanation() throws Exception {
        LineResult r = ResultLines.parse("{\"custom_id\":\"b\",\"response\":null,\"error\":null}");

        assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(r.errorJson()).contains("no_result");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"custom_id\":",
                "[1]",
                "{\"response\":null}",
                "{\"custom_id\":7}",
                "{\"custom_id\":\"\"}"
            })
    void lineThatIsNotAResultLine_isRefusedWithoutEchoingIt(String line) {
        assertThatThrownBy(() -> ResultLines.parse(line))
                .isInstanceOf(ResultLines.MalformedLineException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(line));
    }

    @Test
    void usage_chatCompletionsStyle_readsPromptCachedAndCompletionTokens() {
        assertThat(
                        ResultLines.usage(
                                json(
                                        "{\"prompt_tokens\":100,\"completion_tokens\":20,\"total_tokens\":120,"
                                                + "\"prompt_tokens_details\":{\"cached_tokens\":64}}")))
                .isEqualTo(new Usage(100, 64, 20));
    }

    @Test
    void usage_responsesStyle_readsInputCachedAndOutputTokens() {
        assertThat(
                        ResultLines.usage(
                                json(
                                        "{\"input_tokens\":90,\"output_tokens\":9,"
                                                + "\"input_tokens_details\":{\"cached_tokens\":32},"
                                                + "\"output_tokens_details\":{\"reasoning_tokens\":4}}")))
                .isEqualTo(new Usage(90, 32, 9));
    }

    @Test
    void usage_embeddingsStyle_hasPromptTokensOnly() {
        assertThat(ResultLines.usage(json("{\"prompt_tokens\":12,\"total_tokens\":12}")))
                .isEqualTo(new Usage(12, 0, 0));
    }

    @Test
    void usage_absentOrUnrecognised_isNull() {
        assertThat(ResultLines.usage(null)).isNull();
        assertThat(ResultLines.usage(json("{\"seconds\":3}"))).isNull();
        assertThat(ResultLines.usage(json("\"none\""))).isNull();
    }

    private static JsonNode json(String text) {
        try {
            return new ObjectMapper().readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The adapter reads a failed line as passing or final from its status and OpenAI's own codes
     * (the core's resubmission rule reads only that): an error-file line has no status, so its code
     * decides; a refusal of the request itself is final whatever its message says.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"custom_id\":\"a\",\"response\":null,\"error\":{\"code\":\"rate_limit_exceeded\",\"message\":\"m\"}} | PASSING",
                "{\"custom_id\":\"a\",\"response\":null,\"error\":{\"code\":\"server_error\",\"message\":\"m\"}} | PASSING",
                "{\"custom_id\":\"a\",\"response\":null,\"error\":{\"code\":null,\"type\":\"timeout\",\"message\":\"m\"}} | PASSING",
                "{\"custom_id\":\"a\",\"response\":null,\"error\":{\"code\":\"invalid_prompt\",\"message\":\"a timeout\"}} | FINAL",
                "{\"custom_id\":\"a\",\"response\":{\"status_code\":503,\"body\":{\"error\":{\"code\":\"x\"}}},\"error\":null} | PASSING",
                "{\"custom_id\":\"a\",\"response\":{\"status_code\":400,\"body\":{\"error\":{\"code\":\"context_length_exceeded\"}}},\"error\":null} | FINAL",
                "{\"custom_id\":\"a\",\"response\":{\"status_code\":400,\"body\":{\"error\":{\"code\":\"rate_limit_exceeded\"}}},\"error\":null} | PASSING",
                "{\"custom_id\":\"a\",\"response\":null,\"error\":null} | FINAL",
            })
    void failedLine_isClassifiedByItsStatusAndOpenAisCodes(String line, FailureKind kind)
            throws Exception {
        LineResult r = ResultLines.parse(line);

        assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(r.failureKind()).isEqualTo(kind);
    }
}
