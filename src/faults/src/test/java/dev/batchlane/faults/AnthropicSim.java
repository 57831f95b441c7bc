package dev.batchlane.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.job.Shard;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.provider.anthropic.AnthropicConfig;
import dev.batchlane.provider.anthropic.AnthropicProvider;
import dev.batchlane.simulator.anthropic.AnthropicSimulator;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Anthropic's adapter against the Anthropic simulator: Message Batches, inline, no file. */
final class AnthropicSim implements Sim {
    final AnthropicSimulator sim;

    AnthropicSim(long seed) {
        sim = AnthropicSimulator.builder().stepDuration(Duration.ZERO).seed(seed).start();
    }

    @Override
    public String name() {
        return "anthropic";
    }

    @Override
    public BatchProvider provider() {
        return new AnthropicProvider(
                new AnthropicConfig(
                        java.net.URI.create(sim.baseUrl()),
                        "sk-ant-faults",
                        null,
                        Duration.ofSeconds(30)),
                HttpClient.newHttpClient());
    }

    @Override
    public String line(String id, int i) {
        return "{\"custom_id\":\""
                + id
                + "\",\"params\":{\"model\":\"claude-3-5-haiku-20241022\","
                + "\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"case "
                + i
                + "\"}]}}";
    }

    @Override
    public String injectFaults(Random r, List<String> ids, int shardSize) {
        List<String> said = new ArrayList<>();
        // Anthropic's transient per-request errors (api_error, overloaded_error) are retried in a
        // child shard; invalid_request_error is final. A line is drawn by its id, so the draw holds
        // for the retry too, as it does at OpenAI.
        double fraction = r.nextDouble() * 0.08;
        long salt = r.nextLong();
        sim.failLines(id -> Draws.byId(salt, fraction, id), "api_error", "Internal server error");
        said.add(String.format("%.3f of lines api_error", fraction));
        Set<String> refused = Draws.pick(r, ids, () -> 1 + r.nextInt(4));
        sim.failLines(refused::contains, "invalid_request_error", "Invalid request.");
        said.add(refused.size() + " refused (invalid_request_error)");
        Set<String> once = Draws.pick(r, ids, () -> r.nextInt(10));
        Set<String> failedOnce = ConcurrentHashMap.newKeySet();
        sim.failLines(
                id -> once.contains(id) && failedOnce.add(id), "overloaded_error", "Overloaded");
        said.add(once.size() + " overloaded once");
        if (r.nextBoolean()) {
            int n = 1 + r.nextInt(2);
            sim.expireNextBatches(n, r.nextDouble());
            said.add(n + " batch(es) expire");
        }
        if (r.nextInt(3) == 0) {
            // creations that take effect and lose their answer: a 502 from the edge, or a reset
            int n = 1 + r.nextInt(2);
            boolean reset = r.nextBoolean();
            sim.loseNextCreateAnswers(n, reset);
            said.add("create applied, answer lost (" + (reset ? "reset" : "502") + ")×" + n);
        }
        if (r.nextInt(3) == 0) {
            // the processing-queue limit, room for a few shards at a time
            long limit = (long) shardSize * (1 + r.nextInt(3));
            sim.setQueueLimit(limit);
            said.add("queue limit " + limit + " requests");
        }
        String[] ops = {"create", "retrieve", "results", "delete", "list"};
        for (int i = 0; i < r.nextInt(5); i++) {
            String op = ops[r.nextInt(ops.length)];
            int status = new int[] {429, 500, 529}[r.nextInt(3)];
            int count = 1 + r.nextInt(2);
            sim.failNextCalls(op, status, count);
            said.add(op + " " + status + "×" + count);
        }
        return String.join(", ", said);
    }

    @Override
    public void assertClean(List<Shard> shards, String why) {
        assertThat(sim.liveBatchIds()).as("%s: batches left at the provider", why).isEmpty();
        // A message batch carries no shard id, so the count tells: one batch made per shard that
        // recorded one. A second batch for a shard (a lost answer created again) breaks it.
        assertThat(sim.createCount())
                .as("%s: batches created, against the shards that recorded one", why)
                .isEqualTo(shards.stream().filter(sh -> sh.batch().batchId() != null).count());
    }

    @Override
    public void close() {
        sim.close();
    }
}
