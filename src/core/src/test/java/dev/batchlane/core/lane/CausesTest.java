package dev.batchlane.core.lane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.provider.ProviderException;
import org.junit.jupiter.api.Test;

/**
 * The causes a held shard's warning quotes: an adapter redacts its own message, but the exception
 * it wraps (an SDK's, say) keeps the service's text as it came.
 */
class CausesTest {

    @Test
    void causes_quoteEachCause_withItsKeyShapedWordsRedacted() {
        ProviderException e =
                new ProviderException(
                        "acme create failed: 403 AccessDenied: Credential=[redacted]/20261201",
                        403,
                        "AccessDenied",
                        false,
                        new IllegalStateException(
                                "Authorization=AWS4-HMAC-SHA256"
                                        + " Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/x/aws4_request"));

        String quoted = ShardSubmitter.causes(e);

        assertThat(quoted)
                .doesNotContain("AKIAIOSFODNN7EXAMPLE")
                .startsWith("acme create failed: 403 AccessDenied")
                .contains("caused by IllegalStateException: Authorization=AWS4-HMAC-SHA256")
                .contains("Credential=[redacted]/20261201/us-east-1/x/aws4_request");
    }
}
