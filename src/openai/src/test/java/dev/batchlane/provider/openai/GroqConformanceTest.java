package dev.batchlane.provider.openai;

import dev.batchlane.conformance.ConformanceTarget;
import dev.batchlane.conformance.ProviderConformance;
import dev.batchlane.simulator.openai.Dialect;

/** The provider conformance kit, run by the Groq adapter against the simulator's GROQ dialect. */
class GroqConformanceTest extends ProviderConformance {
    @Override
    protected ConformanceTarget target() {
        return new OpenAiWireTarget(
                Dialect.GROQ, "llama-3.1-8b-instant", OpenAiWireTarget.vendor(Vendor.GROQ));
    }
}
