package dev.batchlane.provider.bedrock;

import dev.batchlane.core.catalogue.ProviderContext;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.bedrock.BedrockClient;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClientBuilder;
import software.amazon.awssdk.services.s3.S3Client;

/** Builds the Bedrock adapter and its AWS SDK clients from the provider's settings. */
final class BedrockFactory {
    private BedrockFactory() {}

    static BedrockProvider create(ProviderContext context) {
        BedrockQuotas quotas =
                new BedrockQuotas(
                        context.integer("quotas.min-records-per-job", 100),
                        context.integer("quotas.max-records-per-job", 50_000),
                        context.integer("quotas.max-records-per-file", 50_000),
                        context.longValue("quotas.max-file-bytes", 1_073_741_824L),
                        context.longValue("quotas.max-job-bytes", 5_368_709_120L),
                        context.integer("quotas.max-concurrent-jobs", 10));
        Duration timeout = context.duration("timeout", Duration.ofSeconds(60));
        var endpoint = context.uri("endpoint");
        // Only the lane's own setting is an override; without it each client resolves its endpoint
        // as the AWS SDK does everywhere (AWS_ENDPOINT_URL_BEDROCK,
        // AWS_ENDPOINT_URL_BEDROCK_RUNTIME,
        // AWS_ENDPOINT_URL, their system properties, the profile's endpoint_url), so the lane can
        // be pointed at independent servers the standard way.
        var runtimeEndpoint = context.uri("runtime-endpoint").or(() -> endpoint);
        var config =
                new BedrockConfig(
                        context.region(),
                        context.bucket(),
                        context.setting("role-arn").orElse(null),
                        context.text("input-prefix", BedrockRegistration.INPUT_PREFIX),
                        context.text("output-prefix", BedrockRegistration.OUTPUT_PREFIX),
                        context.setting("default-model").orElse(null),
                        quotas,
                        context.integer("timeout-hours", 24),
                        context.integer("on-demand-records-per-poll", 20),
                        endpoint,
                        runtimeEndpoint,
                        timeout,
                        context.duration(
                                "on-demand-step", BedrockConfig.DEFAULT_ON_DEMAND_STEP_BUDGET));
        return new BedrockProvider(
                config,
                controlClient(context.region(), timeout, endpoint),
                runtimeClient(timeout)
                        .region(Region.of(context.region()))
                        .applyMutation(b -> runtimeEndpoint.ifPresent(b::endpointOverride))
                        .build(),
                context.resource(S3Client.class));
    }

    /** The control-plane client (jobs), at {@code endpoint} when set, else where the SDK says. */
    static BedrockClient controlClient(String region, Duration timeout, Optional<URI> endpoint) {
        var control =
                BedrockClient.builder()
                        .httpClientBuilder(UrlConnectionHttpClient.builder().socketTimeout(timeout))
                        .region(Region.of(region));
        endpoint.ifPresent(control::endpointOverride);
        return control.build();
    }

    /**
     * The bedrock-runtime client for model calls: one attempt per call (a model call is billed
     * whether or not its answer arrives, so the SDK must never send it again by itself) and the
     * whole call bounded by {@code timeout}, the worst case an on-demand step plans for.
     */
    static BedrockRuntimeClientBuilder runtimeClient(Duration timeout) {
        return BedrockRuntimeClient.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder().socketTimeout(timeout))
                .overrideConfiguration(
                        c ->
                                c.retryStrategy(AwsRetryStrategy.doNotRetry())
                                        .apiCallTimeout(timeout)
                                        .apiCallAttemptTimeout(timeout));
    }
}
