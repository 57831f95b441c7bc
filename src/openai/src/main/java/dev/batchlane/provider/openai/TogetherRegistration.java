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

/** Together's batch API, a profile of the OpenAI adapter ({@link Vendor#TOGETHER}). */
public final class TogetherRegistration implements ProviderRegistration {
    static final ProviderDescriptor DESCRIPTOR =
            ProviderDescriptor.builder("together", "Together", "Together")
                    .settingAliases(Map.of("base-url", "TOGETHER_BASE_URL"))
                    .local(LocalRun.realWith("TOGETHER_API_KEY", "TOGETHER_BASE_URL"))
                    .prices(PriceRows.resource(TogetherRegistration.class, "prices/together.json"))
                    .build();

    @Override
    public ProviderDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Optional<BatchProvider> create(ProviderContext context) {
        return Optional.of(
                new OpenAiProvider(
                        Vendor.TOGETHER,
                        OpenAiRegistration.config(context, "https://api.together.xyz/v1"),
                        context.resource(HttpClient.class)));
    }
}
