package dev.batchlane.provider.openai;

import dev.batchlane.conformance.ConformanceTarget;
import dev.batchlane.conformance.LostAnswer;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.job.CreationAttempt;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.simulator.MutableClock;
import dev.batchlane.simulator.openai.Dialect;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import dev.batchlane.simulator.openai.Operation;
import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The adapters on OpenAI's wire (OpenAI, Azure, Groq, Together, Mistral) against the OpenAI
 * simulator playing the same vendor, for the conformance kit.
 */
final class OpenAiWireTarget implements ConformanceTarget {
    private static final Duration STEP = Duration.ofSeconds(1);

    private final Dialect dialect;
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
    private final OpenAiSimulator sim;
    private final BatchProvider provider;
    private final String model;

    OpenAiWireTarget(Dialect dialect, String model, Function<OpenAiConfig, BatchProvider> adapter) {
        this.dialect = dialect;
        this.model = model;
        this.sim =
                OpenAiSimulator.builder()
                        .dialect(dialect)
                        .clock(clock)
                        .stepDuration(STEP)
                        .seed(7)
                        .threads(2)
                        .start();
        this.provider =
                adapter.apply(new OpenAiConfig(sim.baseUri(), "key-0123", Duration.ofSeconds(10)));
    }

    /** The vendor profile's adapter, over a fresh JDK client. */
    static Function<OpenAiConfig, BatchProvider> vendor(Vendor vendor) {
        return config -> new OpenAiProvider(vendor, config, HttpClient.newHttpClient());
    }

    @Override
    public BatchProvider provider() {
        return provider;
    }

    @Override
    public String endpoint() {
        return "/v1/chat/completions";
    }

    @Override
    public Payload shard(String jobId, String shard, List<String> customIds) {
        boolean bodyOnly = dialect == Dialect.TOGETHER || dialect == Dialect.MISTRAL;
        StringBuilder lines = new StringBuilder();
        for (String id : customIds) {
            lines.append("{\"custom_id\":\"").append(id).append('"');
            if (!bodyOnly) {
                lines.append(",\"method\":\"POST\",\"url\":\"/v1/chat/completions\"");
            }
            lines.append(",\"body\":{\"model\":\"")
                    .append(model)
                    .append("\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",")
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
        sim.loseNextAnswers(
                step == CreationAttempt.Step.UPLOAD
                        ? Operation.CREATE_FILE
                        : Operation.CREATE_BATCH,
                switch (how) {
                    case SERVER_ERROR -> dev.batchlane.simulator.openai.LostAnswer.BAD_GATEWAY;
                    case RESET -> dev.batchlane.simulator.openai.LostAnswer.RESET;
                    case CUT_SUCCESS -> dev.batchlane.simulator.openai.LostAnswer.TRUNCATED;
                },
                1);
    }

    @Override
    public void failNextCreateBeforeActing() {
        sim.failNextCalls(Operation.CREATE_BATCH, 500, 1);
    }

    @Override
    public void rateLimitNextCreate() {
        sim.failNextCalls(Operation.CREATE_BATCH, 429, 1);
    }

    /**
     * OpenAI and Azure fail a batch in validation when the enqueued-token limit is reached; the
     * other vendors document no such limit and refuse creations beyond their queue with a 429.
     */
    @Override
    public void fillQueueForNextCreate() {
        if (dialect == Dialect.OPENAI || dialect == Dialect.AZURE) {
            sim.failNextBatchValidations(
                    1,
                    "token_limit_exceeded",
                    "Enqueued token limit reached for "
                            + model
                            + " in organization org-test. Limit: 90,000 enqueued tokens. Please"
                            + " try again once some in_progress batches have been completed.");
        } else {
            sim.failNextCalls(Operation.CREATE_BATCH, 429, 1);
        }
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
        return sim.batches().size();
    }

    @Override
    public int inputsMade() {
        return sim.uploadCount();
    }

    @Override
    public List<String> leftovers() {
        return sim.liveFileIds().stream().sorted().map(id -> "file " + id).toList();
    }

    @Override
    public IngestLimits serviceLimits() {
        long bytes = dialect.maxFileBytes();
        return new IngestLimits(
                dialect.maxRequests(),
                bytes,
                (int) Math.min(bytes - 1, Integer.MAX_VALUE - 1),
                20,
                dialect == Dialect.OPENAI ? 50_000 : Long.MAX_VALUE);
    }

    @Override
    public void close() {
        sim.close();
    }
}
