package dev.batchlane.provider.openai;

import dev.batchlane.conformance.ConformanceTarget;
import dev.batchlane.conformance.ProviderConformance;
import dev.batchlane.simulator.openai.Dialect;

/**
 * The provider conformance kit, run by the Together adapter against the simulator's TOGETHER
 * dialect.
 */
class TogetherConformanceTest extends ProviderConformance {
    @Override
    protected ConformanceTarget target() {
        return new OpenAiWireTarget(
                Dialect.TOGETHER,
                "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
                OpenAiWireTarget.vendor(Vendor.TOGETHER));
    }
}
