package dev.batchlane.functions.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.batchlane.core.catalogue.ProviderCatalogue;
import dev.batchlane.core.lane.Providers;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The functions build only the providers the deployment enabled, each on its first use, reading its
 * key from its secret then: the real adapters' registrations and the real Secrets Manager client,
 * against a loopback endpoint that records every secret asked for before it answers.
 */
class EnabledProvidersTest {
    private static final String OPENAI = "arn:aws:secretsmanager:us-east-1:1:secret:openai-AbC123";
    private static final String ANTHROPIC =
            "arn:aws:secretsmanager:us-east-1:1:secret:anthropic-XyZ789";
    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpServer server;
    private final List<String> asked = new CopyOnWriteArrayList<>();
    private final Map<String, String> values = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        System.setProperty("aws.accessKeyId", "local");
        System.setProperty("aws.secretAccessKey", "local");
        values.put(OPENAI, "sk-openai");
        values.put(ANTHROPIC, "sk-ant");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(
                "/",
                ex -> {
                    String id =
                            JSON.readTree(ex.getRequestBody().readAllBytes())
                                    .path("SecretId")
                                    .asText();
                    asked.add(id);
                    byte[] out =
                            JSON.createObjectNode()
                                    .put("ARN", id)
                                    .put("Name", id)
                                    .put("SecretString", values.getOrDefault(id, ""))
                                    .toString()
                                    .getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
                    ex.sendResponseHeaders(200, out.length);
                    try (OutputStream o = ex.getResponseBody()) {
                        o.write(out);
                    }
                });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private Providers providers(List<String> enabled) {
        Map<String, String> settings =
                Map.of(
                        "batchlane.openai.api-key-secret", OPENAI,
                        "batchlane.anthropic.api-key-secret", ANTHROPIC);
        return CatalogueProviders.lazy(
                ProviderCatalogue.load(),
                enabled,
                k -> Optional.ofNullable(settings.get(k)),
                new CatalogueProviders.Lane(
                        "us-east-1",
                        "bucket",
                        Optional.of(
                                URI.create("http://127.0.0.1:" + server.getAddress().getPort()))),
                Map.of(HttpClient.class, HttpClient.newHttpClient()),
                UnaryOperator.identity());
    }

    @Test
    void aProviderNotEnabled_isNeverBuilt_soItsSecretIsNeverRead() {
        Providers providers = providers(List.of("openai"));
        assertThat(asked).as("nothing is built before its first use").isEmpty();

        assertThat(providers.find("openai")).isPresent();
        assertThat(providers.find("openai")).isPresent();
        assertThat(asked).as("built once, on first use").containsExactly(OPENAI);

        assertThat(providers.find("anthropic")).isEmpty();
        assertThat(providers.isNotEnabled("anthropic")).isTrue();
        assertThat(providers.isNotEnabled("openai")).isFalse();
        assertThat(providers.names()).containsExactly("openai");
        assertThatThrownBy(() -> providers.get("anthropic"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'anthropic' is not enabled in this deployment")
                .hasMessageContaining("[openai]");
        assertThat(asked).as("anthropic's secret is never read").containsExactly(OPENAI);
    }

    @Test
    void noneNamed_enablesTheWholeCatalogue_stillBuildingEachOnFirstUse() {
        Providers providers = providers(List.of());
        assertThat(providers.names()).containsExactlyElementsOf(ProviderCatalogue.load().names());
        assertThat(providers.find("anthropic")).isPresent();
        assertThat(asked).containsExactly(ANTHROPIC);
    }

    @Test
    void anEmptySecret_failsOnlyItsOwnProvider_andIsReadAgainOnItsNextUse() {
        values.put(ANTHROPIC, " ");
        Providers providers = providers(List.of("openai", "anthropic"));

        assertThatThrownBy(() -> providers.find("anthropic"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the anthropic API key secret " + ANTHROPIC + " is empty")
                .hasMessageContaining("put-secret-value");
        assertThat(providers.find("openai")).isPresent();

        values.put(ANTHROPIC, "sk-ant-put-later");
        assertThat(providers.find("anthropic")).isPresent();
        assertThat(asked).containsExactly(ANTHROPIC, OPENAI, ANTHROPIC);
    }

    @Test
    void aNameOutsideTheCatalogue_isRefusedNamingItAndTheCatalogue() {
        assertThatThrownBy(() -> providers(List.of("openai", "opnai")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("BATCHLANE_PROVIDERS")
                .hasMessageContaining("'opnai'")
                .hasMessageContaining(ProviderCatalogue.load().names().toString());
    }
}
