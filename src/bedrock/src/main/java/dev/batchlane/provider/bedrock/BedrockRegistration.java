package dev.batchlane.provider.bedrock;

import dev.batchlane.core.catalogue.Credentials;
import dev.batchlane.core.catalogue.LineShape;
import dev.batchlane.core.catalogue.ProviderContext;
import dev.batchlane.core.catalogue.ProviderDescriptor;
import dev.batchlane.core.catalogue.ProviderRegistration;
import dev.batchlane.core.money.PriceRows;
import dev.batchlane.core.provider.BatchProvider;
import java.util.Optional;

/**
 * Amazon Bedrock batch inference on the lane's own bucket, lines {@code {recordId, modelInput}}: no
 * key, the functions' roles and a service role Bedrock assumes. Settings: {@code role-arn}, {@code
 * default-model}, {@code input-prefix}, {@code output-prefix}, {@code timeout-hours}, {@code
 * on-demand-records-per-poll}, {@code on-demand-step} (the time one poll gives an on-demand step),
 * {@code endpoint} and {@code runtime-endpoint} (overrides of the control plane's and
 * bedrock-runtime's addresses; the runtime one defaults to {@code endpoint}; without either the AWS
 * SDK's own endpoint settings apply, such as {@code AWS_ENDPOINT_URL_BEDROCK} and {@code
 * AWS_ENDPOINT_URL_BEDROCK_RUNTIME}), {@code timeout} (every call's bound) and {@code quotas.*}
 * (the account's per-model quotas as Service Quotas shows them).
 */
public final class BedrockRegistration implements ProviderRegistration {
    /** Where shards are copied for Bedrock to read, and where it writes: the role's only reach. */
    public static final String INPUT_PREFIX = "bedrock/input/";

    public static final String OUTPUT_PREFIX = "bedrock/output/";

    static final ProviderDescriptor DESCRIPTOR =
            ProviderDescriptor.builder("bedrock", "Amazon Bedrock", "Bedrock")
                    .credentials(Credentials.IAM)
                    .lineShape(LineShape.hasFields("recordId", "modelInput"))
                    .deployment(BedrockDeployment.deployment())
                    .prices(PriceRows.resource(BedrockRegistration.class, "prices/bedrock.json"))
                    .build();

    @Override
    public ProviderDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Optional<BatchProvider> create(ProviderContext context) {
        // Apart, so hosts that only read the descriptor never load the AWS SDK's classes.
        return Optional.of(BedrockFactory.create(context));
    }
}
