package dev.batchlane.local.standin;

import dev.batchlane.local.iam.BedrockRules;
import dev.batchlane.simulator.anthropic.AnthropicSimulator;
import dev.batchlane.simulator.bedrock.BedrockSimulator;
import dev.batchlane.simulator.gemini.DiscoveryDocument;
import dev.batchlane.simulator.gemini.GeminiSimulator;
import dev.batchlane.simulator.openai.Dialect;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import java.net.URI;
import java.util.Map;
import java.util.Optional;

/**
 * The registration of each provider's simulator on the local stack: one line per provider. A
 * provider of the catalogue with no line here fails the stack's start with its name.
 */
public final class SimulatorRegistry {
    private SimulatorRegistry() {}

    private static final Map<String, StandIn.Starter> STARTERS =
            Map.of(
                    "openai", c -> openAi(c, Dialect.OPENAI, "sk-local-simulator"),
                    "anthropic", SimulatorRegistry::anthropic,
                    "azure", c -> openAi(c, Dialect.AZURE, "local-azure-simulator"),
                    "groq", c -> openAi(c, Dialect.GROQ, "local-groq-simulator"),
                    "together", c -> openAi(c, Dialect.TOGETHER, "local-together-simulator"),
                    "mistral", c -> openAi(c, Dialect.MISTRAL, "local-mistral-simulator"),
                    "gemini", SimulatorRegistry::gemini,
                    "bedrock", SimulatorRegistry::bedrock);

    public static Optional<StandIn.Starter> find(String provider) {
        return Optional.ofNullable(STARTERS.get(provider));
    }

    public static java.util.Set<String> providers() {
        return STARTERS.keySet();
    }

    private static StandIn openAi(StandIn.Context c, Dialect dialect, String key) {
        OpenAiSimulator sim =
                OpenAiSimulator.builder().dialect(dialect).stepDuration(c.stepDuration()).start();
        return StandIn.keyed(sim, sim.baseUrl(), key);
    }

    private static StandIn anthropic(StandIn.Context c) {
        AnthropicSimulator sim =
                AnthropicSimulator.builder().stepDuration(c.stepDuration()).start();
        return StandIn.keyed(sim, sim.baseUrl(), "sk-ant-local-simulator");
    }

    private static StandIn gemini(StandIn.Context c) {
        String key = "AIza-local-simulator";
        var builder = GeminiSimulator.builder().stepDuration(c.stepDuration()).apiKey(key);
        // Next to the repository, Google's discovery document holds every call to its schemas.
        var discovery = DiscoveryDocument.find("gemini-batches.json");
        if (discovery.isPresent()) {
            try {
                builder.discovery(DiscoveryDocument.load(discovery.get()));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(
                        "the discovery document " + discovery.get() + " is unreadable", e);
            }
        }
        GeminiSimulator sim = builder.start();
        String address =
                sim.baseUrl()
                        + discovery
                                .map(d -> " (checked against " + d.getFileName() + ")")
                                .orElse("");
        return new StandIn(
                sim,
                address,
                Optional.of(key),
                proxy -> Map.of("base-url", sim.baseUrl()),
                proxy -> Map.of(),
                Optional.empty());
    }

    /**
     * Bedrock reads and writes the lane's own bucket, so its simulator works on the same S3
     * emulator; the functions reach it through the IAM proxy, which checks each call against their
     * roles (the control plane and bedrock-runtime both sign as "bedrock").
     */
    private static StandIn bedrock(StandIn.Context c) {
        BedrockSimulator sim =
                BedrockSimulator.builder()
                        .s3(c.s3())
                        .region(c.region())
                        .account(c.account())
                        .stepDuration(c.stepDuration())
                        .start();
        return new StandIn(
                sim,
                sim.endpoint(),
                Optional.empty(),
                proxy -> Map.of(),
                proxy ->
                        Map.of(
                                "AWS_ENDPOINT_URL_BEDROCK",
                                proxy.toString(),
                                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
                                proxy.toString()),
                Optional.of(
                        new StandIn.AwsService(
                                new BedrockRules(c.region(), c.account()),
                                URI.create(sim.endpoint()))));
    }
}
