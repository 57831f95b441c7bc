package dev.batchlane.faults;

import dev.batchlane.provider.openai.Vendor;
import dev.batchlane.simulator.openai.Dialect;
import java.util.List;
import java.util.Random;

/**
 * Azure OpenAI's profile against the simulator's AZURE dialect, built as AzureConformanceTest
 * builds it (a resource key). Azure has OpenAI's enqueued-token limit, so it draws OpenAI's faults,
 * with lost answers on both creating calls.
 */
final class AzureSim extends OpenAiSim {
    AzureSim(long seed) {
        super(
                start(Dialect.AZURE, seed),
                "azure",
                "gpt-4o-mini",
                vendor(Vendor.azure(null, Vendor.Auth.API_KEY)));
    }

    @Override
    void loseAnswers(Random r, List<String> said) {
        VendorFaults.loseAnswersOnEveryCreatingCall(sim, r, said);
    }
}
