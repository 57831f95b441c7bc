package dev.batchlane.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.job.Shard;
import dev.batchlane.provider.openai.Vendor;
import dev.batchlane.simulator.openai.Dialect;
import java.util.List;
import java.util.Random;

/**
 * Together's profile against the simulator's TOGETHER dialect, built as TogetherConformanceTest
 * builds it. Together documents no enqueued-token limit (a full queue refuses the create with 429)
 * and its batches take no metadata, so a second batch for a shard shows only in the count: one
 * batch per shard that recorded one.
 */
final class TogetherSim extends OpenAiSim {
    TogetherSim(long seed) {
        super(
                start(Dialect.TOGETHER, seed),
                "together",
                "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
                vendor(Vendor.TOGETHER));
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

    @Override
    public void assertClean(List<Shard> shards, String why) {
        assertThat(sim.liveFileIds()).as("%s: files left at the provider", why).isEmpty();
        assertThat(chargedBatches().size())
                .as("%s: batches created, against the shards that recorded one", why)
                .isEqualTo(shards.stream().filter(sh -> sh.batch().batchId() != null).count());
    }
}
