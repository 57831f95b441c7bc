package dev.batchlane.core.money;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class EstimatesTest {
    private final ObjectMapper json = new ObjectMapper();

    /** Each of n choices can use the whole cap, and best_of bills every candidate it generated. */
    @Test
    void outputUpperBound_isTheCapTimesTheChoicesAsked() throws Exception {
        assertThat(Estimates.outputUpperBound(json.readTree("{\"max_tokens\":100}"), 4096))
                .isEqualTo(100);
        assertThat(Estimates.outputUpperBound(json.readTree("{\"max_tokens\":100,\"n\":3}"), 4096))
                .isEqualTo(300);
        assertThat(
                        Estimates.outputUpperBound(
                                json.readTree("{\"max_tokens\":100,\"n\":2,\"best_of\":5}"), 4096))
                .isEqualTo(500);
        assertThat(Estimates.outputUpperBound(json.readTree("{\"n\":2}"), 4096))
                .as("default cap")
                .isEqualTo(8192);
        assertThat(
                        Estimates.outputUpperBound(
                                json.readTree("{\"max_tokens\":100,\"n\":\"3\"}"), 4096))
                .as("not a number: one choice")
                .isEqualTo(100);
        assertThat(
                        Estimates.outputUpperBound(
                                json.readTree("{\"max_tokens\":4096,\"n\":9223372036854775807}"),
                                1))
                .as("saturates")
                .isEqualTo(Long.MAX_VALUE);
    }
}
