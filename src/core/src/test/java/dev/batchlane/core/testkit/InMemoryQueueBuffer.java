package dev.batchlane.core.testkit;

import dev.batchlane.core.queue.Flush;
import dev.batchlane.core.queue.GroupDepth;
import dev.batchlane.core.queue.QueueBuffer;
import dev.batchlane.core.queue.QueueGroup;
import dev.batchlane.core.queue.QueueName;
import dev.batchlane.core.queue.QueuedRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The queue buffer in memory, with the conditions the DynamoDB one keeps (the same {@link
 * QueueBufferContract} runs on both). {@code failNextEnqueueAfterWrite} plays a function that dies
 * after its write landed.
 */
public final class InMemoryQueueBuffer implements QueueBuffer {
    private record Known(Instant arrivedAt, boolean answered, String jobId) {}

    private final Map<String, Known> ids = new HashMap<>();
    private final Map<String, TreeMap<String, QueuedRequest>> waiting = new HashMap<>();
    private final Map<String, QueueGroup> groups = new LinkedHashMap<>();
    private final Map<String, long[]> counts = new HashMap<>();
    private final Map<String, Flush> openFlushes = new HashMap<>();
    private final Map<String, Flush> flushes = new LinkedHashMap<>();

    private static String idKey(QueueName q, String id) {
        return q.id() + "\n" + id;
    }

    @Override
    public synchronized boolean enqueue(QueuedRequest r) {
        String k = idKey(r.group().queue(), r.requestId());
        if (ids.containsKey(k)) {
            return false;
        }
        ids.put(k, new Known(r.arrivedAt(), false, null));
        String g = r.group().id();
        groups.putIfAbsent(g, r.group());
        waiting.computeIfAbsent(g, x -> new TreeMap<>()).put(r.order(), r);
        long[] c = counts.computeIfAbsent(g, x -> new long[2]);
        c[0]++;
        c[1] += r.bytes();
        return true;
    }

    @Override
    public synchronized List<GroupDepth> groups() {
        List<GroupDepth> out = new ArrayList<>();
        for (var e : groups.entrySet()) {
            TreeMap<String, QueuedRequest> w = waiting.getOrDefault(e.getKey(), new TreeMap<>());
            if (w.isEmpty() && !openFlushes.containsKey(e.getKey())) {
                continue;
            }
            long[] c = counts.getOrDefault(e.getKey(), new long[2]);
            out.add(
                    new GroupDepth(
                            e.getValue(),
                            c[0],
                            c[1],
                            w.isEmpty() ? null : w.firstEntry().getValue().arrivedAt()));
        }
        return out;
    }

    @Override
    public synchronized Iterable<QueuedRequest> waiting(QueueGroup group, int limit) {
        return waiting.getOrDefault(group.id(), new TreeMap<>()).values().stream()
                .limit(limit)
                .toList();
    }

    @Override
    public synchronized void removeWaiting(QueueGroup group, Collection<QueuedRequest> flushed) {
        TreeMap<String, QueuedRequest> w = waiting.get(group.id());
        if (w == null) {
            return;
        }
        long[] c = counts.computeIfAbsent(group.id(), x -> new long[2]);
        for (QueuedRequest r : flushed) {
            QueuedRequest gone = w.remove(r.order());
            if (gone != null) {
                c[0]--;
                c[1] -= gone.bytes();
            }
        }
    }

    @Override
    public synchronized Optional<Flush> openFlush(QueueGroup group) {
        return Optional.ofNullable(openFlushes.get(group.id()));
    }

    @Override
    public synchronized boolean claimFlush(Flush flush, Instant expectedLease) {
        Flush open = openFlushes.get(flush.group().id());
        if (expectedLease == null
                ? open != null
                : open == null
                        || !open.flushId().equals(flush.flushId())
                        || !Objects.equals(open.leaseUntil(), expectedLease)) {
            return false;
        }
        openFlushes.put(flush.group().id(), flush);
        flushes.put(flush.flushId(), flush);
        return true;
    }

    @Override
    public synchronized boolean flushWritten(Flush written) {
        Flush open = openFlushes.get(written.group().id());
        if (open == null || !open.flushId().equals(written.flushId())) {
            return false;
        }
        openFlushes.remove(written.group().id());
        flushes.put(written.flushId(), written);
        return true;
    }

    @Override
    public synchronized List<Flush> unanswered(int limit) {
        return flushes.values().stream()
                .filter(f -> f.state() == Flush.State.WRITTEN)
                .sorted(Comparator.comparing(Flush::openedAt))
                .limit(limit)
                .toList();
    }

    @Override
    public synchronized boolean flushAnswered(Flush flush) {
        Flush f = flushes.get(flush.flushId());
        if (f == null || f.state() != Flush.State.WRITTEN) {
            return false;
        }
        flushes.put(
                f.flushId(),
                new Flush(
                        f.flushId(),
                        f.group(),
                        Flush.State.ANSWERED,
                        f.openedAt(),
                        f.leaseUntil(),
                        f.jobId(),
                        f.requests(),
                        f.bytes()));
        return true;
    }

    @Override
    public synchronized Set<String> answered(QueueName queue, Collection<String> requestIds) {
        Set<String> out = new HashSet<>();
        for (String id : requestIds) {
            Known k = ids.get(idKey(queue, id));
            if (k != null && k.answered()) {
                out.add(id);
            }
        }
        return out;
    }

    @Override
    public synchronized void markAnswered(
            QueueName queue, Collection<String> requestIds, String jobId) {
        for (String id : requestIds) {
            String k = idKey(queue, id);
            Known was = ids.get(k);
            ids.put(k, new Known(was == null ? null : was.arrivedAt(), true, jobId));
        }
    }

    @Override
    public synchronized Optional<RequestRecord> request(QueueName queue, String requestId) {
        Known k = ids.get(idKey(queue, requestId));
        return k == null
                ? Optional.empty()
                : Optional.of(
                        new RequestRecord(
                                queue, requestId, k.arrivedAt(), k.answered(), k.jobId()));
    }

    private final Map<String, java.math.BigDecimal> spent = new HashMap<>();

    @Override
    public synchronized java.math.BigDecimal spent(QueueName queue, java.time.LocalDate day) {
        return spent.getOrDefault(queue.id() + "\n" + day, java.math.BigDecimal.ZERO);
    }

    @Override
    public synchronized void addSpent(
            QueueName queue, java.time.LocalDate day, java.math.BigDecimal usd) {
        spent.merge(queue.id() + "\n" + day, usd, java.math.BigDecimal::add);
    }

    /** Every flush recorded, for tests. */
    public synchronized List<Flush> flushes() {
        return List.copyOf(flushes.values());
    }
}
