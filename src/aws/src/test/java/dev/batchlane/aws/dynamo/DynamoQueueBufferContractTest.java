package dev.batchlane.aws.dynamo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.aws.CountingInterceptor;
import dev.batchlane.core.queue.Flush;
import dev.batchlane.core.queue.GroupDepth;
import dev.batchlane.core.queue.QueueBuffer;
import dev.batchlane.core.queue.QueueGroup;
import dev.batchlane.core.queue.QueueIntake;
import dev.batchlane.core.queue.QueueName;
import dev.batchlane.core.queue.QueuedRequest;
import dev.batchlane.core.testkit.QueueBufferContract;
import dev.batchlane.core.testkit.TestClock;
import dev.batchlane.emulators.DynamoDbLocalServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The core's queue-buffer contract on DynamoDB Local (the same cases the in-memory buffer passes),
 * and the risks of the table itself: concurrent transactions on one id, counters kept beside the
 * entries, item size and text, the TTL each id carries.
 */
class DynamoQueueBufferContractTest extends QueueBufferContract {
    private static final String TABLE = "queue-contract";
    private static DynamoDbLocalServer server;
    private static DynamoDbClient dynamo;
    private static final CountingInterceptor CALLS = new CountingInterceptor();
    private static TestClock clock;
    private static DynamoQueueBuffer buffer;

    @BeforeAll
    static void start() {
        server = DynamoDbLocalServer.start();
        dynamo = CALLS.dynamo(server.endpoint());
        TableSetup.create(dynamo, TABLE);
        clock = new TestClock(T0);
        buffer = new DynamoQueueBuffer(dynamo, TABLE, clock);
    }

    @AfterAll
    static void stop() {
        dynamo.close();
        server.close();
    }

    @Override
    protected QueueBuffer buffer() {
        return buffer;
    }

    private static QueueGroup freshGroup() {
        QueueName q = new QueueName("openai", "d-" + UUID.randomUUID().toString().substring(0, 8));
        return new QueueGroup(q, "gpt-4o-mini", "/v1/chat/completions", Map.of("tier", "a"));
    }

    private static QueuedRequest request(QueueGroup g, String id, Instant at, String line) {
        long bytes = line.getBytes(StandardCharsets.UTF_8).length;
        return new QueuedRequest(g, id, line, null, "https://sqs/q/replies", at, bytes, 12, 300);
    }

    private static QueuedRequest request(QueueGroup g, String id, Instant at) {
        return request(g, id, at, "{\"custom_id\":\"" + id + "\"}");
    }

    private static GroupDepth depthOf(QueueGroup g) {
        return buffer.groups().stream()
                .filter(d -> d.group().id().equals(g.id()))
                .findFirst()
                .orElse(null);
    }

    private static Map<String, AttributeValue> item(Map<String, AttributeValue> key) {
        return dynamo.getItem(b -> b.tableName(TABLE).key(key).consistentRead(true)).item();
    }

    private static List<QueuedRequest> all(QueueGroup g) {
        List<QueuedRequest> out = new ArrayList<>();
        buffer.waiting(g, Integer.MAX_VALUE).forEach(out::add);
        return out;
    }

    @Test
    void aDuplicateDeliveredConcurrently_isKeptOnce() throws Exception {
        QueueGroup g = freshGroup();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 20; i++) {
                String id = "r-" + i;
                Instant at = T0.plusMillis(i);
                CountDownLatch go = new CountDownLatch(1);
                Callable<Boolean> deliver =
                        () -> {
                            go.await();
                            return buffer.enqueue(request(g, id, at));
                        };
                Future<Boolean> a = pool.submit(deliver);
                Future<Boolean> b = pool.submit(deliver);
                go.countDown();
                assertThat(List.of(a.get(), b.get()))
                        .as("delivery of %s: exactly one is kept", id)
                        .containsExactlyInAnyOrder(true, false);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(all(g)).hasSize(20);
        assertThat(depthOf(g).requests()).as("counted once each").isEqualTo(20);
    }

    @Test
    void aGroupsDepth_afterARemoval_countsWhatIsLeft_andAnEmptyGroupLeavesTheList() {
        QueueGroup g = freshGroup();
        QueuedRequest a = request(g, "a", T0, "{\"custom_id\":\"a\",\"x\":1}");
        QueuedRequest b = request(g, "b", T0.plusSeconds(1), "{\"custom_id\":\"b\",\"xx\":22}");
        QueuedRequest c = request(g, "c", T0.plusSeconds(2), "{\"custom_id\":\"c\"}");
        List.of(a, b, c).forEach(buffer::enqueue);
        assertThat(depthOf(g).bytes()).isEqualTo(a.bytes() + b.bytes() + c.bytes());

        buffer.removeWaiting(g, List.of(a, b));
        buffer.removeWaiting(g, List.of(b)); // repeated by a second flusher
        GroupDepth d = depthOf(g);
        assertThat(d.requests()).isEqualTo(1);
        assertThat(d.bytes()).isEqualTo(c.bytes());
        assertThat(d.oldest()).isEqualTo(c.arrivedAt());
        assertThat(d.group()).isEqualTo(g);

        buffer.removeWaiting(g, List.of(c));
        assertThat(depthOf(g)).as("nothing waits and no flush is open").isNull();
        buffer.enqueue(request(g, "d", T0.plusSeconds(3)));
        assertThat(depthOf(g).requests()).isEqualTo(1);
    }

