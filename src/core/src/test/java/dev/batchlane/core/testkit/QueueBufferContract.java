package dev.batchlane.core.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.queue.Flush;
import dev.batchlane.core.queue.GroupDepth;
import dev.batchlane.core.queue.QueueBuffer;
import dev.batchlane.core.queue.QueueGroup;
import dev.batchlane.core.queue.QueueName;
import dev.batchlane.core.queue.QueuedRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Every condition the queue lane relies on from its buffer, one case each: on the in-memory buffer
 * (core) and on DynamoDB Local (src/aws). Queue names are fresh per case, since the DynamoDB run
 * shares one table.
 */
public abstract class QueueBufferContract {
    protected static final Instant T0 = Instant.parse("2026-12-07T09:00:00Z");

    protected abstract QueueBuffer buffer();

    private static QueueName freshQueue() {
        return new QueueName("openai", "q-" + UUID.randomUUID().toString().substring(0, 8));
    }

    private static QueueGroup group(QueueName q) {
        return new QueueGroup(q, "gpt-4o-mini", "/v1/chat/completions", Map.of());
    }

    private static QueuedRequest request(QueueGroup g, String id, Instant at) {
        String line = "{\"custom_id\":\"" + id + "\"}";
        return new QueuedRequest(g, id, line, null, null, at, line.length(), 10, 100);
    }

    private GroupDepth depthOf(QueueGroup g) {
        return buffer().groups().stream()
                .filter(d -> d.group().id().equals(g.id()))
                .findFirst()
                .orElse(null);
    }

    @Test
    void aRequestIsKeptOncePerQueue_anotherQueueMayUseTheSameId() {
        QueueGroup g = group(freshQueue());
        QueueGroup other = group(freshQueue());
        assertThat(buffer().enqueue(request(g, "r-1", T0))).isTrue();
        assertThat(buffer().enqueue(request(g, "r-1", T0.plusSeconds(5)))).isFalse();
        assertThat(buffer().enqueue(request(other, "r-1", T0))).isTrue();
        assertThat(buffer().waiting(g, 10))
                .extracting(QueuedRequest::requestId)
                .containsExactly("r-1");
        assertThat(buffer().request(g.queue(), "r-1")).isPresent();
        assertThat(buffer().request(g.queue(), "r-2")).isEmpty();
    }

    @Test
    void waitingRequestsComeOldestFirst_withTheGroupsDepth() {
        QueueGroup g = group(freshQueue());
        buffer().enqueue(request(g, "b", T0.plusSeconds(2)));
        buffer().enqueue(request(g, "a", T0.plusSeconds(1)));
        buffer().enqueue(request(g, "c", T0.plusSeconds(3)));
        List<String> ids = new ArrayList<>();
        buffer().waiting(g, 2).forEach(r -> ids.add(r.requestId()));
        assertThat(ids).containsExactly("a", "b");
        GroupDepth d = depthOf(g);
        assertThat(d.requests()).isEqualTo(3);
        assertThat(d.oldest()).isEqualTo(T0.plusSeconds(1));
        QueuedRequest first = buffer().waiting(g, 1).iterator().next();
        assertThat(first.line()).isEqualTo("{\"custom_id\":\"a\"}");
        assertThat(first.arrivedAt()).isEqualTo(T0.plusSeconds(1));
    }

    @Test
    void removingFlushedRequests_isIdempotent() {
        QueueGroup g = group(freshQueue());
        QueuedRequest a = request(g, "a", T0);
        QueuedRequest b = request(g, "b", T0.plusSeconds(1));
        buffer().enqueue(a);
        buffer().enqueue(b);
        buffer().removeWaiting(g, List.of(a));
        buffer().removeWaiting(g, List.of(a));
        assertThat(buffer().waiting(g, 10))
                .extracting(QueuedRequest::requestId)
                .containsExactly("b");
        assertThat(depthOf(g).requests()).isEqualTo(1);
        // A removed request's id stays known: a late duplicate is still a duplicate.
        assertThat(buffer().enqueue(request(g, "a", T0.plusSeconds(9)))).isFalse();
    }

