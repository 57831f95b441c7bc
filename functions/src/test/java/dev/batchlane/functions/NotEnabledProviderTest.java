package dev.batchlane.functions;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.lane.Providers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * A deployment that enabled OpenAI only (BATCHLANE_PROVIDERS=openai): ingest refuses an Anthropic
 * drop by name and rule, submits nothing, and never builds Anthropic's adapter, whose key secret
 * points at an endpoint that cannot answer (reading it would fail the invocation instead).
 */
@QuarkusTest
@TestProfile(NotEnabledProviderTest.OpenAiOnly.class)
@QuarkusTestResource(value = LocalLane.class, restrictToAnnotatedClass = false)
@org.junit.jupiter.api.extension.ExtendWith(LaneBackend.Available.class)
class NotEnabledProviderTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static class OpenAiOnly implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "batchlane.providers",
                    "openai",
                    "batchlane.anthropic.api-key-secret",
                    "arn:aws:secretsmanager:us-east-1:000000000000:secret:anthropic-XyZ789",
                    // Nothing listens there: a read of Anthropic's secret would fail ingest.
                    "batchlane.aws.secretsmanager-endpoint",
                    "http://127.0.0.1:1");
        }
    }

    @LocalLane.Inject LocalLane.Parts lane;

    @Inject Providers providers;

    @Test
    void aDropForAProviderNotEnabled_isRejectedNamingItAndTheRule_andNothingIsSubmitted()
            throws Exception {
        int createsBefore = lane.anthropic().createCount();
        String key = "inbox/anthropic/not-enabled.jsonl";
        byte[] line =
                "{\"custom_id\":\"a-1\",\"params\":{\"model\":\"claude-3-5-haiku-latest\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}\n"
                        .getBytes(StandardCharsets.UTF_8);
        lane.s3().putObject(b -> b.bucket(LocalLane.BUCKET).key(key), RequestBody.fromBytes(line));
        HeadObjectResponse head = lane.s3().headObject(b -> b.bucket(LocalLane.BUCKET).key(key));

        JsonNode result =
                JSON.readTree(
                        given().contentType("application/json")
                                .body(lane.objectCreated(key, head))
                                .when()
                                .post()
                                .then()
                                .statusCode(200)
                                .extract()
                                .asString());

        assertThat(result.get(0).get("outcome").asText()).isEqualTo("REJECTED");
        String rejected =
                Keys.rejected("anthropic", "not-enabled", result.get(0).get("jobId").asText());
        JsonNode report = read(rejected + "report.json");
        assertThat(report.get("submitted").asInt()).isZero();
        assertThat(report.at("/firstViolations/0/code").asText()).isEqualTo("provider_not_enabled");
        assertThat(report.at("/firstViolations/0/message").asText())
                .contains("'anthropic' is not enabled in this deployment")
                .contains("[openai]");
        assertThat(report.get("message").asText()).startsWith("nothing was submitted");
        assertThat(lane.anthropic().createCount()).isEqualTo(createsBefore);
        assertThat(providers.isNotEnabled("anthropic")).isTrue();
        assertThat(providers.names()).containsExactly("openai");
    }

    @Test
    void aDropForTheEnabledProvider_isAccepted() throws Exception {
        String key = "inbox/openai/enabled.jsonl";
        lane.s3()
                .putObject(
                        b -> b.bucket(LocalLane.BUCKET).key(key),
                        RequestBody.fromBytes(LaneEndToEndTest.chatLines(3)));
        HeadObjectResponse head = lane.s3().headObject(b -> b.bucket(LocalLane.BUCKET).key(key));
        JsonNode result =
                JSON.readTree(
                        given().contentType("application/json")
                                .body(lane.objectCreated(key, head))
                                .when()
                                .post()
                                .then()
                                .statusCode(200)
                                .extract()
                                .asString());
        assertThat(result.get(0).get("outcome").asText()).isEqualTo("ACCEPTED");
    }

    private JsonNode read(String key) throws Exception {
        return JSON.readTree(
                lane.s3().getObjectAsBytes(b -> b.bucket(LocalLane.BUCKET).key(key)).asByteArray());
    }
}
