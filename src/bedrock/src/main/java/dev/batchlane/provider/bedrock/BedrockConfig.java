package dev.batchlane.provider.bedrock;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the lane's Bedrock work lives. {@code roleArn} is the service role Bedrock assumes to read
 * the input prefix and write the output prefix of the lane's own {@code bucket}; nothing leaves the
 * account. Endpoints are set only to point at a local simulator. {@code requestTimeout} bounds
 * every call (one runtime call's worst case); {@code onDemandStepBudget} is the time one poll gives
 * an on-demand step, which starts no call that could outlast it.
 */
public record BedrockConfig(
        String region,
        String bucket,
        String roleArn,
        String inputPrefix,
        String outputPrefix,
        String defaultModel,
        BedrockQuotas quotas,
        int timeoutHours,
        int onDemandRecordsPerCall,
        Optional<URI> controlEndpoint,
        Optional<URI> runtimeEndpoint,
        Duration requestTimeout,
        Duration onDemandStepBudget) {

    /** The time one poll gives an on-demand step, when none is set. */
    public static final Duration DEFAULT_ON_DEMAND_STEP_BUDGET = Duration.ofSeconds(120);

    public BedrockConfig(
            String region,
            String bucket,
            String roleArn,
            String inputPrefix,
            String outputPrefix,
            String defaultModel,
            BedrockQuotas quotas,
            int timeoutHours,
            int onDemandRecordsPerCall,
            Optional<URI> controlEndpoint,
            Optional<URI> runtimeEndpoint,
            Duration requestTimeout) {
        this(
                region,
                bucket,
                roleArn,
                inputPrefix,
                outputPrefix,
                defaultModel,
                quotas,
                timeoutHours,
                onDemandRecordsPerCall,
                controlEndpoint,
                runtimeEndpoint,
                requestTimeout,
                DEFAULT_ON_DEMAND_STEP_BUDGET);
    }

    public BedrockConfig {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(quotas, "quotas");
        if (roleArn == null || roleArn.isBlank()) {
            // Checked at creation rather than here: a lane that never sees a Bedrock file needs no
            // role.
            roleArn = "";
        }
        inputPrefix = slashed(inputPrefix == null ? "bedrock/input/" : inputPrefix);
        outputPrefix = slashed(outputPrefix == null ? "bedrock/output/" : outputPrefix);
        if (timeoutHours < 24 || timeoutHours > 168) {
            throw new IllegalArgumentException(
                    "batchlane.bedrock.timeout-hours must be 24 to 168 (Bedrock's range), was "
                            + timeoutHours);
        }
        if (onDemandRecordsPerCall < 1) {
            throw new IllegalArgumentException(
                    "batchlane.bedrock.on-demand-records-per-poll must be at least 1");
        }
        controlEndpoint = controlEndpoint == null ? Optional.empty() : controlEndpoint;
        runtimeEndpoint = runtimeEndpoint == null ? Optional.empty() : runtimeEndpoint;
        requestTimeout = requestTimeout == null ? Duration.ofSeconds(60) : requestTimeout;
        onDemandStepBudget =
                onDemandStepBudget == null ? DEFAULT_ON_DEMAND_STEP_BUDGET : onDemandStepBudget;
    }

    private static String slashed(String prefix) {
        return prefix.endsWith("/") ? prefix : prefix + "/";
    }
}
