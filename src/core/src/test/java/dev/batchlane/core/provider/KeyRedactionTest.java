package dev.batchlane.core.provider;

import static dev.batchlane.core.provider.KeyRedaction.redactKeys;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The one rule for key-shaped words in a provider's text. */
class KeyRedactionTest {

    @Test
    void redactKeys_coversEachIssuedKeyPrefix_andAMaskedFragment() {
        assertThat(redactKeys("key sk-ant-api03-abcdEFGH1234 rejected"))
                .isEqualTo("key [redacted] rejected");
        assertThat(redactKeys("API key AIzaSyA1b2C3d4 not valid"))
                .isEqualTo("API key [redacted] not valid");
        assertThat(redactKeys("gsk_0123456789abcdef is revoked"))
                .isEqualTo("[redacted] is revoked");
        assertThat(redactKeys("Incorrect API key provided: sk-pro********xyz."))
                .isEqualTo("Incorrect API key provided: [redacted].");
    }

    @Test
    void redactKeys_coversAccessKeyIdsAndSecretLookingTokens() {
        assertThat(
                        redactKeys(
                                "Authorization=AWS4-HMAC-SHA256"
                                        + " Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/bedrock/aws4_request,"
                                        + " SignedHeaders=host"))
                .isEqualTo(
                        "Authorization=AWS4-HMAC-SHA256"
                                + " Credential=[redacted]/20261201/us-east-1/bedrock/aws4_request,"
                                + " SignedHeaders=host");
        assertThat(redactKeys("temporary ASIAQWERTYUIOP123456 expired"))
                .isEqualTo("temporary [redacted] expired");
        assertThat(redactKeys("secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY was rejected"))
                .isEqualTo("secret [redacted] was rejected");
        assertThat(
                        redactKeys(
                                "token IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexample"
                                        + "+abcAgIhAKl2pWQ8mXn0r4Vb7Jc9T1sYkZqH3eFdGuW6yNoP5iLxKq0vCwIhAKl2pWQ8"
                                        + "mXn0r4Vb7Jc9T1sYkZqH3eFdGuW6yNoP5iLxKq== is invalid"))
                .isEqualTo("token [redacted] is invalid");
    }

    @Test
    void redactKeys_leavesOrdinaryWordsIdsAndDigestsAlone() {
        for (String plain :
                new String[] {
                    "the ask-price and risk-free rate: max_tokens too large",
                    "model anthropic.claude-3-haiku-20240307-v1:0 is not available in us-east-1",
                    "job arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcd1234efgh",
                    "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709 and request"
                            + " 6f1c2a3b-1d2e-4f5a-9b8c-7d6e5f4a3b2c",
                    "Line 3 of bedrock/input/job-0000000000000000000a/shard-00000.jsonl is not a"
                            + " record",
                    "AKIA alone, TASKIAB, ASIAN markets",
                    "No .jsonl input files were found at s3://lane/bedrock/input/TeamA/Run2024/"
                }) {
            assertThat(redactKeys(plain)).as(plain).isEqualTo(plain);
        }
        assertThat(redactKeys(null)).isNull();
    }
}