    /** Removals go in parallel chunks of 100; what each chunk found is counted off once. */
    @Test
    void removingManyRequests_twiceAndOverlapping_countsEachOffOnce() {
        QueueGroup g = freshGroup();
        List<QueuedRequest> sent = new ArrayList<>();
        for (int i = 0; i < 230; i++) {
            QueuedRequest r = request(g, String.format("r-%04d", i), T0.plusMillis(i));
            buffer.enqueue(r);
            sent.add(r);
        }
        buffer.removeWaiting(g, sent.subList(0, 120));
        Map<String, AttributeValue> half = item(QueueItems.groupKey(g));
        assertThat(Attrs.num(half, QueueItems.REQUESTS)).isEqualTo(110);

        buffer.removeWaiting(g, sent); // the first 120 again, then the rest

        // Read before groups(), which would set lagging counters right: these are exact.
        Map<String, AttributeValue> after = item(QueueItems.groupKey(g));
        assertThat(Attrs.num(after, QueueItems.REQUESTS)).isZero();
        assertThat(Attrs.num(after, QueueItems.BYTES)).isZero();
        assertThat(all(g)).isEmpty();
    }

    @Test
    void aLineAsBigAsIntakeKeepsInline_fitsInItsItem() {
        QueueGroup g = freshGroup();
        String head = "{\"custom_id\":\"max\",\"b\":\"";
        String tail = "\"}";
        // Three-byte characters up to the limit, then ASCII to hit it exactly.
        int room = QueueIntake.MAX_INLINE_BYTES - head.length() - tail.length();
        String line = head + "東".repeat(room / 3) + "x".repeat(room % 3) + tail;
        assertThat(line.getBytes(StandardCharsets.UTF_8)).hasSize(QueueIntake.MAX_INLINE_BYTES);
        QueuedRequest sent = request(g, "max", T0, line);

        assertThat(buffer.enqueue(sent)).isTrue();

        assertThat(buffer.waiting(g, 1).iterator().next()).isEqualTo(sent);
    }

    @Test
    void countersThatLag_areSetRight_onceTheGroupIsEmpty() {
        QueueGroup g = freshGroup();
        QueuedRequest a = request(g, "a", T0);
        buffer.enqueue(a);
        // A removal whose decrement was lost in a crash: the counters say 6 where 1 waits.
        dynamo.updateItem(
                x ->
                        x.tableName(TABLE)
                                .key(QueueItems.groupKey(g))
                                .updateExpression("ADD #r :five")
                                .expressionAttributeNames(Map.of("#r", QueueItems.REQUESTS))
                                .expressionAttributeValues(Map.of(":five", Attrs.n(5))));
        assertThat(depthOf(g).requests()).isEqualTo(6);
        assertThat(depthOf(g).oldest()).as("the oldest is read, not counted").isEqualTo(T0);

        buffer.removeWaiting(g, List.of(a));
        assertThat(depthOf(g)).isNull();
        assertThat(Attrs.num(item(QueueItems.groupKey(g)), QueueItems.REQUESTS))
                .as("reset by groups() once nothing waits")
                .isZero();
        buffer.enqueue(request(g, "b", T0.plusSeconds(1)));
        assertThat(depthOf(g).requests()).isEqualTo(1);
    }

    @Test
    void aDeliveryRetriedAfterACrashBeforeTheGroupWasRecorded_makesTheGroupVisible() {
        QueueGroup g = freshGroup();
        QueuedRequest a = request(g, "a", T0);
        // What the enqueue transaction writes, without the group update that should follow it.
        dynamo.putItem(
                x -> x.tableName(TABLE).item(QueueItems.idItem(a, T0.plus(Duration.ofDays(90)))));
        dynamo.putItem(x -> x.tableName(TABLE).item(QueueItems.waitingItem(a)));
        assertThat(depthOf(g)).isNull();

        assertThat(buffer.enqueue(request(g, "a", T0.plusSeconds(30)))).isFalse();

        GroupDepth d = depthOf(g);
        assertThat(d).isNotNull();
        assertThat(d.oldest()).isEqualTo(T0);
        assertThat(all(g)).extracting(QueuedRequest::requestId).containsExactly("a");
    }

