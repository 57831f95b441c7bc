package dev.batchlane.provider.openai;

import dev.batchlane.conformance.ConformanceTarget;
import dev.batchlane.conformance.ProviderConformance;
import dev.batchlane.simulator.openai.Dialect;

/**
 * The provider conformance kit, run by the OpenAi adapter against the simulator's OPENAI dialect.
 */
class OpenAiConformanceTest extends ProviderConformance {
    @Override
    protected ConformanceTarget target() {
        return new OpenAiWireTarget(
                Dialect.OPENAI, "gpt-4o-mini", OpenAiWireTarget.vendor(Vendor.OPENAI));
    }
}
