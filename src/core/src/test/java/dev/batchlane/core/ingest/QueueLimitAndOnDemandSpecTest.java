package dev.batchlane.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.job.Shard;
import dev.batchlane.core.lane.AdmissionBudget;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.testkit.ForwardingContract;
import dev.batchlane.core.testkit.Lane;
import dev.batchlane.core.testkit.ScriptedProvider;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ingest cuts shards that the provider can queue and prices them as they will be billed. A shard
 * over its model's queue limit (the tokens a provider keeps enqueued across a model's batches) is
 * refused whenever it is sent, so shards are cut under the limit, configured or stated by the
 * provider, and a single line over it is rejected by its number before anything is sent. A shard
 * too small for one of the provider's batches runs on demand at the synchronous price, so the
 * budget holds that price for it.
 */
class QueueLimitAndOnDemandSpecTest {
    @TempDir Path tmp;

    private static final String POOL = AdmissionBudget.pool("openai", "gpt-4o-mini");

    private LaneSettings settings(Map<String, Long> limits) {
        return new LaneSettings(
                        ScriptedProvider.LIMITS,
                        Duration.ofMinutes(1),
                        Duration.ofMinutes(30),
                        200,
                        tmp)
                .withAdmission(
                        new AdmissionBudget.Settings(limits, 0, LaneSettings.DEFAULT_STUCK_AFTER));
    }

    /** The input tokens ingest estimates for one of {@link Lane#request}'s ten lines. */
    private long tokensPerLine() {
        Lane lane = new Lane(new ScriptedProvider("openai"), settings(Map.of()));
        var r = lane.ingest.ingest(lane.drop("probe.jsonl", Lane.requests("r", 10), Map.of()));
        List<Shard> shards = lane.store.shards(r.jobId());
        assertThat(shards).hasSize(1);
        long total = shards.get(0).input().inputTokens();
        assertThat(total % 10).as("ten lines of the same length").isZero();
        return total / 10;
    }

    @Test
    void aConfiguredQueueLimit_cutsShardsUnderIt_andEachShardCountsItsOwnTokens() {
        long t = tokensPerLine();
        Lane lane = new Lane(new ScriptedProvider("openai"), settings(Map.of(POOL, 3 * t + 1)));

        var r = lane.ingest.ingest(lane.drop("cut.jsonl", Lane.requests("r", 10), Map.of()));

        List<Shard> shards = lane.store.shards(r.jobId());
        assertThat(shards)
                .extracting(s -> s.input().requestCount())
                .containsExactly(3L, 3L, 3L, 1L);
        assertThat(shards)
                .extracting(s -> s.input().inputTokens())
                .containsExactly(3 * t, 3 * t, 3 * t, t);
    }

    @Test
    void aLimitTheProviderStated_cutsShardsToo() {
        long t = tokensPerLine();
        Lane lane = new Lane(new ScriptedProvider("openai"), settings(Map.of()));
        new AdmissionBudget(lane.store, lane.settings.admission()).learn(POOL, 5 * t);

        var r = lane.ingest.ingest(lane.drop("cut.jsonl", Lane.requests("r", 10), Map.of()));

        assertThat(lane.store.shards(r.jobId()))
                .extracting(s -> s.input().requestCount())
                .containsExactly(5L, 5L);
    }

    @Test
    void aLineOverTheQueueLimit_rejectsTheFileByItsLineNumber_andNothingIsSent() {
        long t = tokensPerLine();
        Lane lane = new Lane(new ScriptedProvider("openai"), settings(Map.of(POOL, 2 * t)));
        String big =
                Lane.request("big")
                        .replace("\"hi big\"", "\"" + "many words here ".repeat(40) + "\"");
        var ref = lane.drop("big.jsonl", Lane.request("a") + big + Lane.request("b"), Map.of());

        var r = lane.ingest.ingest(ref);

        assertThat(r.outcome()).isEqualTo(IngestService.Outcome.REJECTED);
        assertThat(lane.provider.calls).isEmpty();
        Keys.Drop drop = Keys.parseInbox(ref.key()).orElseThrow();
        assertThat(lane.text(Keys.rejectedErrors(drop.provider(), drop.name(), r.jobId())))
                .contains("\"line\":2")
                .contains("exceeds_queue_limit")
                .contains("over the " + 2 * t + " tokens the provider queues at once");
    }

    /**
     * {@link ScriptedProvider#OPENAI_LIKE}, for a provider that runs shards under 100 on demand.
     */
    private static final RequestContract RUNS_SMALL_SHARDS_ON_DEMAND =
            new ForwardingContract() {
                @Override
                public long onDemandBelow() {
                    return 100;
                }
            };

    @Test
    void aShardTooSmallForABatch_isProjectedAtTheSynchronousPrice_andHeldToTheBudgetAtIt() {
        String file = Lane.requests("r", 10);
        Lane batched = new Lane(new ScriptedProvider("openai"), settings(Map.of()));
        var asBatch = batched.ingest.ingest(batched.drop("f.jsonl", file, Map.of()));
        BigDecimal batchPrice =
                new BigDecimal(batched.store.job(asBatch.jobId()).orElseThrow().estimatedCostUsd());

        Lane onDemand =
                new Lane(
                        new ScriptedProvider("openai", RUNS_SMALL_SHARDS_ON_DEMAND),
                        settings(Map.of()));
        var unbudgeted = onDemand.ingest.ingest(onDemand.drop("f.jsonl", file, Map.of()));
        BigDecimal onDemandPrice =
                new BigDecimal(
                        onDemand.store.job(unbudgeted.jobId()).orElseThrow().estimatedCostUsd());
        // The synchronous price is twice the batch price for this model.
        assertThat(onDemandPrice).isEqualByComparingTo(batchPrice.multiply(BigDecimal.valueOf(2)));

        // A budget the batch price fits, the on-demand price does not.
        var budgeted =
                onDemand.ingest.ingest(
                        onDemand.drop(
                                "g.jsonl",
                                Lane.requests("s", 10),
                                Map.of("budget-usd", batchPrice.toPlainString())));
        assertThat(budgeted.outcome()).isEqualTo(IngestService.Outcome.REJECTED);
        Keys.Drop drop = Keys.parseInbox("inbox/openai/g.jsonl").orElseThrow();
        assertThat(
                        onDemand.text(
                                Keys.rejectedReport(
                                        drop.provider(), drop.name(), budgeted.jobId())))
                .contains("over_budget")
                .contains("\"projectedOnDemandUsd\"");
    }
}
