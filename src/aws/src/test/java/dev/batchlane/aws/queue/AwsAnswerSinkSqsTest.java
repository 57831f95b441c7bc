package dev.batchlane.aws.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.aws.CountingInterceptor;
import dev.batchlane.aws.LocalAws;
import dev.batchlane.core.queue.Answer;
import dev.batchlane.core.queue.QueueName;
import dev.batchlane.emulators.ElasticMqServer;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/** Answers with a reply queue, as ElasticMQ (SQS's semantics and limits) receives them. */
class AwsAnswerSinkSqsTest {
    private static final QueueName TICKETS = new QueueName("openai", "tickets");
    private static ElasticMqServer elasticMq;
    private static SqsClient sqs;
    private static EventBridgeClient unusedEvents;
    private static final CountingInterceptor calls = new CountingInterceptor();
    private AwsAnswerSink sink;

    @BeforeAll
    static void start() {
        elasticMq = ElasticMqServer.start();
        sqs =
                SqsClient.builder()
                        .endpointOverride(elasticMq.endpoint())
                        .region(LocalAws.REGION)
                        .credentialsProvider(
                                StaticCredentialsProvider.create(
                                        AwsBasicCredentials.create("local", "local")))
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .overrideConfiguration(c -> c.addExecutionInterceptor(calls))
                        .build();
        // Every answer here names a reply queue; a call to this endpoint (nothing listens) fails.
        unusedEvents =
                EventBridgeClient.builder()
                        .endpointOverride(URI.create("http://127.0.0.1:9"))
                        .region(LocalAws.REGION)
                        .credentialsProvider(
                                StaticCredentialsProvider.create(
                                        AwsBasicCredentials.create("local", "local")))
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .build();
    }

    @AfterAll
    static void stop() {
        if (sqs != null) {
            sqs.close();
            unusedEvents.close();
        }
        if (elasticMq != null) {
            elasticMq.close();
        }
    }

    @BeforeEach
    void newSink() {
        sink = new AwsAnswerSink(sqs, unusedEvents, "batchlane");
        calls.reset();
    }

    private static String queue() {
        String name = "replies-" + UUID.randomUUID();
        return sqs.createQueue(r -> r.queueName(name)).queueUrl();
    }

    private static Answer answer(String id, String replyTo, String outcome) {
        return new Answer(
                TICKETS,
                id,
                replyTo,
                "{\"custom_id\":\"" + id + "\",\"outcome\":\"" + outcome + "\"}",
                outcome);
    }

    private static List<Message> drain(String queueUrl) {
        List<Message> all = new ArrayList<>();
        while (true) {
            List<Message> got =
                    sqs.receiveMessage(
                                    r ->
                                            r.queueUrl(queueUrl)
                                                    .maxNumberOfMessages(10)
                                                    .messageAttributeNames("All"))
                            .messages();
            if (got.isEmpty()) {
                return all;
            }
            all.addAll(got);
            got.forEach(
                    m ->
                            sqs.deleteMessage(
                                    d -> d.queueUrl(queueUrl).receiptHandle(m.receiptHandle())));
        }
    }

    private static String attribute(Message m, String name) {
        var value = m.messageAttributes().get(name);
        return value == null ? null : value.stringValue();
    }

    @Test
    void answers_landOnTheQueuesTheirRequestsNamed_withQueueIdAndOutcomeAttributes() {
        String first = queue();
        String second = queue();

        List<Answer> notSent =
                sink.send(
                        List.of(
                                answer("r-1", first, "succeeded"),
                                answer("r-2", second, "failed"),
                                answer("r-3", first, "rejected")));

        assertThat(notSent).isEmpty();
        List<Message> atFirst = drain(first);
        assertThat(atFirst)
                .extracting(m -> attribute(m, "batchlane-request-id"))
                .containsExactlyInAnyOrder("r-1", "r-3");
        Message r1 =
                atFirst.stream()
                        .filter(m -> "r-1".equals(attribute(m, "batchlane-request-id")))
                        .findFirst()
                        .orElseThrow();
        assertThat(r1.body()).isEqualTo("{\"custom_id\":\"r-1\",\"outcome\":\"succeeded\"}");
        assertThat(attribute(r1, "batchlane-queue")).isEqualTo("openai/tickets");
        assertThat(attribute(r1, "batchlane-outcome")).isEqualTo("succeeded");
        assertThat(r1.messageAttributes().get("batchlane-queue").dataType()).isEqualTo("String");
        List<Message> atSecond = drain(second);
        assertThat(atSecond).hasSize(1);
        assertThat(attribute(atSecond.get(0), "batchlane-request-id")).isEqualTo("r-2");
        assertThat(attribute(atSecond.get(0), "batchlane-outcome")).isEqualTo("failed");
        assertThat(calls.calls("SendMessageBatch")).isEqualTo(2);
    }

