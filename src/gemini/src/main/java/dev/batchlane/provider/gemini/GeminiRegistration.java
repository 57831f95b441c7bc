package dev.batchlane.provider.gemini;

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

/**
 * Google's Gemini batch mode, lines {@code {key, request}}. Settings beyond the shared ones: {@code
 * upload-chunk-bytes} (a multiple of 256 KiB: the most of a shard held in memory at once).
 */
public final class GeminiRegistration implements ProviderRegistration {
    static final ProviderDescriptor DESCRIPTOR =
            ProviderDescriptor.builder("gemini", "Google Gemini", "Gemini")
                    .lineShape(LineShape.hasFields("key", "request"))
                    // As Google's SDKs read it (the API root without a version).
                    .settingAliases(Map.of("base-url", "GOOGLE_GEMINI_BASE_URL"))
                    .local(LocalRun.realWith("GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL"))
                    .prices(PriceRows.resource(GeminiRegistration.class, "prices/gemini.json"))
                    .build();

    @Override
    public ProviderDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Optional<BatchProvider> create(ProviderContext context) {
        return Optional.of(
                new GeminiProvider(
                        new GeminiConfig(
                                context.uri("base-url").orElse(GeminiConfig.DEFAULT_BASE_URL),
                                context.apiKey(),
                                context.duration("timeout", Duration.ofSeconds(120)),
                                context.integer(
                                        "upload-chunk-bytes", GeminiConfig.DEFAULT_CHUNK_BYTES)),
                        context.resource(HttpClient.class)));
    }
}
