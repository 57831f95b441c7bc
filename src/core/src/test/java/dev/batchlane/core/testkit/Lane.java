package dev.batchlane.core.testkit;

import dev.batchlane.core.cancel.CancelService;
import dev.batchlane.core.complete.CompleteService;
import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.poll.PollService;
import dev.batchlane.core.poll.PollSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The whole lane in memory: the core's four services on the in-memory stores, a scripted provider
 * and a clock the test moves. {@link #completeEnded} stands in for the table's stream (complete
 * runs for every shard that is ENDED and unclaimed, and for every finish asked for), so a
 * specification test can drive a job from drop to manifest in milliseconds.
 */
public final class Lane {
    public static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    public static final String BUCKET = "lane";

    public final InMemoryJobStore store;
    public final InMemoryObjectStore objects;
    public final TestClock clock;
    public final ScriptedProvider provider;
    public final LaneSettings settings;
    public final IngestService ingest;
    public final PollService poll;
    public final CompleteService complete;
    public final CancelService cancel;
    private final Map<String, Integer> finishesHandled = new java.util.HashMap<>();

    public Lane(Path tempDir) {
        this(
                new ScriptedProvider("openai"),
                new LaneSettings(
                        ScriptedProvider.LIMITS,
                        Duration.ofMinutes(1),
                        Duration.ofMinutes(30),
                        200,
                        tempDir));
    }

    public Lane(ScriptedProvider provider, LaneSettings settings) {
        this(provider, settings, new TestClock(T0));
    }

    private Lane(ScriptedProvider provider, LaneSettings settings, TestClock clock) {
        this(provider, settings, new InMemoryJobStore(), new InMemoryObjectStore(clock), clock);
    }

    /**
     * The same lane (provider, stores, clock) with other settings, as after a redeploy that changed
     * them: what this lane staged is then driven by the new settings.
     */
    public Lane withSettings(LaneSettings next) {
        return new Lane(provider, next, store, objects, clock);
    }

    private Lane(
            ScriptedProvider provider,
            LaneSettings settings,
            InMemoryJobStore store,
            InMemoryObjectStore objects,
            TestClock clock) {
        this.provider = provider;
        this.settings = settings;
        this.store = store;
        this.objects = objects;
        this.clock = clock;
        Providers providers = new Providers(List.of(provider));
        ingest = new IngestService(store, objects, providers, settings, clock);
        // One shard at a time, so the order of provider calls a test asserts is deterministic.
        poll =
                new PollService(
                        store,
                        objects,
                        providers,
                        settings,
                        new PollSettings(
                                1,
                                PollSettings.DEFAULT_CLAIM_MARGIN,
                                PollSettings.DEFAULT_MAX_SUBMISSIONS_PER_CYCLE),
                        clock,
                        dev.batchlane.core.lane.LaneMetrics.NONE);
        complete = new CompleteService(store, objects, providers, settings, clock);
        cancel =
                new CancelService(
                        store,
                        objects,
                        providers,
                        settings,
                        clock,
                        dev.batchlane.core.lane.LaneMetrics.NONE);
    }

    /**
     * Drops a file under {@code inbox/<provider>/} with user metadata, as a user's upload would.
     */
    public IngestService.ObjectRef drop(String name, String jsonl, Map<String, String> metadata) {
        String key = "inbox/" + provider.name() + "/" + name;
        byte[] bytes = jsonl.getBytes(StandardCharsets.UTF_8);
        String version = objects.putBytes(key, bytes, metadata);
        String etag = objects.head(key).orElseThrow().etag();
        return new IngestService.ObjectRef(BUCKET, key, version, etag, bytes.length);
    }

    /** {@code n} chat requests, one a line, with ids {@code prefix0..prefix(n-1)}. */
    public static String requests(String prefix, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(request(prefix + i));
        }
        return sb.toString();
    }

    public static String request(String id) {
        return "{\"custom_id\":\""
                + id
                + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"gpt-4o-mini\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi "
                + id
                + "\"}]}}\n";
    }

    /**
     * What the stream would deliver to complete: every ENDED shard without a live claim, and the
     * job once for each finish asked for since the last call.
     */
    public void completeEnded(String jobId) {
        for (Shard s : store.shards(jobId)) {
            if (s.status() == ShardStatus.ENDED && !s.claimLive(clock.instant())) {
                complete.complete(jobId, s.index());
            }
        }
        int asked = store.finishRequests(jobId);
        if (asked > finishesHandled.getOrDefault(jobId, 0)) {
            finishesHandled.put(jobId, asked);
            complete.finish(jobId);
        }
    }

    /**
     * Polls and completes, moving the clock by the longest poll delay each round, until the job is
     * COMPLETED; fails after {@code rounds} rounds, naming the shards still open.
     */
    public Job runToCompletion(String jobId, int rounds) {
        for (int i = 0; i < rounds; i++) {
            completeEnded(jobId);
            Job j = store.job(jobId).orElseThrow();
            if (j.status() == JobStatus.COMPLETED) {
                return j;
            }
            clock.advance(settings.maxPollDelay());
            poll.pollDue();
        }
        throw new AssertionError(
                "job "
                        + jobId
                        + " did not complete in "
                        + rounds
                        + " rounds; shards: "
                        + store.shards(jobId).stream()
                                .map(s -> s.id() + "=" + s.status())
                                .toList());
    }

    /** The text of an object the lane wrote, or null when there is none. */
    public String text(String key) {
        return objects.bytes(key).map(b -> new String(b, StandardCharsets.UTF_8)).orElse(null);
    }
}
