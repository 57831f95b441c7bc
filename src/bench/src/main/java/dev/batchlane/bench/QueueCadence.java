package dev.batchlane.bench;

import dev.batchlane.core.lane.Deadline;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.queue.AnswerDelivery;
import dev.batchlane.core.queue.AnswerSink;
import dev.batchlane.core.queue.Flush;
import dev.batchlane.core.queue.QueueFlusher;
import dev.batchlane.core.queue.QueueIntake;
import dev.batchlane.core.queue.QueueName;
import dev.batchlane.core.queue.QueuePolicies;
import dev.batchlane.core.queue.QueuePolicy;
import dev.batchlane.core.testkit.InMemoryJobStore;
import dev.batchlane.core.testkit.InMemoryObjectStore;
import dev.batchlane.core.testkit.InMemoryQueueBuffer;
import dev.batchlane.core.testkit.TestClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * What the queue's policy costs in provider batches: Poisson arrivals at a given rate for a
 * simulated span, the real intake (OpenAI's contract and limits) and the real flusher run once a
 * minute (poll's schedule), on the in-memory buffer with a clock that jumps. Reports batches, the
 * requests per batch and how long requests waited in the buffer. The simulation is deterministic
 * for a seed: these are properties of the policy, not of the machine.
 */
final class QueueCadence {
    static final QueueName QUEUE = new QueueName("openai", "cadence");

    record Result(
            double ratePerSecond,
            String maxWait,
            long requests,
            int batches,
            double requestsPerBatch,
            long maxBatch,
            double waitP50Seconds,
            double waitP95Seconds,
            double waitMaxSeconds) {}

    private QueueCadence() {}

    static Result run(double ratePerSecond, Duration maxWait, Duration span, long seed) {
        TestClock clock = new TestClock(Instant.parse("2026-12-07T00:00:00Z"));
        InMemoryQueueBuffer buffer = new InMemoryQueueBuffer();
        InMemoryObjectStore objects = new InMemoryObjectStore(clock);
        InMemoryJobStore store = new InMemoryJobStore();
        BenchProvider provider = new BenchProvider(false, Path.of("unused"));
        Providers providers = new Providers(List.of(provider));
        LaneSettings settings =
                new LaneSettings(
                        provider.limits(),
                        Duration.ofMinutes(1),
                        Duration.ofMinutes(30),
                        200,
                        Path.of(System.getProperty("java.io.tmpdir")));
        QueueIntake intake =
                new QueueIntake(
                        buffer,
                        objects,
                        providers,
                        settings,
                        store,
                        new AnswerDelivery(objects, AnswerSink.NONE, "bench"),
                        clock,
                        LaneMetrics.NONE);
        QueueFlusher flusher =
                new QueueFlusher(
                        buffer,
                        objects,
                        providers,
                        settings,
                        new QueuePolicies(
                                new QueuePolicy(
                                        maxWait, 0, 0, QueuePolicy.BelowMinimum.ON_DEMAND, null),
                                Map.of()),
                        "bench",
                        clock,
                        LaneMetrics.NONE);
        Random random = new Random(seed);
        java.util.SplittableRandom lines = new java.util.SplittableRandom(seed);
        Instant start = clock.instant();
        Instant end = start.plus(span);
        Instant nextPoll = start.plus(Duration.ofMinutes(1));
        ArrayDeque<Instant> arrivals = new ArrayDeque<>();
        List<Double> waits = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        long requests = 0;
        double t = 0;
        while (true) {
            t += -Math.log(1 - random.nextDouble()) / ratePerSecond;
            Instant at = start.plusNanos((long) (t * 1e9));
            while (!nextPoll.isAfter(at)) {
                advanceTo(clock, nextPoll);
                poll(flusher, clock, arrivals, waits, sizes);
                forgetFiles(objects);
                nextPoll = nextPoll.plus(Duration.ofMinutes(1));
            }
            if (!at.isBefore(end)) {
                // Arrivals stop; polls go on until everything that arrived has been flushed.
                while (!arrivals.isEmpty()) {
                    advanceTo(clock, nextPoll);
                    poll(flusher, clock, arrivals, waits, sizes);
                    nextPoll = nextPoll.plus(Duration.ofMinutes(1));
                }
                break;
            }
            advanceTo(clock, at);
            String line = HarborFiles.requestLine(requests, lines);
            intake.accept(
                    new QueueIntake.Incoming(
                            QUEUE, line.getBytes(StandardCharsets.UTF_8), 1, null, Map.of()));
            arrivals.add(at);
            requests++;
        }
        Collections.sort(waits);
        return new Result(
                ratePerSecond,
                maxWait.toString(),
                requests,
                sizes.size(),
                sizes.isEmpty() ? 0 : (double) requests / sizes.size(),
                sizes.stream().mapToLong(Long::longValue).max().orElse(0),
                percentile(waits, 0.50),
                percentile(waits, 0.95),
                waits.isEmpty() ? 0 : waits.get(waits.size() - 1));
    }

    private static void poll(
            QueueFlusher flusher,
            TestClock clock,
            ArrayDeque<Instant> arrivals,
            List<Double> waits,
            List<Long> sizes) {
        for (Flush f : flusher.flushDue(Deadline.none())) {
            if (f.requests() == 0) {
                continue;
            }
            sizes.add(f.requests());
            for (long i = 0; i < f.requests(); i++) {
                Instant arrived = arrivals.poll();
                waits.add(Duration.between(arrived, clock.instant()).toMillis() / 1000.0);
            }
        }
    }

    /** The flushes' files are what ingest would read; here they only fill the heap. */
    private static void forgetFiles(InMemoryObjectStore objects) {
        for (String prefix : List.of("inbox/", "queue-flushes/")) {
            objects.list(prefix).forEach(objects::delete);
        }
    }

    private static void advanceTo(TestClock clock, Instant at) {
        Duration d = Duration.between(clock.instant(), at);
        if (!d.isNegative()) {
            clock.advance(d);
        }
    }

    private static double percentile(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size())));
    }
}
