package dev.batchlane.local.standin;

import dev.batchlane.local.iam.ServiceRules;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A running simulator standing in for one provider.
 *
 * @param simulator the simulator itself (tests reach into it, e.g. its request log)
 * @param address where it listens, for the log line
 * @param apiKey the key it accepts, for providers with one
 * @param settings the provider's settings (relative, e.g. {@code base-url}) that point the
 *     functions at it, given the address of the local IAM proxy (a provider reached through AWS's
 *     signing goes through the proxy, as every AWS call of the functions does)
 * @param environment variables the provider's own SDK reads that point it at the simulator (for
 *     Bedrock the AWS SDK's {@code AWS_ENDPOINT_URL_BEDROCK} and {@code
 *     AWS_ENDPOINT_URL_BEDROCK_RUNTIME}), given the proxy's address: the functions are pointed the
 *     way an operator points them at any server
 * @param awsService the AWS service the simulator plays, when the provider is reached as one: its
 *     rules for the proxy and its address behind it
 */
public record StandIn(
        AutoCloseable simulator,
        String address,
        Optional<String> apiKey,
        Function<URI, Map<String, String>> settings,
        Function<URI, Map<String, String>> environment,
        Optional<AwsService> awsService) {

    /** A provider with a key, reached over plain HTTPS at {@code baseUrl}. */
    public static StandIn keyed(AutoCloseable simulator, String baseUrl, String key) {
        return new StandIn(
                simulator,
                baseUrl,
                Optional.of(key),
                proxy -> Map.of("base-url", baseUrl),
                proxy -> Map.of(),
                Optional.empty());
    }

    public record AwsService(ServiceRules rules, URI upstream) {}

    /** What a simulator may need from the stack to start. */
    public record Context(S3Client s3, String region, String account, Duration stepDuration) {}

    /** Starts the simulator of one provider. */
    @FunctionalInterface
    public interface Starter {
        StandIn start(Context context);
    }
}
