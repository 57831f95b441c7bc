package dev.batchlane.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.job.Shard;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.provider.openai.OpenAiConfig;
import dev.batchlane.provider.openai.OpenAiProvider;
import dev.batchlane.provider.openai.Vendor;
import dev.batchlane.simulator.openai.BatchSnapshot;
import dev.batchlane.simulator.openai.Dialect;
import dev.batchlane.simulator.openai.LostAnswer;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import dev.batchlane.simulator.openai.Operation;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * OpenAI's adapter against the OpenAI simulator; the vendors on OpenAI's wire (Azure, Groq,
 * Mistral, Together) extend it with the simulator playing their dialect, built the way their
 * conformance tests build it, and change only the faults their service differs in.
 */
class OpenAiSim implements Sim {
    final OpenAiSimulator sim;
    private final String name;
    private final String model;
    private final Function<OpenAiConfig, BatchProvider> adapter;

    OpenAiSim(long seed) {
        this(OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(seed).start());
    }

    OpenAiSim(OpenAiSimulator sim) {
        this(
                sim,
                "openai",
                "gpt-4o-mini",
                config -> new OpenAiProvider(config, HttpClient.newHttpClient()));
    }

    OpenAiSim(
            OpenAiSimulator sim,
            String name,
            String model,
            Function<OpenAiConfig, BatchProvider> adapter) {
        this.sim = sim;
        this.name = name;
        this.model = model;
        this.adapter = adapter;
    }

    /** The simulator playing {@code dialect}, stepping as fast as it is read. */
    static OpenAiSimulator start(Dialect dialect, long seed) {
        return OpenAiSimulator.builder()
                .dialect(dialect)
                .stepDuration(Duration.ZERO)
                .seed(seed)
                .start();
    }

