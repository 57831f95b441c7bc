package dev.batchlane.faults;

import dev.batchlane.provider.openai.MistralProvider;
import dev.batchlane.simulator.openai.Dialect;
import java.net.http.HttpClient;
import java.util.List;
import java.util.Random;

/**
 * Mistral's adapter against the simulator's MISTRAL dialect (OpenAI's Files API, batches as jobs
 * under {@code /v1/batch/jobs}), built as MistralConformanceTest builds it. Mistral states no
 * enqueued-token limit: a full queue refuses the create with 429. Its jobs carry the lane's
 * metadata, so every shard's job is counted by it.
 */
final class MistralSim extends OpenAiSim {
    MistralSim(long seed) {
        super(
                start(Dialect.MISTRAL, seed),
                "mistral",
                "mistral-small-latest",
                config -> new MistralProvider(config, HttpClient.newHttpClient()));
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
