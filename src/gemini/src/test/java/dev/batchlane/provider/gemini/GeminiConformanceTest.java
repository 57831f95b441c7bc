package dev.batchlane.provider.gemini;

import dev.batchlane.conformance.ConformanceTarget;
import dev.batchlane.conformance.LostAnswer;
import dev.batchlane.conformance.ProviderConformance;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.simulator.MutableClock;
import dev.batchlane.simulator.gemini.GeminiSimulator;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** The provider conformance kit, run by the Gemini adapter against the Gemini simulator. */
class GeminiConformanceTest extends ProviderConformance {
    @Override
    protected ConformanceTarget target() {
        return new Target();
    }

    private static final class Target implements ConformanceTarget {
        private static final Duration STEP = Duration.ofSeconds(1);
        private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
        private final GeminiSimulator sim =
                GeminiSimulator.builder()
                        .clock(clock)
                        .stepDuration(STEP)
                        .apiKey("AIza-test")
                        .seed(13)
                        .start();
        private final GeminiProvider provider =
                new GeminiProvider(
                        new GeminiConfig(
                                URI.create(sim.baseUrl()),
                                "AIza-test",
                                Duration.ofSeconds(10),
                                256 * 1024),
                        HttpClient.newHttpClient());

        @Override
        public BatchProvider provider() {
            return provider;
        }

        @Override
        public String endpoint() {
            return "models/gemini-2.5-flash:batchGenerateContent";
        }

        @Override
        public Payload shard(String jobId, String shard, List<String> customIds) {
            StringBuilder lines = new StringBuilder();
            for (String id : customIds) {
                lines.append("{\"key\":\"")
                        .append(id)
                        .append(
                                "\",\"request\":{\"contents\":[{\"parts\":[{\"text\":\"say hello to ")
                        .append(id)
                        .append("\"}]}],\"generationConfig\":{\"maxOutputTokens\":8}}}\n");
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

        /** An upload's answer is lost at its last chunk, the one that makes the file. */
        @Override
        public void loseNextAnswer(CreationAttempt.Step step, LostAnswer how) {
            String operation = step == CreationAttempt.Step.UPLOAD ? "upload.chunk" : "create";
            int status =
                    switch (how) {
                        case SERVER_ERROR -> 503;
                        case RESET -> 0;
                        case CUT_SUCCESS -> 200;
                    };
            sim.loseNextAnswers(operation, status, 1);
        }

        @Override
        public void failNextCreateBeforeActing() {
            sim.failNextCalls("create", 500, 1);
        }

        @Override
        public void rateLimitNextCreate() {
            sim.failNextCalls("create", 429, 1);
        }

        /** Google refuses a batch beyond the enqueued-token quota with 429 RESOURCE_EXHAUSTED. */
        @Override
        public void fillQueueForNextCreate() {
            sim.failNextCalls("create", 429, 1);
        }

        @Override
        public void expireNextBatch() {
            sim.expireNextBatches(1);
        }

        /** Google documents no responses file for a batch that expired at its 48 h limit. */
        @Override
        public boolean expiryKeepsFinishedWork() {
            return false;
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
            return sim.uploadCount();
        }

        @Override
        public List<String> leftovers() {
            return Stream.concat(sim.liveBatchNames().stream(), sim.liveFileNames().stream())
                    .sorted()
                    .toList();
        }

        @Override
        public IngestLimits serviceLimits() {
            return new IngestLimits(
                    Integer.MAX_VALUE,
                    GeminiSimulator.MAX_FILE_BYTES,
                    (int) Math.min(GeminiSimulator.MAX_FILE_BYTES - 1, Integer.MAX_VALUE - 1),
                    20,
                    Long.MAX_VALUE);
        }

        @Override
        public void close() {
            sim.close();
        }
    }
}
