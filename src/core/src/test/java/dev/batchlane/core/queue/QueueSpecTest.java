package dev.batchlane.core.queue;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.lane.Deadline;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.testkit.InMemoryQueueBuffer;
import dev.batchlane.core.testkit.Lane;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue lane on the in-memory lane: requests enqueued one at a time are checked at once, kept
 * once per id, flushed by size or by their oldest request's wait into ordinary jobs, and each
 * answered exactly once with its own joined line.
 */
class QueueSpecTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final QueueName TICKETS = new QueueName("openai", "tickets");

    @TempDir Path tmp;

    /** Records every answer it is handed, as a reply queue or the event bus would receive it. */
    static final class RecordingSink implements AnswerSink {
        final List<Answer> received = Collections.synchronizedList(new ArrayList<>());
        volatile boolean down;

        @Override
        public List<Answer> send(List<Answer> answers) {
            if (down) {
                return answers;
            }
            received.addAll(answers);
            return List.of();
        }

        List<String> ids() {
            return received.stream().map(Answer::requestId).toList();
        }
    }

    /** The lane plus its queue: the services poll and enqueue would run. */
    final class QueueLane {
        final Lane lane = new Lane(tmp);
        final InMemoryQueueBuffer buffer = new InMemoryQueueBuffer();
        final RecordingSink sink = new RecordingSink();
        final QueueIntake intake;
        final QueueFlusher flusher;
        final QueueAnswers answers;

        QueueLane(QueuePolicies policies) {
            Providers providers = new Providers(List.of(lane.provider));
            AnswerDelivery delivery = new AnswerDelivery(lane.objects, sink, Lane.BUCKET);
            intake =
                    new QueueIntake(
                            buffer,
                            lane.objects,
                            providers,
                            lane.settings,
                            lane.store,
                            delivery,
                            lane.clock,
                            LaneMetrics.NONE);
            flusher =
                    new QueueFlusher(
                            buffer,
                            lane.objects,
                            providers,
                            lane.settings,
                            policies,
                            Lane.BUCKET,
                            lane.clock,
                            LaneMetrics.NONE);
            answers =
                    new QueueAnswers(
                            buffer,
                            lane.objects,
                            lane.store,
                            delivery,
                            flusher,
                            lane.clock,
                            LaneMetrics.NONE);
        }

        QueueIntake.Receipt enqueue(String line, String replyTo) {
            return intake.accept(
                    new QueueIntake.Incoming(
                            TICKETS, line.getBytes(StandardCharsets.UTF_8), 1, replyTo, Map.of()));
        }

        /** The S3 event for each flush's inbox file: ingest, as the bucket's notification does. */
        List<String> flushAndIngest() {
            List<String> jobs = new ArrayList<>();
            for (Flush f : flusher.flushDue(Deadline.none())) {
                if (f.jobId() == null) {
                    continue;
                }
                String key = QueueKeys.inbox(f);
                var info = lane.objects.head(key).orElseThrow();
                IngestService.Ingestion r =
                        lane.ingest.ingest(
                                new IngestService.ObjectRef(
                                        Lane.BUCKET,
                                        key,
                                        info.versionId(),
                                        info.etag(),
                                        info.size()));
                assertThat(r.jobId()).isEqualTo(f.jobId());
                jobs.add(r.jobId());
            }
            return jobs;
        }
    }

    private static String request(String id) {
        return Lane.request(id).trim();
    }

    @Test
    void aThousandRequests_flushedBySize_eachAnsweredOnceWithItsOwnLine() throws Exception {
        QueueLane q =
                new QueueLane(
                        new QueuePolicies(
                                new QueuePolicy(Duration.ofHours(1), 400, 0, null, null),
                                Map.of()));
        for (int i = 0; i < 1000; i++) {
            assertThat(
                            q.enqueue(request("t-" + i), i % 2 == 0 ? "https://sqs/replies" : null)
                                    .verdict())
                    .isEqualTo(QueueIntake.Verdict.ACCEPTED);
        }
        // 1,000 waiting, 400 a flush: two full flushes now, the remaining 200 wait for their hour.
        List<String> jobs = q.flushAndIngest();
        assertThat(jobs).hasSize(2);
        assertThat(q.buffer.groups())
                .singleElement()
                .satisfies(d -> assertThat(d.requests()).isEqualTo(200));
        for (String job : jobs) {
            q.lane.runToCompletion(job, 20);
        }
        assertThat(q.answers.answerEnded(Deadline.none())).isEqualTo(800);
        q.lane.clock.advance(Duration.ofMinutes(61));
        List<String> last = q.flushAndIngest();
        assertThat(last).hasSize(1);
        q.lane.runToCompletion(last.get(0), 20);
        assertThat(q.answers.answerEnded(Deadline.none())).isEqualTo(200);
        assertThat(q.answers.answerEnded(Deadline.none())).isZero();

        assertThat(q.sink.ids()).hasSize(1000).doesNotHaveDuplicates();
        assertThat(q.lane.provider.batchIds()).hasSize(3);
        Answer one =
                q.sink.received.stream()
                        .filter(a -> a.requestId().equals("t-8"))
                        .findFirst()
                        .orElseThrow();
        assertThat(one.replyTo()).isEqualTo("https://sqs/replies");
        JsonNode line = JSON.readTree(one.body());
        assertThat(line.get("custom_id").asText()).isEqualTo("t-8");
        assertThat(line.get("outcome").asText()).isEqualTo("succeeded");
        assertThat(one.outcome()).isEqualTo("succeeded");
        Answer odd =
                q.sink.received.stream()
                        .filter(a -> a.requestId().equals("t-9"))
                        .findFirst()
                        .orElseThrow();
        assertThat(odd.replyTo()).isNull();
        // And by queue and id, afterwards.
        QueueLookup.Found found = new QueueLookup(q.buffer, q.lane.objects).find(TICKETS, "t-9");
        assertThat(found.state()).isEqualTo("answered");
        assertThat(JSON.readTree(found.answer()).get("custom_id").asText()).isEqualTo("t-9");
    }

    @Test
    void aDuplicateDelivery_isKeptAndAnsweredOnce() {
        QueueLane q = new QueueLane(QueuePolicies.defaults());
        assertThat(q.enqueue(request("dup"), null).verdict())
                .isEqualTo(QueueIntake.Verdict.ACCEPTED);
        assertThat(q.enqueue(request("dup"), null).verdict())
                .isEqualTo(QueueIntake.Verdict.DUPLICATE);
        q.lane.clock.advance(Duration.ofHours(2));
        List<String> jobs = q.flushAndIngest();
        q.lane.runToCompletion(jobs.get(0), 20);
        q.answers.answerEnded(Deadline.none());
        // Delivered again after its answer: still known, still answered once.
        assertThat(q.enqueue(request("dup"), null).verdict())
                .isEqualTo(QueueIntake.Verdict.DUPLICATE);
        q.lane.clock.advance(Duration.ofHours(2));
        assertThat(q.flushAndIngest()).isEmpty();
        assertThat(q.sink.ids()).containsExactly("dup");
        assertThat(q.lane.provider.allRequested()).containsExactly("dup");
    }

    @Test
    void aBadRequest_isAnsweredAtOnceWithItsRule_andNeverJoinsABatch() throws Exception {
        QueueLane q = new QueueLane(QueuePolicies.defaults());
        q.enqueue(request("good-1"), null);
        QueueIntake.Receipt bad =
                q.enqueue(
                        "{\"custom_id\":\"bad-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\"}",
                        "https://sqs/r");
        assertThat(bad.verdict()).isEqualTo(QueueIntake.Verdict.REFUSED);
        assertThat(bad.violations()).isNotEmpty();
        QueueIntake.Receipt notJson = q.enqueue("{\"custom_id\": \"x\",", null);
        assertThat(notJson.verdict()).isEqualTo(QueueIntake.Verdict.REFUSED);
        assertThat(notJson.violations().get(0).code()).isEqualTo("invalid_json");
        // Answered before any flush, with the rule.
        assertThat(q.sink.received).hasSize(2);
        Answer a = q.sink.received.get(0);
        assertThat(a.requestId()).isEqualTo("bad-1");
        assertThat(a.replyTo()).isEqualTo("https://sqs/r");
        assertThat(a.outcome()).isEqualTo("rejected");
        JsonNode body = JSON.readTree(a.body());
        assertThat(body.get("error").get("code").asText())
                .isEqualTo(bad.violations().get(0).code());
        assertThat(body.get("error").get("message").asText()).contains("line 1");
        q.lane.clock.advance(Duration.ofHours(2));
        List<String> jobs = q.flushAndIngest();
        q.lane.runToCompletion(jobs.get(0), 20);
        q.answers.answerEnded(Deadline.none());
        assertThat(q.lane.provider.allRequested()).containsExactly("good-1");
        assertThat(q.sink.ids()).containsExactly("bad-1", null, "good-1");
    }

    @Test
    void groupsFlushInTheOrderTheirOldestArrived_andWaitTheirMaximum() {
        QueueLane q =
                new QueueLane(
                        QueuePolicies.parse(
                                "{\"default\": {\"max-wait\": \"PT10M\"}, \"openai/tickets\": {\"max-wait\": \"PT30M\"}}"));
        q.intake.accept(
                new QueueIntake.Incoming(
                        new QueueName("openai", "alerts"),
                        request("a-1").getBytes(StandardCharsets.UTF_8),
                        1,
                        null,
                        Map.of()));
        q.enqueue(request("t-1"), null);
        q.lane.clock.advance(Duration.ofMinutes(9));
        assertThat(q.flushAndIngest()).isEmpty();
        q.lane.clock.advance(Duration.ofMinutes(2));
        // alerts waits 10 minutes at most, tickets 30.
        List<String> first = q.flushAndIngest();
        assertThat(first).hasSize(1);
        assertThat(q.lane.store.job(first.get(0)).orElseThrow().inputKey())
                .startsWith("inbox/openai/queued/alerts/");
        q.lane.clock.advance(Duration.ofMinutes(20));
        assertThat(q.flushAndIngest()).hasSize(1);
    }

    @Test
    void aFlusherThatDiedAfterFixingItsRequests_isFinishedByTheNext_withTheSameRequests() {
        QueueLane q = new QueueLane(QueuePolicies.defaults());
        for (int i = 0; i < 5; i++) {
            q.enqueue(request("r-" + i), null);
        }
        q.lane.clock.advance(Duration.ofHours(2));
        // The first flusher claimed the group and wrote its record, then died.
        QueueGroup group = q.buffer.groups().get(0).group();
        Flush claimed =
                Flush.open(
                        "0000000000001-dead",
                        group,
                        q.lane.clock.instant(),
                        q.lane.clock.instant().plus(QueueFlusher.LEASE));
        assertThat(q.buffer.claimFlush(claimed, null)).isTrue();
        q.lane.objects.putBytes(
                QueueKeys.flushRecord(claimed), recordOf(q, group, 3), "application/jsonl");
        // Requests that arrive meanwhile wait for the next flush.
        q.enqueue(request("late"), null);
        assertThat(q.flushAndIngest()).isEmpty(); // the lease still holds
        q.lane.clock.advance(QueueFlusher.LEASE.plusMinutes(1));
        List<String> jobs = q.flushAndIngest();
        assertThat(jobs).hasSize(1);
        q.lane.runToCompletion(jobs.get(0), 20);
        assertThat(q.lane.provider.allRequested()).containsExactlyInAnyOrder("r-0", "r-1", "r-2");
        // The rest (r-3, r-4, late) flush next, once.
        List<String> next = q.flushAndIngest();
        assertThat(next).hasSize(1);
        q.lane.runToCompletion(next.get(0), 20);
        q.answers.answerEnded(Deadline.none());
        assertThat(q.sink.ids())
                .containsExactlyInAnyOrder("r-0", "r-1", "r-2", "r-3", "r-4", "late");
        assertThat(q.lane.provider.allRequested()).hasSize(6);
    }

    /** The record a flusher writes of the first {@code n} waiting requests of {@code group}. */
    private static byte[] recordOf(QueueLane q, QueueGroup group, int n) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        for (QueuedRequest r : q.buffer.waiting(group, n)) {
            var node = JSON.createObjectNode();
            node.put("id", r.requestId());
            node.put("order", r.order());
            node.put("arrived_at", r.arrivedAt().toString());
            node.put("bytes", r.bytes());
            node.put("line", r.line());
            b.append(node).append('\n');
            i++;
        }
        assertThat(i).isEqualTo(n);
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aFlushOverItsBudget_isRejectedBeforeAnyProviderCall_andEachRequestAnsweredSo()
            throws Exception {
        QueueLane q =
                new QueueLane(
                        new QueuePolicies(
                                new QueuePolicy(
                                        Duration.ofMinutes(5),
                                        0,
                                        0,
                                        null,
                                        new BigDecimal("0.000001")),
                                Map.of()));
        q.enqueue(request("pricey-1"), "https://sqs/r");
        q.enqueue(request("pricey-2"), null);
        q.lane.clock.advance(Duration.ofMinutes(6));
        List<String> jobs = q.flushAndIngest();
        assertThat(q.lane.store.job(jobs.get(0)).orElseThrow().status())
                .isEqualTo(JobStatus.REJECTED);
        assertThat(q.answers.answerEnded(Deadline.none())).isEqualTo(2);
        assertThat(q.lane.provider.calls).isEmpty();
        for (Answer a : q.sink.received) {
            assertThat(a.outcome()).isEqualTo("rejected");
            JsonNode body = JSON.readTree(a.body());
            assertThat(body.get("error").get("message").asText()).contains(jobs.get(0));
            assertThat(body.get("error").get("code").asText()).isNotBlank();
        }
        assertThat(q.sink.ids()).containsExactlyInAnyOrder("pricey-1", "pricey-2");
    }

    @Test
    void aDailyBudget_holdsTheFlushThatWouldPassIt_untilTheNextDay() {
        // About 6.3 millionths of a dollar per request at gpt-4o-mini's batch price: one flush of
        // ten fits in 0.0001, a second one the same day does not.
        QueueLane q =
                new QueueLane(
                        QueuePolicies.parse(
                                "{\"default\": {\"max-wait\": \"PT1H\", \"daily-budget-usd\": \"0.0001\"}}"));
        for (int i = 0; i < 10; i++) {
            q.enqueue(request("d1-" + i), null);
        }
        q.lane.clock.advance(Duration.ofHours(2));
        assertThat(q.flushAndIngest()).hasSize(1);
        assertThat(q.buffer.spent(TICKETS, java.time.LocalDate.of(2026, 12, 1)))
                .isGreaterThan(BigDecimal.ZERO)
                .isLessThan(new BigDecimal("0.0001"));
        for (int i = 0; i < 10; i++) {
            q.enqueue(request("d2-" + i), null);
        }
        q.lane.clock.advance(Duration.ofHours(2));
        assertThat(q.flushAndIngest()).isEmpty();
        assertThat(q.buffer.groups())
                .singleElement()
                .satisfies(d -> assertThat(d.requests()).isEqualTo(10));
        q.lane.clock.advance(Duration.ofHours(20)); // past midnight UTC
        assertThat(q.flushAndIngest()).hasSize(1);
    }

    @Test
    void aRequestTooBigForTheTable_isKeptInTheBucket_runsAsSent_andItsCopyLeavesWithItsFlush()
            throws Exception {
        QueueLane q = new QueueLane(QueuePolicies.defaults());
        String big = request("big-1").replace("hi big-1", "x".repeat(300 * 1024));
        assertThat(q.enqueue(big, null).verdict()).isEqualTo(QueueIntake.Verdict.ACCEPTED);
        assertThat(q.lane.objects.list("queue-bodies/")).hasSize(1);
        // The same id again with other bytes is a duplicate and leaves the kept request alone.
        String other = request("big-1").replace("hi big-1", "y".repeat(300 * 1024));
        assertThat(q.enqueue(other, null).verdict()).isEqualTo(QueueIntake.Verdict.DUPLICATE);
        q.lane.clock.advance(Duration.ofHours(2));
        List<String> jobs = q.flushAndIngest();
        String inbox = q.lane.store.job(jobs.get(0)).orElseThrow().inputKey();
        assertThat(q.lane.text(inbox).trim()).isEqualTo(big);
        assertThat(q.lane.objects.list("queue-bodies/")).isEmpty();
        q.lane.runToCompletion(jobs.get(0), 20);
        q.answers.answerEnded(Deadline.none());
        assertThat(q.sink.ids()).containsExactly("big-1");
    }

    @Test
    void aRefusalThatCannotBeSent_failsTheDelivery_soTheMessageComesAgain() {
        QueueLane q = new QueueLane(QueuePolicies.defaults());
        q.sink.down = true;
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> q.enqueue("{\"custom_id\": \"x\",", "https://sqs/r"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("queue openai/tickets")
                .hasMessageContaining("delivered again");
        q.sink.down = false;
        assertThat(q.enqueue("{\"custom_id\": \"x\",", "https://sqs/r").verdict())
                .isEqualTo(QueueIntake.Verdict.REFUSED);
        assertThat(q.sink.received).hasSize(1);
    }

    @Test
    void answersThatCouldNotBeSent_areSentOnTheNextCycle_andOnlyThose() {
        QueueLane q = new QueueLane(QueuePolicies.defaults());
        for (int i = 0; i < 3; i++) {
            q.enqueue(request("s-" + i), null);
        }
        q.lane.clock.advance(Duration.ofHours(2));
        List<String> jobs = q.flushAndIngest();
        q.lane.runToCompletion(jobs.get(0), 20);
        q.sink.down = true;
        assertThat(q.answers.answerEnded(Deadline.none())).isZero();
        assertThat(q.buffer.unanswered(10)).hasSize(1);
        q.sink.down = false;
        assertThat(q.answers.answerEnded(Deadline.none())).isEqualTo(3);
        assertThat(q.buffer.unanswered(10)).isEmpty();
        assertThat(q.sink.ids()).containsExactlyInAnyOrder("s-0", "s-1", "s-2");
    }

    @Test
    void aSmallFileUnderQueue_isEnqueuedLineByLine_andABadLineIsAnsweredAlone() {
        QueueLane q = new QueueLane(QueuePolicies.defaults());
        String key = "queue/openai/tickets/batch-1.jsonl";
        q.lane.objects.putBytes(
                key,
                (request("f-1") + "\n" + "not json\n" + request("f-2") + "\n")
                        .getBytes(StandardCharsets.UTF_8),
                Map.of("reply-to", "https://sqs/replies"));
        List<QueueIntake.Receipt> receipts = q.intake.acceptFile(key);
        assertThat(receipts)
                .extracting(QueueIntake.Receipt::verdict)
                .containsExactly(
                        QueueIntake.Verdict.ACCEPTED,
                        QueueIntake.Verdict.REFUSED,
                        QueueIntake.Verdict.ACCEPTED);
        assertThat(receipts.get(1).violations().get(0).message()).startsWith("line 2 ");
        assertThat(q.lane.objects.head(key)).isEmpty();
        // Delivered again (the file is gone): nothing more.
        assertThat(q.intake.acceptFile(key)).isEmpty();
        q.lane.clock.advance(Duration.ofHours(2));
        List<String> jobs = q.flushAndIngest();
        q.lane.runToCompletion(jobs.get(0), 20);
        q.answers.answerEnded(Deadline.none());
        Set<String> answered =
                q.sink.received.stream()
                        .filter(a -> a.requestId() != null)
                        .map(Answer::requestId)
                        .collect(Collectors.toCollection(TreeSet::new));
        assertThat(answered).containsExactly("f-1", "f-2");
        assertThat(q.sink.received).allMatch(a -> "https://sqs/replies".equals(a.replyTo()));
    }

    @Test
    void requestsOfTwoModels_neverShareAFlush() {
        QueueLane q = new QueueLane(QueuePolicies.defaults());
        q.enqueue(request("m-1"), null);
        q.enqueue(request("m-2").replace("gpt-4o-mini", "gpt-4o"), null);
        q.lane.clock.advance(Duration.ofHours(2));
        List<String> jobs = q.flushAndIngest();
        assertThat(jobs).hasSize(2);
        assertThat(jobs.stream().map(j -> q.lane.store.job(j).orElseThrow().model()))
                .containsExactlyInAnyOrder("gpt-4o-mini", "gpt-4o");
    }
}
