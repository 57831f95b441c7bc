package dev.batchlane.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.aws.dynamo.DynamoQueueBuffer;
import dev.batchlane.aws.s3.S3ObjectStore;
import dev.batchlane.core.queue.QueueLookup;
import dev.batchlane.core.queue.QueueName;
import dev.batchlane.simulator.openai.BatchSnapshot;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The queue lane on the whole local stack, as an application uses it: 200 messages on the intake
 * queue (ten of them sent twice, two that break OpenAI's rules), every answer on the reply queue.
 * Nothing here calls a function: the SQS event source feeds enqueue, poll flushes and answers, and
 * every call of every function passes the deployed roles.
 */
class QueueStackTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final QueueName TICKETS = new QueueName("openai", "tickets");

    /** Flushes of at most 100 requests, the rest after 10 s: 188 requests are two batches. */
    private static final String POLICIES =
            "{\"default\": {\"max-wait\": \"PT10S\"}, \"openai/tickets\": {\"max-requests\": 100}}";

    private static Stack stack;
    private static final List<String> log = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Path home = Path.of("../..").toAbsolutePath().normalize();
        // The queue lane needs the construct's enqueue function; a template without it has none.
        Assumptions.assumeTrue(
                LaneTemplate.read(LaneTemplateTest.TEMPLATE).containsKey(LaneTemplate.ENQUEUE),
                "the synthesized template has no enqueue function yet");
        stack =
                Stack.start(
                        Stack.Options.of(
                                        home,
                                        Duration.ofMillis(500),
                                        500,
                                        line -> {
                                            synchronized (log) {
                                                log.add(line);
                                            }
                                        })
                                .withQueuePolicies(POLICIES));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    private static String line(String id, String method, boolean model) {
        return "{\"custom_id\":\""
                + id
                + "\",\"method\":\""
                + method
                + "\",\"url\":\"/v1/chat/completions\",\"body\":{"
                + (model ? "\"model\":\"gpt-4o-mini\"," : "")
                + "\"messages\":[{\"role\":\"user\",\"content\":\"ticket "
                + id
                + "\"}]}}";
    }

    @Test
    void requestsOnTheIntakeQueue_areEachAnsweredOnce_badOnesAtOnce_inThePolicysBatches(
            @TempDir Path tmp) throws Exception {
        // The bad ones first: refused in the first batch enqueue takes, before any flush.
        List<String> lines = new ArrayList<>();
        lines.add(line("bad-method", "GET", true));
        lines.add(line("bad-model", "POST", false));
        for (int i = 1; i <= 188; i++) {
            lines.add(line(String.format("q-%03d", i), "POST", true));
        }
        for (int i = 1; i <= 10; i++) {
            lines.add(line(String.format("q-%03d", i * 7), "POST", true));
        }
        Path file = tmp.resolve("tickets.jsonl");
        Files.write(file, lines);
        String reply = QueueSendCommand.replyQueue(stack.sqs(), "batchlane-replies-e2e");

        QueueSendCommand.Sent sent =
                QueueSendCommand.send(
                        stack.sqs(), stack.intakeQueueUrl(), file, TICKETS, reply, 0, l -> {});
        assertThat(sent.sent()).isEqualTo(200);

        Map<String, List<JsonNode>> answers = new HashMap<>();
        Map<String, Instant> answeredAt = new HashMap<>();
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
        while (answers.size() < 190 && Instant.now().isBefore(deadline)) {
            receive(reply, 2, answers, answeredAt);
        }
        // Anything sent twice would be here by now: one more quiet spell.
        receive(reply, 3, answers, answeredAt);

        assertThat(answers).as("log: %s", log).hasSize(190);
        answers.forEach((id, got) -> assertThat(got).as("answers to %s", id).hasSize(1));
        for (int i = 1; i <= 188; i++) {
            JsonNode a = answers.get(String.format("q-%03d", i)).get(0);
            assertThat(a.path("outcome").asText()).isEqualTo("succeeded");
            assertThat(a.path("response").isMissingNode()).isFalse();
        }
        JsonNode method = answers.get("bad-method").get(0);
        assertThat(method.path("outcome").asText()).isEqualTo("rejected");
        assertThat(method.at("/error/code").asText()).isEqualTo("method_invalid");
        assertThat(answers.get("bad-model").get(0).at("/error/code").asText())
                .isEqualTo("model_missing");
        // Refused at enqueue, before the first flush could even be written.
        Instant firstValid =
                answeredAt.entrySet().stream()
                        .filter(e -> e.getKey().startsWith("q-"))
                        .map(Map.Entry::getValue)
                        .min(Instant::compareTo)
                        .orElseThrow();
        assertThat(answeredAt.get("bad-method")).isBefore(firstValid);
        assertThat(answeredAt.get("bad-model")).isBefore(firstValid);

        OpenAiSimulator openai = stack.simulator("openai", OpenAiSimulator.class).orElseThrow();
        assertThat(openai.batches())
                .extracting(BatchSnapshot::total)
                .containsExactlyInAnyOrder(100, 88);

        QueueLookup lookup =
                new QueueLookup(
                        new DynamoQueueBuffer(stack.dynamo(), Stack.TABLE, Clock.systemUTC()),
                        new S3ObjectStore(stack.s3(), Stack.BUCKET));
        QueueLookup.Found found = lookup.find(TICKETS, "q-007");
        assertThat(found.state()).isEqualTo("answered");
        assertThat(JSON.readTree(found.answer()).path("custom_id").asText()).isEqualTo("q-007");
        assertThat(lookup.find(TICKETS, "never-sent").state()).isEqualTo("unknown");

        assertThat(stack.iam().denials()).as("IAM denials").isEmpty();
        // The queue lane's calls went through the enforcement with each function's own role: the
        // event source mapping's with enqueue's, refusals sent by enqueue, answers by poll.
        String intake = stack.intakeQueueArn();
        String replyArn = "arn:aws:sqs:us-east-1:000000000000:batchlane-replies-e2e";
        assertThat(
                        stack.iam().observations().stream()
                                .filter(o -> o.action().startsWith("sqs:"))
                                .map(o -> o.function() + " " + o.action() + " " + o.resource())
                                .distinct())
                .contains(
                        "enqueue sqs:ReceiveMessage " + intake,
                        "enqueue sqs:DeleteMessage " + intake,
                        "enqueue sqs:SendMessage " + replyArn,
                        "poll sqs:SendMessage " + replyArn);
    }

    private static void receive(
            String url,
            int waitSeconds,
            Map<String, List<JsonNode>> answers,
            Map<String, Instant> answeredAt)
            throws Exception {
        List<Message> got =
                stack.sqs()
                        .receiveMessage(
                                b ->
                                        b.queueUrl(url)
                                                .maxNumberOfMessages(10)
                                                .waitTimeSeconds(waitSeconds)
                                                .messageAttributeNames("All"))
                        .messages();
        for (Message m : got) {
            String id = m.messageAttributes().get("batchlane-request-id").stringValue();
            assertThat(m.messageAttributes().get("batchlane-queue").stringValue())
                    .isEqualTo("openai/tickets");
            JsonNode body = JSON.readTree(m.body());
            assertThat(body.path("custom_id").asText()).isEqualTo(id);
            answers.computeIfAbsent(id, k -> new ArrayList<>()).add(body);
            answeredAt.putIfAbsent(id, Instant.now());
            stack.sqs().deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
        }
    }
}