    /**
     * A vendor profile's adapter over a fresh JDK client, as the vendors' conformance tests build
     * it.
     */
    static Function<OpenAiConfig, BatchProvider> vendor(Vendor vendor) {
        return config -> new OpenAiProvider(vendor, config, HttpClient.newHttpClient());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public BatchProvider provider() {
        return adapter.apply(new OpenAiConfig(sim.baseUri(), "sk-faults", Duration.ofSeconds(30)));
    }

    /** Together's and Mistral's lines carry no method and url: the batch names the endpoint. */
    private boolean bodyOnly() {
        return sim.dialect() == Dialect.TOGETHER || sim.dialect() == Dialect.MISTRAL;
    }

    @Override
    public String line(String id, int i) {
        return "{\"custom_id\":\""
                + id
                + (bodyOnly() ? "\"," : "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",")
                + "\"body\":{\"model\":\""
                + model
                + "\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"case "
                + i
                + "\"}]}}";
    }

    @Override
    public String injectFaults(Random r, List<String> ids, int shardSize) {
        List<String> said = new ArrayList<>();
        double fraction = r.nextDouble() * 0.08;
        sim.failFraction(fraction, r.nextLong(), 500, "server_error", "The server had an error.");
        said.add(String.format("%.3f of lines 500", fraction));
        Set<String> refused = Draws.pick(r, ids, () -> 1 + r.nextInt(4));
        sim.failLines(refused::contains, 400, "invalid_request_error", "Invalid request.");
        said.add(refused.size() + " refused (400)");
        Set<String> once = Draws.pick(r, ids, () -> r.nextInt(10));
        Set<String> failedOnce = ConcurrentHashMap.newKeySet();
        sim.failLines(
                id -> once.contains(id) && failedOnce.add(id),
                429,
                "rate_limit_exceeded",
                "Slow down.");
        said.add(once.size() + " rate-limited once");
        if (r.nextBoolean()) {
            int n = 1 + r.nextInt(2);
            sim.expireNextBatches(n, r.nextDouble());
            said.add(n + " batch(es) expire");
        }
        if (r.nextInt(3) == 0) {
            said.add(queueFull(r));
        }
        loseAnswers(r, said);
        if (r.nextInt(3) == 0) {
            queueLimit(r, shardSize, said);
        }
        if (r.nextInt(4) == 0) {
            int n = 1 + r.nextInt(2);
            sim.fileNotReadyForNextCreates(n);
            said.add("file not ready ×" + n);
        }
        Operation[] ops = {
            Operation.CREATE_FILE,
            Operation.CREATE_BATCH,
            Operation.RETRIEVE_BATCH,
            Operation.DOWNLOAD_FILE,
            Operation.DELETE_FILE
        };
        for (int i = 0; i < r.nextInt(5); i++) {
            Operation op = ops[r.nextInt(ops.length)];
            int status = r.nextBoolean() ? 429 : 500 + r.nextInt(4);
            int count = 1 + r.nextInt(2);
            sim.failNextCalls(op, status, count);
            said.add(op.operationId() + " " + status + "×" + count);
        }
        return String.join(", ", said);
    }

    /**
     * A full queue met once. OpenAI (and Azure) accept the batch and then fail it in validation
     * with {@code token_limit_exceeded} in {@code errors.data}.
     */
    String queueFull(Random r) {
        sim.failNextBatchValidations(1, "token_limit_exceeded", "Enqueued token limit reached.");
        return "1 batch rejected";
    }

    /** Creations that take effect and lose their answer: a 502, a reset, a cut 200. */
    void loseAnswers(Random r, List<String> said) {
        if (r.nextInt(3) == 0) {
            Operation op = r.nextBoolean() ? Operation.CREATE_FILE : Operation.CREATE_BATCH;
            LostAnswer how = LostAnswer.values()[r.nextInt(LostAnswer.values().length)];
            int n = 1 + r.nextInt(2);
            sim.loseNextAnswers(op, how, n);
            said.add(op.operationId() + " applied, answer lost (" + how + ")×" + n);
        }
    }

    /**
     * The enqueued-token limit, room for a few shards at a time (a line is under 12 tokens),
     * refused at create or failed in validation, as OpenAI does either.
     */
    void queueLimit(Random r, int shardSize, List<String> said) {
        long limit = (long) shardSize * 12 * (2 + r.nextInt(3));
        boolean atCreate = r.nextBoolean();
        sim.setEnqueuedTokenLimit(limit, atCreate);
        said.add(
                "enqueued-token limit "
                        + limit
                        + (atCreate ? " refused at create" : " failed in validation"));
    }

    /** Batches that count as made: one the provider failed for its queue ran nothing, uncharged. */
    List<BatchSnapshot> chargedBatches() {
        return sim.batches().stream()
                .filter(b -> !b.errorCodes().contains("token_limit_exceeded"))
                .toList();
    }

    @Override
    public void assertClean(List<Shard> shards, String why) {
        assertThat(sim.liveFileIds()).as("%s: files left at the provider", why).isEmpty();
        // No shard was created twice: the batches carry the job's and shard's ids, so each shard
        // that recorded a batch has exactly one, and no batch belongs to no shard.
        Map<String, Integer> perShard = new HashMap<>();
        for (var b : chargedBatches()) {
            Map<String, String> meta = b.metadata() == null ? Map.of() : b.metadata();
            perShard.merge(
                    meta.get("batchlane_job_id") + "/" + meta.get("batchlane_shard"),
                    1,
                    Integer::sum);
        }
        assertThat(perShard)
                .as("%s: batches created per shard", why)
                .allSatisfy(
                        (shard, n) ->
                                assertThat(n)
                                        .as("%s: batches of shard %s", why, shard)
                                        .isEqualTo(1));
        assertThat(perShard.size())
                .as("%s: every shard's batch", why)
                .isEqualTo(shards.stream().filter(sh -> sh.batch().batchId() != null).count());
    }

    @Override
    public void close() {
        sim.close();
    }
}
