package dev.batchlane.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchlane.aws.LocalAws;
import dev.batchlane.core.queue.GroupDepth;
import dev.batchlane.core.queue.QueueGroup;
import dev.batchlane.core.queue.QueueName;
import dev.batchlane.emulators.ElasticMqServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;

/**
 * {@code queue send} and {@code queue follow} against ElasticMQ, as an application would see them:
 * one message per line with the lane's attributes, at the rate asked; answers printed once each.
 */
class QueueCommandsTest {
    private static ElasticMqServer server;
    private static SqsClient sqs;

    @TempDir Path tmp;

    @BeforeAll
    static void start() {
        server = ElasticMqServer.start();
        sqs = LocalAws.sqs(server.endpoint());
    }

    @AfterAll
    static void stop() {
        if (sqs != null) {
            sqs.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void send_putsEachLineInOneMessage_withProviderQueueAndReplyTo_atTheRateAsked()
            throws Exception {
        String intake = sqs.createQueue(b -> b.queueName("intake-send")).queueUrl();
        String reply = QueueSendCommand.replyQueue(sqs, "batchlane-replies-send");
        Path file = tmp.resolve("r.jsonl");
        Files.writeString(
                file, "{\"custom_id\":\"a\"}\n\n{\"custom_id\":\"b\"}\n{\"custom_id\":\"c\"}\n");

        QueueSendCommand.Sent sent =
                QueueSendCommand.send(
                        sqs,
                        intake,
                        file,
                        new QueueName("openai", "tickets"),
                        reply,
                        QueueSendCommand.perSecond("10/s"),
                        l -> {});

        assertThat(sent.sent()).isEqualTo(3);
        // three messages at 10/s: the third leaves 200 ms after the first
        assertThat(sent.took()).isGreaterThanOrEqualTo(Duration.ofMillis(190));
        List<Message> got = new ArrayList<>();
        while (got.size() < 3) {
            got.addAll(
                    sqs.receiveMessage(
                                    b ->
                                            b.queueUrl(intake)
                                                    .maxNumberOfMessages(10)
                                                    .waitTimeSeconds(1)
                                                    .messageAttributeNames("All"))
                            .messages());
        }
        assertThat(got)
                .extracting(Message::body)
                .containsExactlyInAnyOrder(
                        "{\"custom_id\":\"a\"}", "{\"custom_id\":\"b\"}", "{\"custom_id\":\"c\"}");
        for (Message m : got) {
            assertThat(m.messageAttributes().get("provider").stringValue()).isEqualTo("openai");
            assertThat(m.messageAttributes().get("queue").stringValue()).isEqualTo("tickets");
            assertThat(m.messageAttributes().get("reply-to").stringValue()).isEqualTo(reply);
            assertThat(m.messageAttributes().get("provider").dataType()).isEqualTo("String");
        }
    }

    @Test
    void rate_readsPerSecondAndPerMinute_andRefusesNonsense() {
        assertThat(QueueSendCommand.perSecond("5")).isEqualTo(5.0);
        assertThat(QueueSendCommand.perSecond("5/s")).isEqualTo(5.0);
        assertThat(QueueSendCommand.perSecond("120/min")).isEqualTo(2.0);
        assertThatThrownBy(() -> QueueSendCommand.perSecond("fast"))
                .hasMessageContaining("--rate")
                .hasMessageContaining("'fast'");
        assertThatThrownBy(() -> QueueSendCommand.perSecond("0")).hasMessageContaining("--rate");
    }

    @Test
    void follow_printsEachAnswerOnce_dropsRepeats_andStopsAtTheCount() {
        String reply = QueueSendCommand.replyQueue(sqs, "batchlane-replies-follow");
        answer(reply, "t-1", "succeeded");
        answer(reply, "t-2", "failed");
        answer(reply, "t-1", "succeeded"); // at-least-once: the same answer twice
        List<String> printed = new ArrayList<>();

        QueueFollowCommand.Followed f =
                QueueFollowCommand.follow(
                        sqs, reply, 2, Duration.ofSeconds(30), printed::add, () -> "");

        assertThat(f.received()).isEqualTo(2);
        assertThat(printed)
                .containsExactlyInAnyOrder(
                        "openai/tickets  t-1  succeeded", "openai/tickets  t-2  failed");
    }

    @Test
    void follow_withoutEnoughAnswers_endsAtTheTimeout_sayingWhatWaits() {
        String reply = QueueSendCommand.replyQueue(sqs, "batchlane-replies-none");
        List<String> printed = new ArrayList<>();

        QueueFollowCommand.Followed f =
                QueueFollowCommand.follow(
                        sqs,
                        reply,
                        1,
                        Duration.ofSeconds(13),
                        printed::add,
                        () -> "waiting in the buffer: openai/tickets  3 waiting");

        assertThat(f.received()).isZero();
        assertThat(printed)
                .anySatisfy(l -> assertThat(l).contains("0 of 1 answer(s) so far; waiting in"));
    }

    @Test
    void queueStatus_addsUpAQueuesGroups_andTakesTheOldestArrival() {
        QueueName tickets = new QueueName("openai", "tickets");
        Instant now = Instant.parse("2026-12-07T12:00:00Z");
        List<GroupDepth> groups =
                List.of(
                        new GroupDepth(
                                new QueueGroup(
                                        tickets, "gpt-4o-mini", "/v1/chat/completions", Map.of()),
                                3,
                                300,
                                now.minusSeconds(12)),
                        new GroupDepth(
                                new QueueGroup(tickets, "gpt-4o", "/v1/chat/completions", Map.of()),
                                2,
                                200,
                                now.minusSeconds(40)),
                        new GroupDepth(
                                new QueueGroup(
                                        new QueueName("anthropic", "default"), "m", "e", Map.of()),
                                0,
                                0,
                                null));

        assertThat(QueueFollowCommand.waitingLine(groups, now))
                .isEqualTo("waiting in the buffer: openai/tickets  5 waiting, the oldest for 40 s");
        assertThat(QueueFollowCommand.waitingLine(List.of(), now)).startsWith("nothing waits");
    }

    private static void answer(String url, String id, String outcome) {
        sqs.sendMessage(
                b ->
                        b.queueUrl(url)
                                .messageBody("{\"custom_id\":\"" + id + "\"}")
                                .messageAttributes(
                                        Map.of(
                                                "batchlane-queue", text("openai/tickets"),
                                                "batchlane-request-id", text(id),
                                                "batchlane-outcome", text(outcome))));
    }

    private static MessageAttributeValue text(String v) {
        return MessageAttributeValue.builder().dataType("String").stringValue(v).build();
    }
}
