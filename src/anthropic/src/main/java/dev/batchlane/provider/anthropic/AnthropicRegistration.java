package dev.batchlane.provider.anthropic;

import dev.batchlane.core.catalogue.LineShape;
import dev.batchlane.core.catalogue.LocalRun;
import dev.batchlane.core.catalogue.ProviderContext;
import dev.batchlane.core.catalogue.ProviderDescriptor;
import dev.batchlane.core.catalogue.ProviderRegistration;
import dev.batchlane.core.money.PriceRows;
import dev.batchlane.core.provider.BatchProvider;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Anthropic's Message Batches, lines {@code {custom_id, params}}. */
public final class AnthropicRegistration implements ProviderRegistration {
    static final ProviderDescriptor DESCRIPTOR =
            ProviderDescriptor.builder("anthropic", "Anthropic", "Anthropic")
                    .lineShape(LineShape.hasFields("custom_id", "params"))
                    // As the official SDKs read it (the API base without /v1).
                    .settingAliases(Map.of("base-url", "ANTHROPIC_BASE_URL"))
                    .local(LocalRun.realWith("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"))
                    .prices(
                            PriceRows.resource(
                                    AnthropicRegistration.class, "prices/anthropic.json"))
                    .build();

    @Override
    public ProviderDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Optional<BatchProvider> create(ProviderContext context) {
        return Optional.of(
                new AnthropicProvider(
                        new AnthropicConfig(
                                context.uri("base-url", "https://api.anthropic.com"),
                                context.apiKey(),
                                context.text("version", AnthropicConfig.DEFAULT_VERSION),
                                context.duration("timeout", Duration.ofSeconds(120))),
                        context.resource(HttpClient.class)));
    }
}
