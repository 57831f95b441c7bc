package dev.batchlane.provider.bedrock;

import dev.batchlane.core.catalogue.ProviderContext;
import java.time.Duration;
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
                        endpoint,
                        timeout,
                        context.duration(
                                "on-demand-step", BedrockConfig.DEFAULT_ON_DEMAND_STEP_BUDGET));
        var http = UrlConnectionHttpClient.builder().socketTimeout(timeout);
        var control =
                BedrockClient.builder().httpClientBuilder(http).region(Region.of(context.region()));
        var runtime = runtimeClient(timeout).region(Region.of(context.region()));
        endpoint.ifPresent(
                e -> {
                    control.endpointOverride(e);
                    runtime.endpointOverride(e);
                });
        return new BedrockProvider(
                config, control.build(), runtime.build(), context.resource(S3Client.class));
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
