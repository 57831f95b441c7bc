package dev.batchlane.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.batchlane.core.ingest.FileValidator;
import dev.batchlane.core.ingest.Violation;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each vendor's line rules at ingest, where they differ from OpenAI's. */
class VendorContractTest {

    private record Run(FileValidator.Validation result, List<Violation> all) {}

    private static Run validate(Vendor vendor, String... lines) throws IOException {
        byte[] content = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        List<Violation> all = new ArrayList<>();
        FileValidator.Validation result =
                new FileValidator(new OpenAiContract(vendor), vendor.limits())
                        .validate(new ByteArrayInputStream(content), all::add);
        return new Run(result, all);
    }

    private static String bodyOnly(String id, String model) {
        return "{\"custom_id\":\""
                + id
                + "\",\"body\":{\"model\":\""
                + model
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}";
    }

    @Test
    void together_bodyOnlyLines_areValidAndTargetChatCompletions() throws IOException {
        Run run =
                validate(
                        Vendor.TOGETHER,
                        bodyOnly("a", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
                        bodyOnly("b", "meta-llama/Llama-3.3-70B-Instruct-Turbo"));

        assertThat(run.all()).isEmpty();
        assertThat(run.result().endpoint()).isEqualTo("/v1/chat/completions");
        assertThat(run.result().model()).isEqualTo("meta-llama/Llama-3.3-70B-Instruct-Turbo");
    }

    @Test
    void together_openAiShapedLine_isRejectedForMethodAndUrl() throws IOException {
        Run run =
                validate(
                        Vendor.TOGETHER,
                        "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                                + "\"body\":{\"model\":\"m\",\"messages\":[]}}");

        assertThat(run.all())
                .extracting(Violation::code, Violation::message)
                .containsExactlyInAnyOrder(
                        tuple(
                                "unknown_field",
                                "line 1: unknown field \"method\"; a together batch line has only custom_id "
                                        + "and body"),
                        tuple(
                                "unknown_field",
                                "line 1: unknown field \"url\"; a together batch line has only custom_id "
                                        + "and body"));
    }

    @Test
    void together_customIdOver64Characters_isRejectedNamingTheLimit() throws IOException {
        String id = "x".repeat(65);

        Run run = validate(Vendor.TOGETHER, bodyOnly("ok", "m"), bodyOnly(id, "m"));

        assertThat(run.all())
                .singleElement()
                .satisfies(
                        v -> {
                            assertThat(v.line()).isEqualTo(2);
                            assertThat(v.code()).isEqualTo("custom_id_too_long");
                            assertThat(v.message())
                                    .contains("65 characters")
                                    .contains("together takes at most 64");
                        });
    }

    @Test
    void mistral_linesOfTwoModels_areRejected_becauseTheJobCarriesOneModel() throws IOException {
        Run run =
                validate(
                        Vendor.MISTRAL,
                        bodyOnly("a", "mistral-small-latest"),
                        bodyOnly("b", "mistral-large-latest"));

        assertThat(run.all())
                .extracting(Violation::line, Violation::code)
                .containsExactly(tuple(2L, "model_mismatch"));
    }

    @Test
    void azure_lineUrlWithoutV1_isValid_andOpenAiOnlyEndpointsAreNot() throws IOException {
        Vendor azure = Vendor.azure(null, Vendor.Auth.API_KEY);
        String ok =
                "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/chat/completions\",\"body\":{\"model\":\"dep\","
                        + "\"messages\":[]}}";
        String video =
                "{\"custom_id\":\"b\",\"method\":\"POST\",\"url\":\"/v1/videos\",\"body\":{\"model\":\"dep\"}}";

        assertThat(validate(azure, ok).all()).isEmpty();
        assertThat(validate(azure, video).all())
                .extracting(Violation::code)
                .containsExactly("url_invalid");
        assertThat(azure.limits().maxRequestsPerShard()).isEqualTo(100_000);
    }

    /**
     * Vendors document their file limits in decimal megabytes; a shard cut at 200 MiB would be 4.9%
     * over a 200 MB limit and refused.
     */
    @Test
    void vendorFileLimits_areDecimalMegabytes_asTheVendorsStateThem() {
        assertThat(Vendor.OPENAI.limits().maxBytesPerShard()).isEqualTo(200_000_000L);
        assertThat(Vendor.azure(null, Vendor.Auth.API_KEY).limits().maxBytesPerShard())
                .isEqualTo(200_000_000L);
        assertThat(Vendor.MISTRAL.limits().maxBytesPerShard()).isEqualTo(200_000_000L);
        assertThat(Vendor.TOGETHER.limits().maxBytesPerShard()).isEqualTo(100_000_000L);
        assertThat(Vendor.GROQ.limits()).isEqualTo(Vendor.OPENAI_LIMITS);
    }
}
