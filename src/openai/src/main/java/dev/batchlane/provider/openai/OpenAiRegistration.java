package dev.batchlane.provider.openai;

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

/** OpenAI's Files + Batch API, lines {@code {custom_id, method, url, body}}. */
public final class OpenAiRegistration implements ProviderRegistration {
    static final ProviderDescriptor DESCRIPTOR =
            ProviderDescriptor.builder("openai", "OpenAI", "OpenAi")
                    .lineShape(LineShape.hasFields("custom_id", "body", "url"))
                    // The official SDKs' variable, honoured so a team's usual setting works here.
                    .settingAliases(Map.of("base-url", "OPENAI_BASE_URL"))
                    .local(LocalRun.realWith("OPENAI_API_KEY", "OPENAI_BASE_URL"))
                    .prices(PriceRows.resource(OpenAiRegistration.class, "prices/openai.json"))
                    .build();

    @Override
    public ProviderDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Optional<BatchProvider> create(ProviderContext context) {
        return Optional.of(
                new OpenAiProvider(
                        config(context, "https://api.openai.com/v1"),
                        context.resource(HttpClient.class)));
    }

    /** The settings every provider on OpenAI's wire shares: base-url, the key, timeout. */
    static OpenAiConfig config(ProviderContext context, String defaultBaseUrl) {
        return new OpenAiConfig(
                context.uri("base-url", defaultBaseUrl),
                context.apiKey(),
                context.duration("timeout", Duration.ofSeconds(60)));
    }
}
