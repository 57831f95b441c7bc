package dev.batchlane.provider.bedrock;

import dev.batchlane.emulators.S3MockServer;
import dev.batchlane.simulator.MutableClock;
import dev.batchlane.simulator.bedrock.BedrockSimulator;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.bedrock.BedrockClient;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * What the adapter's tests through its real SDK clients share: S3Mock with the lane's bucket, the
 * Bedrock simulator over it on a clock the test moves (jobs step every 10 s, a model's minimum is
 * 100 records), and the S3, Bedrock and runtime clients pointed at them. The runtime client is the
 * one the factory builds for the functions: one attempt per model call.
 */
final class BedrockTestBed implements AutoCloseable {
    static final String BUCKET = "lane";
    static final StaticCredentialsProvider CREDS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));

    final S3MockServer s3mock;
    final S3Client s3;
    final MutableClock clock;
    final BedrockSimulator sim;
    final BedrockClient bedrock;
    final BedrockRuntimeClient runtime;

    private BedrockTestBed() {
        s3mock = S3MockServer.start(BUCKET);
        s3 =
                S3Client.builder()
                        .endpointOverride(s3mock.endpoint())
                        .forcePathStyle(true)
                        .region(Region.US_EAST_1)
                        .credentialsProvider(CREDS)
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .build();
        clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
        sim =
                BedrockSimulator.builder()
                        .s3(s3)
                        .clock(clock)
                        .stepDuration(Duration.ofSeconds(10))
                        .minRecords(100)
                        .start();
        bedrock =
                BedrockClient.builder()
                        .endpointOverride(URI.create(sim.endpoint()))
                        .region(Region.US_EAST_1)
                        .credentialsProvider(CREDS)
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .build();
        runtime = runtimeClient(Duration.ofSeconds(30));
    }

    static BedrockTestBed start() {
        return new BedrockTestBed();
    }

    /** A runtime client as the functions build it, with its own call timeout. */
    BedrockRuntimeClient runtimeClient(Duration timeout) {
        return BedrockFactory.runtimeClient(timeout)
                .endpointOverride(URI.create(sim.endpoint()))
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDS)
                .build();
    }

    @Override
    public void close() {
        bedrock.close();
        runtime.close();
        sim.close();
        s3.close();
        s3mock.close();
    }
}