    @Test
    void aReplyQueueThatDoesNotExist_returnsOnlyItsAnswers_andTheOthersAreDelivered() {
        String present = queue();
        String missing = elasticMq.endpoint() + "/000000000000/no-such-queue";
        Answer lost1 = answer("r-2", missing, "succeeded");
        Answer lost2 = answer("r-4", missing, "succeeded");

        List<Answer> notSent =
                sink.send(
                        List.of(
                                answer("r-1", present, "succeeded"),
                                lost1,
                                answer("r-3", present, "succeeded"),
                                lost2));

        assertThat(notSent).containsExactly(lost1, lost2);
        assertThat(drain(present))
                .extracting(m -> attribute(m, "batchlane-request-id"))
                .containsExactlyInAnyOrder("r-1", "r-3");
    }

    @Test
    void moreThanTenAnswersForOneQueue_goInBatchesOfTen() {
        String replies = queue();
        List<Answer> answers = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            answers.add(answer("r-" + i, replies, "succeeded"));
        }

        assertThat(sink.send(answers)).isEmpty();

        assertThat(calls.calls("SendMessageBatch")).isEqualTo(3);
        assertThat(drain(replies)).hasSize(23);
    }

    /**
     * Ten answers near the size AnswerDelivery still carries whole are far over what one
     * SendMessageBatch takes (256 KiB all together); SQS would refuse the whole call.
     */
    @Test
    void largeAnswers_goInBatchesWithinSqsBatchSizeLimit() {
        String replies = queue();
        String big = "x".repeat(100 * 1024);
        List<Answer> answers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            answers.add(
                    new Answer(
                            TICKETS,
                            "r-" + i,
                            replies,
                            "{\"custom_id\":\"r-" + i + "\",\"text\":\"" + big + "\"}",
                            "succeeded"));
        }

        assertThat(sink.send(answers)).isEmpty();

        assertThat(calls.calls("SendMessageBatch")).isEqualTo(3);
        assertThat(drain(replies)).hasSize(5);
    }

    @Test
    void anAnswerOverSqsMessageLimit_isReturnedNotSent_andTheOthersGo() {
        String replies = queue();
        Answer oversized =
                new Answer(
                        TICKETS,
                        "r-big",
                        replies,
                        "{\"text\":\"" + "x".repeat(300 * 1024) + "\"}",
                        "succeeded");

        List<Answer> notSent = sink.send(List.of(answer("r-1", replies, "succeeded"), oversized));

        assertThat(notSent).containsExactly(oversized);
        assertThat(drain(replies))
                .extracting(m -> attribute(m, "batchlane-request-id"))
                .containsExactly("r-1");
    }

    /**
     * A request refused at enqueue may have had no id; its answer still goes, without that
     * attribute.
     */
    @Test
    void anAnswerWithoutRequestId_isSentWithoutThatAttribute() {
        String replies = queue();
        Answer refusal =
                new Answer(
                        TICKETS,
                        null,
                        replies,
                        "{\"custom_id\":null,\"outcome\":\"rejected\"}",
                        "rejected");

        assertThat(sink.send(List.of(refusal))).isEmpty();

        List<Message> got = drain(replies);
        assertThat(got).hasSize(1);
        assertThat(got.get(0).messageAttributes())
                .containsOnlyKeys("batchlane-queue", "batchlane-outcome");
    }
}
