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

/** Groq's batch API, a profile of the OpenAI adapter ({@link Vendor#GROQ}). */
public final class GroqRegistration implements ProviderRegistration {
    static final ProviderDescriptor DESCRIPTOR =
            ProviderDescriptor.builder("groq", "Groq", "Groq")
                    .settingAliases(Map.of("base-url", "GROQ_BASE_URL"))
                    .local(LocalRun.realWith("GROQ_API_KEY", "GROQ_BASE_URL"))
                    .prices(PriceRows.resource(GroqRegistration.class, "prices/groq.json"))
                    .build();

    @Override
    public ProviderDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Optional<BatchProvider> create(ProviderContext context) {
        return Optional.of(
                new OpenAiProvider(
                        Vendor.GROQ,
                        OpenAiRegistration.config(context, "https://api.groq.com/openai/v1"),
                        context.resource(HttpClient.class)));
    }
}
