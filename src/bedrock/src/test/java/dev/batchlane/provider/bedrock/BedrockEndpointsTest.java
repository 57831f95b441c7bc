package dev.batchlane.provider.bedrock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpServer;
import dev.batchlane.core.catalogue.ProviderContext;
import dev.batchlane.core.catalogue.ProviderDescriptor;
import dev.batchlane.core.provider.BatchProvider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The lane can be pointed at Bedrock servers it did not write the way the AWS SDK allows anywhere:
 * without the lane's own {@code endpoint} setting, the control plane and bedrock-runtime each go
 * where the SDK's service-specific settings say ({@code AWS_ENDPOINT_URL_BEDROCK} and {@code
 * AWS_ENDPOINT_URL_BEDROCK_RUNTIME}, or their system properties, used here since a test cannot set
 * its own environment). Each server records the request before it answers.
 */
class BedrockEndpointsTest {
    private static final String CONTROL_PROPERTY = "aws.endpointUrlBedrock";
    private static final String RUNTIME_PROPERTY = "aws.endpointUrlBedrockRuntime";
    private static final List<String> PROPERTIES =
            List.of(CONTROL_PROPERTY, RUNTIME_PROPERTY, "aws.accessKeyId", "aws.secretAccessKey");

    private final Map<String, String> saved = new HashMap<>();
    private Recorder control;
    private Recorder runtime;

    /** A server that writes down each request's path, then refuses it as AWS would (403). */
    private static final class Recorder implements AutoCloseable {
        final List<String> paths = new CopyOnWriteArrayList<>();
        final HttpServer server;

        Recorder() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext(
                    "/",
                    ex -> {
                        try (ex) {
                            ex.getRequestBody().readAllBytes();
                            paths.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath());
                            byte[] body =
                                    "{\"message\":\"recorded\"}".getBytes(StandardCharsets.UTF_8);
                            ex.getResponseHeaders()
                                    .add("x-amzn-ErrorType", "AccessDeniedException");
                            ex.sendResponseHeaders(403, body.length);
                            ex.getResponseBody().write(body);
                        }
                    });
            server.start();
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @BeforeEach
    void start() throws IOException {
        PROPERTIES.forEach(p -> saved.put(p, System.getProperty(p)));
        control = new Recorder();
        runtime = new Recorder();
        System.setProperty(CONTROL_PROPERTY, control.uri().toString());
        System.setProperty(RUNTIME_PROPERTY, runtime.uri().toString());
        System.setProperty("aws.accessKeyId", "AKIDEXAMPLE");
        System.setProperty("aws.secretAccessKey", "secret");
    }

    @AfterEach
    void stop() {
        control.close();
        runtime.close();
        saved.forEach(
                (p, v) -> {
                    if (v == null) {
                        System.clearProperty(p);
                    } else {
                        System.setProperty(p, v);
                    }
                });
    }

    private static ProviderContext context(Map<String, String> settings) {
        S3Client s3 = S3Client.builder().region(Region.US_EAST_1).build();
        return new ProviderContext() {
            @Override
            public ProviderDescriptor descriptor() {
                return BedrockRegistration.DESCRIPTOR;
            }

            @Override
            public Optional<String> setting(String key) {
                return Optional.ofNullable(settings.get(key));
            }

            @Override
            public String apiKey() {
                return "unset";
            }

            @Override
            public String region() {
                return "us-east-1";
            }

            @Override
            public String bucket() {
                return "lane";
            }

            @Override
            public <T> T resource(Class<T> type) {
                return type.cast(s3);
            }
        };
    }

    @Test
    void withoutTheLanesSetting_eachClientGoesWhereTheSdksServiceSpecificSettingSays() {
        BatchProvider provider = BedrockFactory.create(context(Map.of()));
        catchThrowable(
                () ->
                        provider.retrieve(
                                "arn:aws:bedrock:us-east-1:000000000000:model-invocation-job/abc123"));
        assertThat(control.paths)
                .as("the control plane at AWS_ENDPOINT_URL_BEDROCK's address")
                .singleElement()
                .asString()
                .startsWith("GET /model-invocation-job/")
                .endsWith("abc123");
        assertThat(runtime.paths).isEmpty();

        try (var client =
                BedrockFactory.runtimeClient(java.time.Duration.ofSeconds(5))
                        .region(Region.US_EAST_1)
                        .build()) {
            catchThrowable(
                    () ->
                            client.invokeModel(
                                    b ->
                                            b.modelId("anthropic.claude-3-haiku-20240307-v1:0")
                                                    .body(SdkBytes.fromUtf8String("{}"))));
        }
        assertThat(runtime.paths)
                .as("bedrock-runtime at AWS_ENDPOINT_URL_BEDROCK_RUNTIME's address")
                .containsExactly("POST /model/anthropic.claude-3-haiku-20240307-v1:0/invoke");
    }

    @Test
    void theLanesOwnSetting_overridesTheSdksForTheControlPlane() throws IOException {
        try (Recorder lane = new Recorder()) {
            BatchProvider provider =
                    BedrockFactory.create(context(Map.of("endpoint", lane.uri().toString())));
            catchThrowable(
                    () ->
                            provider.retrieve(
                                    "arn:aws:bedrock:us-east-1:000000000000:model-invocation-job/abc123"));
            assertThat(lane.paths).hasSize(1);
            assertThat(control.paths).isEmpty();
        }
    }
}
