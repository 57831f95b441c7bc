package dev.batchlane.provider.openai;

import dev.batchlane.conformance.ConformanceTarget;
import dev.batchlane.conformance.ProviderConformance;
import dev.batchlane.simulator.openai.Dialect;

/**
 * The provider conformance kit, run by the Mistral adapter against the simulator's MISTRAL dialect.
 */
class MistralConformanceTest extends ProviderConformance {
    @Override
    protected ConformanceTarget target() {
        return new OpenAiWireTarget(
                Dialect.MISTRAL,
                "mistral-small-latest",
                c -> new MistralProvider(c, java.net.http.HttpClient.newHttpClient()));
    }
}