    @Test
    void oneFlushAtATimePerGroup_andATakeOverNeedsTheLeaseItRead() {
        QueueGroup g = group(freshQueue());
        buffer().enqueue(request(g, "a", T0));
        Flush first = Flush.open("f1-" + UUID.randomUUID(), g, T0, T0.plusSeconds(60));
        assertThat(buffer().claimFlush(first, null)).isTrue();
        Flush second = Flush.open("f2-" + UUID.randomUUID(), g, T0, T0.plusSeconds(60));
        assertThat(buffer().claimFlush(second, null)).isFalse();
        assertThat(buffer().openFlush(g)).map(Flush::flushId).contains(first.flushId());
        Flush takeover = first.leasedUntil(T0.plusSeconds(200));
        assertThat(buffer().claimFlush(takeover, T0.plusSeconds(5))).isFalse();
        assertThat(buffer().claimFlush(takeover, T0.plusSeconds(60))).isTrue();
        assertThat(buffer().claimFlush(first.leasedUntil(T0.plusSeconds(300)), T0.plusSeconds(60)))
                .isFalse();
        assertThat(buffer().openFlush(g).orElseThrow().leaseUntil()).isEqualTo(T0.plusSeconds(200));
    }

    @Test
    void aWrittenFlushFreesItsGroup_andIsAnsweredOnce() {
        QueueGroup g = group(freshQueue());
        buffer().enqueue(request(g, "a", T0));
        Flush f = Flush.open("f-" + UUID.randomUUID(), g, T0, T0.plusSeconds(60));
        assertThat(buffer().claimFlush(f, null)).isTrue();
        Flush written = f.written("job-" + f.flushId(), 1, 20);
        assertThat(buffer().flushWritten(written)).isTrue();
        assertThat(buffer().flushWritten(written)).isFalse();
        assertThat(buffer().openFlush(g)).isEmpty();
        assertThat(buffer().unanswered(1000))
                .filteredOn(x -> x.flushId().equals(f.flushId()))
                .singleElement()
                .satisfies(
                        x -> {
                            assertThat(x.jobId()).isEqualTo("job-" + f.flushId());
                            assertThat(x.requests()).isEqualTo(1);
                            assertThat(x.group().id()).isEqualTo(g.id());
                        });
        assertThat(buffer().flushAnswered(written)).isTrue();
        assertThat(buffer().flushAnswered(written)).isFalse();
        assertThat(buffer().unanswered(1000)).noneMatch(x -> x.flushId().equals(f.flushId()));
        Flush next = Flush.open("g-" + UUID.randomUUID(), g, T0, T0.plusSeconds(60));
        assertThat(buffer().claimFlush(next, null)).isTrue();
    }

    @Test
    void answeredRequestsAreRecordedPerQueue() {
        QueueGroup g = group(freshQueue());
        QueueGroup other = group(freshQueue());
        buffer().enqueue(request(g, "a", T0));
        buffer().enqueue(request(g, "b", T0));
        buffer().enqueue(request(other, "a", T0));
        assertThat(buffer().answered(g.queue(), List.of("a", "b"))).isEmpty();
        buffer().markAnswered(g.queue(), List.of("a"), "job-1");
        assertThat(buffer().answered(g.queue(), List.of("a", "b"))).containsExactly("a");
        assertThat(buffer().answered(other.queue(), List.of("a"))).isEmpty();
        assertThat(buffer().request(g.queue(), "a").orElseThrow().answered()).isTrue();
        assertThat(buffer().request(g.queue(), "a").orElseThrow().jobId()).isEqualTo("job-1");
    }

    @Test
    void aQueuesSpendAddsUpPerDay() {
        QueueName q = freshQueue();
        java.time.LocalDate day = java.time.LocalDate.of(2026, 12, 7);
        assertThat(buffer().spent(q, day)).isEqualByComparingTo("0");
        buffer().addSpent(q, day, new java.math.BigDecimal("0.25"));
        buffer().addSpent(q, day, new java.math.BigDecimal("0.125"));
        assertThat(buffer().spent(q, day)).isEqualByComparingTo("0.375");
        assertThat(buffer().spent(q, day.plusDays(1))).isEqualByComparingTo("0");
        assertThat(buffer().spent(freshQueue(), day)).isEqualByComparingTo("0");
    }

    @Test
    void manyRequests_readPageByPage() {
        QueueGroup g = group(freshQueue());
        for (int i = 0; i < 250; i++) {
            buffer().enqueue(request(g, String.format("r-%04d", i), T0.plusMillis(i)));
        }
        List<String> ids = new ArrayList<>();
        buffer().waiting(g, 240).forEach(r -> ids.add(r.requestId()));
        assertThat(ids).hasSize(240);
        assertThat(ids.get(0)).isEqualTo("r-0000");
        assertThat(ids.get(239)).isEqualTo("r-0239");
    }
}