    @Test
    void aBigUnicodeLine_andANanosecondArrival_roundTripExactly() {
        QueueGroup g = freshGroup();
        StringBuilder text = new StringBuilder("{\"custom_id\":\"ü-1\",\"body\":\"");
        String piece = "Grüße, 東京, naïve café 🚀 — ";
        int pieceBytes = piece.getBytes(StandardCharsets.UTF_8).length;
        for (int bytes = 0; bytes < 200 * 1024; bytes += pieceBytes) {
            text.append(piece);
        }
        String line = text.append("\"}").toString();
        assertThat(line.getBytes(StandardCharsets.UTF_8).length).isGreaterThan(200 * 1024);
        Instant at = Instant.parse("2026-12-07T09:00:00.123456789Z");
        QueuedRequest sent = request(g, "ü-1", at, line);

        assertThat(buffer.enqueue(sent)).isTrue();

        QueuedRequest back = buffer.waiting(g, 10).iterator().next();
        assertThat(back).isEqualTo(sent);
        assertThat(back.order()).isEqualTo(sent.order());
        assertThat(buffer.request(g.queue(), "ü-1").orElseThrow().arrivedAt()).isEqualTo(at);
        buffer.removeWaiting(g, List.of(back));
        assertThat(all(g)).isEmpty();
    }

    /**
     * Pages of two: a waiting list is read one query at a time as the caller gets that far, and the
     * limit holds across pages (the contract's 250 requests take three pages of 100).
     */
    @Test
    void waitingRequests_areReadOnePageAtATime_asTheCallerReads() {
        DynamoQueueBuffer paged = new DynamoQueueBuffer(dynamo, TABLE, clock, 2);
        QueueGroup g = freshGroup();
        for (int i = 0; i < 6; i++) {
            paged.enqueue(request(g, "r-" + i, T0.plusSeconds(6 - i)));
        }
        CALLS.reset();
        var first = paged.waiting(g, 5).iterator();
        assertThat(first.next().requestId()).isEqualTo("r-5");
        assertThat(CALLS.calls("Query")).as("one page for the first request").isEqualTo(1);

        CALLS.reset();
        List<String> five = new ArrayList<>();
        paged.waiting(g, 5).forEach(r -> five.add(r.requestId()));
        assertThat(five).containsExactly("r-5", "r-4", "r-3", "r-2", "r-1");
        assertThat(CALLS.calls("Query")).as("pages of 2, 2 and 1").isEqualTo(3);
        assertThat(CALLS.calls("Scan")).isZero();
    }

    @Test
    void groupsAndUnansweredFlushes_areQueried_neverScanned() {
        QueueGroup g = freshGroup();
        buffer.enqueue(request(g, "a", T0));
        CALLS.reset();
        assertThat(depthOf(g)).isNotNull();
        buffer.unanswered(10);
        buffer.answered(g.queue(), List.of("a"));
        assertThat(CALLS.calls("Query")).isPositive();
        assertThat(CALLS.calls("Scan")).isZero();
    }

    @Test
    void anIdIsKept90DaysUnanswered_then30DaysAfterItsAnswer() {
        QueueGroup g = freshGroup();
        buffer.enqueue(request(g, "a", T0));
        Map<String, AttributeValue> idKey =
                QueueItems.key(QueueItems.idPk(g.queue(), "a"), QueueItems.ID_SK);
        assertThat(Attrs.num(item(idKey), TableSetup.TTL))
                .isEqualTo(T0.plus(Duration.ofDays(90)).getEpochSecond());

        clock.advance(Duration.ofHours(2));
        Instant answeredAt = clock.instant();
        buffer.markAnswered(g.queue(), List.of("a"), "job-1");
        buffer.markAnswered(g.queue(), List.of("a"), "job-2"); // a repeated answer step
        assertThat(Attrs.num(item(idKey), TableSetup.TTL))
                .isEqualTo(answeredAt.plus(Duration.ofDays(30)).getEpochSecond());
        var record = buffer.request(g.queue(), "a").orElseThrow();
        assertThat(record.jobId()).as("the first answer stays").isEqualTo("job-1");
        assertThat(record.arrivedAt()).isEqualTo(T0);
    }

    @Test
    void answeredIds_areReadInBatchesOfAHundred() {
        QueueGroup g = freshGroup();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 230; i++) {
            ids.add("r-" + i);
        }
        List<String> odd = ids.stream().filter(id -> id.hashCode() % 2 != 0).toList();
        buffer.markAnswered(g.queue(), odd, "job-1");
        assertThat(buffer.answered(g.queue(), ids)).containsExactlyInAnyOrderElementsOf(odd);
    }

    @Test
    void unansweredFlushes_comeOldestFirst_acrossGroups() {
        // Opened before anything the other cases write, so they come first in the shared table.
        Instant early = Instant.parse("2001-01-01T00:00:00Z");
        List<Flush> written = new ArrayList<>();
        for (int i : new int[] {2, 0, 1}) {
            QueueGroup g = freshGroup();
            Flush f =
                    Flush.open(
                            "f" + i + "-" + UUID.randomUUID(),
                            g,
                            early.plusSeconds(i),
                            early.plusSeconds(60));
            assertThat(buffer.claimFlush(f, null)).isTrue();
            Flush w = f.written("job-" + i, 3, 30);
            assertThat(buffer.flushWritten(w)).isTrue();
            written.add(w);
        }
        assertThat(buffer.unanswered(2)).extracting(Flush::jobId).containsExactly("job-0", "job-1");
        for (Flush w : written) {
            assertThat(buffer.flushAnswered(w)).isTrue();
        }
        assertThat(buffer.unanswered(1000)).noneMatch(f -> f.openedAt().isBefore(T0));
    }
}
