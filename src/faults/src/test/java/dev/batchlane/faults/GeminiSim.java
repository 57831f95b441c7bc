package dev.batchlane.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.job.Shard;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.provider.gemini.GeminiConfig;
import dev.batchlane.provider.gemini.GeminiContract;
import dev.batchlane.provider.gemini.GeminiProvider;
import dev.batchlane.simulator.gemini.GeminiSimulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Gemini's adapter against the Gemini simulator, built as GeminiConformanceTest builds it: a
 * resumable upload of the shard, then {@code batchGenerateContent} on the file's model.
 */
final class GeminiSim implements Sim {
    private static final String KEY = "AIza-faults";
    final GeminiSimulator sim;

    GeminiSim(long seed) {
        sim = GeminiSimulator.builder().stepDuration(Duration.ZERO).apiKey(KEY).seed(seed).start();
    }

    @Override
    public String name() {
        return "gemini";
    }

    @Override
    public BatchProvider provider() {
        return new GeminiProvider(
                new GeminiConfig(URI.create(sim.baseUrl()), KEY, Duration.ofSeconds(30)),
                HttpClient.newHttpClient());
    }

    /** A Gemini batch runs on one model, named by the file's metadata. */
    @Override
    public Map<String, String> metadata() {
        return Map.of(GeminiContract.MODEL_METADATA, "gemini-2.5-flash");
    }

    @Override
    public String idField() {
        return "key";
    }

    @Override
    public String line(String id, int i) {
        return "{\"key\":\""
                + id
                + "\",\"request\":{\"contents\":[{\"parts\":[{\"text\":\"case "
                + i
                + "\"}]}],\"generationConfig\":{\"maxOutputTokens\":5}}}";
    }

    @Override
    public String injectFaults(Random r, List<String> ids, int shardSize) {
        List<String> said = new ArrayList<>();
        // INTERNAL and RESOURCE_EXHAUSTED are passing (a child shard runs them again),
        // INVALID_ARGUMENT final; drawn by key, so the draw holds for the resubmission too.
        double fraction = r.nextDouble() * 0.08;
        long salt = r.nextLong();
        sim.failLines(id -> Draws.byId(salt, fraction, id), 13, "INTERNAL", "Internal error.");
        said.add(String.format("%.3f of lines INTERNAL", fraction));
        Set<String> refused = Draws.pick(r, ids, () -> 1 + r.nextInt(4));
        sim.failLines(refused::contains, 3, "INVALID_ARGUMENT", "Invalid request.");
        said.add(refused.size() + " refused (INVALID_ARGUMENT)");
        Set<String> once = Draws.pick(r, ids, () -> r.nextInt(10));
        sim.failLinesOnce(once::contains, 8, "RESOURCE_EXHAUSTED", "Resource exhausted.");
        said.add(once.size() + " exhausted once");
        if (r.nextBoolean()) {
            // Google's 48 h limit: the batch ends without a responses file
            int n = 1 + r.nextInt(2);
            sim.expireNextBatches(n);
            said.add(n + " batch(es) expire");
        }
        // Each creating call may take effect and lose its answer: the upload at its last chunk
        // (the one that makes the file), and the create. 503 from the edge, a reset, a cut 200.
        for (String op : List.of("upload.chunk", "create")) {
            if (r.nextInt(3) == 0) {
                int status = new int[] {503, 0, 200}[r.nextInt(3)];
                int n = 1 + r.nextInt(2);
                sim.loseNextAnswers(op, status, n);
                said.add(op + " applied, answer lost (" + status + ")×" + n);
            }
        }
        if (r.nextInt(3) == 0) {
            // Google refuses a batch beyond the enqueued-token quota with 429 RESOURCE_EXHAUSTED
            int n = 1 + r.nextInt(3);
            sim.failNextCalls("create", 429, n);
            said.add("queue full: create 429×" + n);
        }
        String[] ops = {"upload.start", "create", "get", "download", "files.delete"};
        for (int i = 0; i < r.nextInt(5); i++) {
            String op = ops[r.nextInt(ops.length)];
            int status = new int[] {429, 500, 503}[r.nextInt(3)];
            int count = 1 + r.nextInt(2);
            sim.failNextCalls(op, status, count);
            said.add(op + " " + status + "×" + count);
        }
        return String.join(", ", said);
    }

    @Override
    public void assertClean(List<Shard> shards, String why) {
        assertThat(sim.liveBatchNames()).as("%s: batches left at the provider", why).isEmpty();
        assertThat(sim.liveFileNames()).as("%s: files left at the provider", why).isEmpty();
        // A batch's display name is its shard's payload name: a shard made twice shows twice.
        Map<String, Integer> perName = new HashMap<>();
        sim.createdDisplayNames().forEach(n -> perName.merge(n, 1, Integer::sum));
        assertThat(perName)
                .as("%s: batches created per shard", why)
                .allSatisfy(
                        (name, n) ->
                                assertThat(n).as("%s: batches named %s", why, name).isEqualTo(1));
        assertThat(perName.size())
                .as("%s: every shard's batch", why)
                .isEqualTo(shards.stream().filter(sh -> sh.batch().batchId() != null).count());
    }

    @Override
    public void close() {
        sim.close();
    }
}
