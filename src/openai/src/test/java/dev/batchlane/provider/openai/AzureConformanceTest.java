package dev.batchlane.provider.openai;

import dev.batchlane.conformance.ConformanceTarget;
import dev.batchlane.conformance.ProviderConformance;
import dev.batchlane.simulator.openai.Dialect;

/** The provider conformance kit, run by the Azure adapter against the simulator's AZURE dialect. */
class AzureConformanceTest extends ProviderConformance {
    @Override
    protected ConformanceTarget target() {
        return new OpenAiWireTarget(
                Dialect.AZURE,
                "gpt-4o-mini-batch",
                OpenAiWireTarget.vendor(Vendor.azure(null, Vendor.Auth.API_KEY)));
    }
}
