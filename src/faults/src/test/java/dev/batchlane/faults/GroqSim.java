package dev.batchlane.faults;

import dev.batchlane.provider.openai.Vendor;
import dev.batchlane.simulator.openai.Dialect;
import java.util.List;
import java.util.Random;

/**
 * Groq's profile against the simulator's GROQ dialect, built as GroqConformanceTest builds it. Groq
 * documents no enqueued-token limit: a full queue refuses the create with 429.
 */
final class GroqSim extends OpenAiSim {
    GroqSim(long seed) {
        super(start(Dialect.GROQ, seed), "groq", "llama-3.1-8b-instant", vendor(Vendor.GROQ));
    }

    @Override
    String queueFull(Random r) {
        return VendorFaults.queueRefusesCreates(sim, r);
    }

    @Override
    void loseAnswers(Random r, List<String> said) {
        VendorFaults.loseAnswersOnEveryCreatingCall(sim, r, said);
    }

    @Override
    void queueLimit(Random r, int shardSize, List<String> said) {
        said.add(VendorFaults.queueRefusesCreates(sim, r));
    }
}
