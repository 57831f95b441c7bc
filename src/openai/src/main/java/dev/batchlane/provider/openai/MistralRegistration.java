package dev.batchlane.provider.openai;

import dev.batchlane.core.catalogue.LocalRun;
import dev.batchlane.core.catalogue.ProviderContext;
import dev.batchlane.core.catalogue.ProviderDescriptor;
import dev.batchlane.core.catalogue.ProviderRegistration;
import dev.batchlane.core.money.PriceRows;
import dev.batchlane.core.provider.BatchProvider;
import java.net.http.HttpClient;
import java.util.Map;
import java.util.Optional;

/** Mistral's batch jobs over OpenAI-shaped files ({@link MistralProvider}). */
public final class MistralRegistration implements ProviderRegistration {
    static final ProviderDescriptor DESCRIPTOR =
            ProviderDescriptor.builder("mistral", "Mistral", "Mistral")
                    .settingAliases(Map.of("base-url", "MISTRAL_BASE_URL"))
                    .local(LocalRun.realWith("MISTRAL_API_KEY", "MISTRAL_BASE_URL"))
                    .prices(PriceRows.resource(MistralRegistration.class, "prices/mistral.json"))
                    .build();

    @Override
    public ProviderDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Optional<BatchProvider> create(ProviderContext context) {
        return Optional.of(
                new MistralProvider(
                        OpenAiRegistration.config(context, "https://api.mistral.ai/v1"),
                        context.resource(HttpClient.class)));
    }
}
