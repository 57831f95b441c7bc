package dev.batchlane.provider.openai;

import dev.batchlane.core.catalogue.LocalRun;
import dev.batchlane.core.catalogue.ProviderContext;
import dev.batchlane.core.catalogue.ProviderDescriptor;
import dev.batchlane.core.catalogue.ProviderRegistration;
import dev.batchlane.core.money.PriceRows;
import dev.batchlane.core.provider.BatchProvider;
import java.net.http.HttpClient;
import java.util.Optional;

/**
 * Azure OpenAI Batch: OpenAI's lines on the customer's own resource, so it runs only where {@code
 * batchlane.azure.base-url} names one. Settings: {@code api-version} (a dated version, none for the
 * v1 surface), {@code auth} ({@code api-key} or {@code entra}).
 */
public final class AzureRegistration implements ProviderRegistration {
    static final ProviderDescriptor DESCRIPTOR =
            ProviderDescriptor.builder("azure", "Azure", "Azure")
                    .local(
                            LocalRun.realWithOwnAddress(
                                    "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_BASE_URL"))
                    .prices(PriceRows.resource(AzureRegistration.class, "prices/azure.json"))
                    .build();

    @Override
    public ProviderDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Optional<BatchProvider> create(ProviderContext context) {
        if (context.uri("base-url").isEmpty()) {
            return Optional.empty();
        }
        String auth = context.text("auth", "api-key");
        Vendor.Auth kind =
                switch (auth) {
                    case "api-key" -> Vendor.Auth.API_KEY;
                    case "entra" -> Vendor.Auth.BEARER;
                    default ->
                            throw new IllegalArgumentException(
                                    "batchlane.azure.auth must be api-key or entra, was '"
                                            + auth
                                            + "'");
                };
        return Optional.of(
                new OpenAiProvider(
                        Vendor.azure(context.setting("api-version").orElse(null), kind),
                        OpenAiRegistration.config(context, null),
                        context.resource(HttpClient.class)));
    }
}
