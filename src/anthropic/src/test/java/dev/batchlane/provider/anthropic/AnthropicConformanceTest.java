package dev.batchlane.provider.anthropic;

import dev.batchlane.conformance.ConformanceTarget;
import dev.batchlane.conformance.LostAnswer;
import dev.batchlane.conformance.ProviderConformance;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.simulator.MutableClock;
import dev.batchlane.simulator.anthropic.AnthropicSimulator;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/** The provider conformance kit, run by the Anthropic adapter against the Anthropic simulator. */
class AnthropicConformanceTest extends ProviderConformance {
    @Override
    protected ConformanceTarget target() {
        return new Target();
    }

    private static final class Target implements ConformanceTarget {
        private static final Duration STEP = Duration.ofSeconds(1);
        private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
        private final AnthropicSimulator sim =
                AnthropicSimulator.builder().clock(clock).stepDuration(STEP).seed(11).start();
        private final AnthropicProvider provider =
                new AnthropicProvider(
                        new AnthropicConfig(
                                URI.create(sim.baseUrl()),
                                "sk-ant-test",
                                null,
                                Duration.ofSeconds(10)),
                        HttpClient.newHttpClient());

        @Override
        public BatchProvider provider() {
            return provider;
        }

        @Override
        public String endpoint() {
            return "/v1/messages";
        }

        @Override
        public boolean uploadsFiles() {
            return false;
        }

        @Override
        public Payload shard(String jobId, String shard, List<String> customIds) {
            StringBuilder lines = new StringBuilder();
            for (String id : customIds) {
                lines.append("{\"custom_id\":\"")
                        .append(id)
                        .append("\",\"params\":{\"model\":\"claude-3-5-haiku-latest\",")
                        .append("\"max_tokens\":16,\"messages\":[{\"role\":\"user\",")
                        .append("\"content\":\"say hello to ")
                        .append(id)
                        .append("\"}]}}\n");
            }
            byte[] bytes = lines.toString().getBytes(StandardCharsets.UTF_8);
            return new Payload(
                    jobId + "-" + shard + ".jsonl",
                    bytes.length,
                    () -> new ByteArrayInputStream(bytes));
        }

        @Override
        public Instant now() {
            return clock.instant();
        }

        @Override
        public void advance() {
            clock.advance(STEP);
        }

        @Override
        public void loseNextAnswer(CreationAttempt.Step step, LostAnswer how) {
            switch (how) {
                case SERVER_ERROR -> sim.loseNextCreateAnswers(1, false);
                case RESET -> sim.loseNextCreateAnswers(1, true);
                case CUT_SUCCESS -> sim.cutNextCreateAnswers(1);
            }
        }

        @Override
        public void failNextCreateBeforeActing() {
            sim.failNextCalls("create", 500, 1);
        }

        @Override
        public void rateLimitNextCreate() {
            sim.failNextCalls("create", 429, 1);
        }

        @Override
        public void fillQueueForNextCreate() {
            sim.fillQueueForNextCreates(1);
        }

        @Override
        public void expireNextBatch() {
            sim.expireNextBatches(1, 0.5);
        }

        @Override
        public void damageNextResults(Set<String> missing, Set<String> unreadable) {
            sim.damageNextResults(missing, unreadable);
        }

        @Override
        public int batchesMade() {
            return sim.createCount();
        }

        @Override
        public int inputsMade() {
            return 0;
        }

        @Override
        public List<String> leftovers() {
            return sim.liveBatchIds().stream().sorted().map(id -> "batch " + id).toList();
        }

        @Override
        public IngestLimits serviceLimits() {
            return new IngestLimits(
                    AnthropicSimulator.MAX_REQUESTS,
                    AnthropicSimulator.MAX_BODY_BYTES,
                    (int) AnthropicSimulator.MAX_BODY_BYTES - 1,
                    20,
                    Long.MAX_VALUE);
        }

        @Override
        public void close() {
            sim.close();
        }
    }
}
