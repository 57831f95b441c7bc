package dev.batchlane.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import dev.batchlane.aws.LocalAws;
import dev.batchlane.emulators.ElasticMqServer;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The intake queue's event source mapping against ElasticMQ: what it sends the function is the SQS
 * event Lambda sends (read here with Lambda's own event classes and serializer, as the Java runtime
 * reads it), and what it deletes follows the function's answer — all on success, none on an error,
 * all but the reported ones on a partial batch response.
 */
class SqsEventSourceTest {
    private static final String ARN = "arn:aws:sqs:us-east-1:000000000000:intake";
    private static ElasticMqServer server;
    private static SqsClient sqs;
    private String queueUrl;
    private RuntimeApi api;
    private FakeFunction function;
    private final List<String> log = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startServer() {
        server = ElasticMqServer.start();
        sqs = LocalAws.sqs(server.endpoint());
    }

    @AfterAll
    static void stopServer() {
        if (sqs != null) {
            sqs.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void queue() throws Exception {
        String name = "intake-" + System.nanoTime();
        queueUrl =
                sqs.createQueue(
                                b ->
                                        b.queueName(name)
                                                .attributes(
                                                        Map.of(
                                                                QueueAttributeName
                                                                        .VISIBILITY_TIMEOUT,
                                                                "1")))
                        .queueUrl();
        api = new RuntimeApi("enqueue", Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() {
        if (function != null) {
            function.stop();
        }
        api.close();
    }

    private SqsEventSource source(boolean partial) {
        return new SqsEventSource(
                sqs,
                new SqsEventSource.Mapping(queueUrl, ARN, 10, partial),
                "us-east-1",
                api,
                log::add,
                1);
    }

    private void send(String body, String provider) {
        sqs.sendMessage(
                b ->
                        b.queueUrl(queueUrl)
                                .messageBody(body)
                                .messageAttributes(
                                        Map.of(
                                                "provider", text(provider),
                                                "queue", text("tickets"),
                                                "reply-to",
                                                        text(
                                                                "http://127.0.0.1:1/000000000000/r"))));
    }

    private static MessageAttributeValue text(String v) {
        return MessageAttributeValue.builder().dataType("String").stringValue(v).build();
    }

    /** Polls until {@code n} messages were received in all, or 20 s pass. */
    private List<SqsEventSource.Outcome> pollUntil(SqsEventSource source, int n) {
        List<SqsEventSource.Outcome> outcomes = new ArrayList<>();
        Instant deadline = Instant.now().plusSeconds(20);
        int received = 0;
        while (received < n && Instant.now().isBefore(deadline)) {
            SqsEventSource.Outcome o = source.pollOnce();
            received += o.received();
            if (o.received() > 0) {
                outcomes.add(o);
            }
        }
        return outcomes;
    }

    private long left() {
        var a =
                sqs.getQueueAttributes(
                                b ->
                                        b.queueUrl(queueUrl)
                                                .attributeNames(
                                                        QueueAttributeName
                                                                .APPROXIMATE_NUMBER_OF_MESSAGES,
                                                        QueueAttributeName
                                                                .APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE))
                        .attributes();
        return Long.parseLong(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                + Long.parseLong(
                        a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
    }

    @Test
    void messages_reachTheFunction_asLambdasSqsEvent_andAreDeletedWhenItSucceeds()
            throws Exception {
        function = new FakeFunction(api, e -> "null");
        send("{\"custom_id\":\"t-1\"}", "openai");
        send("{\"custom_id\":\"t-2\"}", "openai");

        List<SqsEventSource.Outcome> outcomes = pollUntil(source(true), 2);

        assertThat(outcomes.stream().mapToInt(SqsEventSource.Outcome::deleted).sum()).isEqualTo(2);
        List<SQSEvent.SQSMessage> seen = function.messages();
        assertThat(seen)
                .extracting(SQSEvent.SQSMessage::getBody)
                .containsExactlyInAnyOrder("{\"custom_id\":\"t-1\"}", "{\"custom_id\":\"t-2\"}");
        for (SQSEvent.SQSMessage m : seen) {
            assertThat(m.getMessageId()).isNotBlank();
            assertThat(m.getReceiptHandle()).isNotBlank();
            assertThat(m.getEventSource()).isEqualTo("aws:sqs");
            assertThat(m.getEventSourceArn()).isEqualTo(ARN);
            assertThat(m.getAwsRegion()).isEqualTo("us-east-1");
            assertThat(m.getMd5OfBody()).isEqualTo(md5(m.getBody()));
            assertThat(m.getAttributes())
                    .containsEntry("ApproximateReceiveCount", "1")
                    .containsKeys("SentTimestamp", "ApproximateFirstReceiveTimestamp");
            assertThat(m.getMessageAttributes()).containsOnlyKeys("provider", "queue", "reply-to");
            assertThat(m.getMessageAttributes().get("provider").getStringValue())
                    .isEqualTo("openai");
            assertThat(m.getMessageAttributes().get("provider").getDataType()).isEqualTo("String");
            assertThat(m.getMessageAttributes().get("queue").getStringValue()).isEqualTo("tickets");
        }
        assertThat(function.rawEvents().get(0)).contains("\"eventSourceARN\":\"" + ARN + "\"");
        assertThat(left()).isZero();
    }

    @Test
    void partialBatchResponse_deletesTheRest_andTheReportedMessageReturnsAfterTheVisibilityTimeout()
            throws Exception {
        // Fails the "bad" message the first time it is delivered, then takes it.
        function =
                new FakeFunction(
                        api,
                        event -> {
                            StringBuilder failures = new StringBuilder();
                            for (SQSEvent.SQSMessage m : event.getRecords()) {
                                if (m.getBody().contains("bad")
                                        && "1"
                                                .equals(
                                                        m.getAttributes()
                                                                .get("ApproximateReceiveCount"))) {
                                    failures.append(failures.isEmpty() ? "" : ",")
                                            .append("{\"itemIdentifier\":\"")
                                            .append(m.getMessageId())
                                            .append("\"}");
                                }
                            }
                            return "{\"batchItemFailures\":[" + failures + "]}";
                        });
        send("{\"custom_id\":\"ok-1\"}", "openai");
        send("{\"custom_id\":\"bad\"}", "openai");
        send("{\"custom_id\":\"ok-2\"}", "openai");
        SqsEventSource source = source(true);

        List<SqsEventSource.Outcome> first = pollUntil(source, 3);
        assertThat(first.stream().mapToInt(SqsEventSource.Outcome::deleted).sum()).isEqualTo(2);
        assertThat(first.stream().mapToInt(SqsEventSource.Outcome::kept).sum()).isEqualTo(1);
        assertThat(left()).isEqualTo(1);

        List<SqsEventSource.Outcome> again = pollUntil(source, 1);
        assertThat(again.stream().mapToInt(SqsEventSource.Outcome::deleted).sum()).isEqualTo(1);
        List<SQSEvent.SQSMessage> bad =
                function.messages().stream().filter(m -> m.getBody().contains("bad")).toList();
        assertThat(bad).hasSize(2);
        assertThat(bad.get(1).getMessageId()).isEqualTo(bad.get(0).getMessageId());
        assertThat(bad.get(1).getAttributes()).containsEntry("ApproximateReceiveCount", "2");
        assertThat(left()).isZero();
    }

    @Test
    void aFunctionError_deletesNothing() throws Exception {
        function = new FakeFunction(api, null);
        send("{\"custom_id\":\"e-1\"}", "openai");
        send("{\"custom_id\":\"e-2\"}", "openai");

        List<SqsEventSource.Outcome> outcomes = pollUntil(source(true), 2);

        assertThat(outcomes.stream().mapToInt(SqsEventSource.Outcome::deleted).sum()).isZero();
        assertThat(outcomes).allSatisfy(o -> assertThat(o.error()).contains("boom"));
        assertThat(left()).isEqualTo(2);
    }

    @Test
    void aResponseNamingAnIdNotInTheBatch_failsTheWholeBatch_asOnLambda() throws Exception {
        function =
                new FakeFunction(
                        api, e -> "{\"batchItemFailures\":[{\"itemIdentifier\":\"no-such-id\"}]}");
        send("{\"custom_id\":\"x\"}", "openai");

        List<SqsEventSource.Outcome> outcomes = pollUntil(source(true), 1);

        assertThat(outcomes.get(0).deleted()).isZero();
        assertThat(left()).isEqualTo(1);
        assertThat(log).anySatisfy(l -> assertThat(l).contains("no-such-id"));
    }

    @Test
    void withoutReportBatchItemFailures_aResponseNamingFailuresStillDeletesAll() throws Exception {
        function =
                new FakeFunction(
                        api,
                        e ->
                                "{\"batchItemFailures\":[{\"itemIdentifier\":\""
                                        + e.getRecords().get(0).getMessageId()
                                        + "\"}]}");
        send("{\"custom_id\":\"y\"}", "openai");

        assertThat(pollUntil(source(false), 1).get(0).deleted()).isEqualTo(1);
        assertThat(left()).isZero();
    }

    private static String md5(String s) throws Exception {
        byte[] d = MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8));
        return String.format("%032x", new BigInteger(1, d));
    }

    /**
     * A function on the Runtime API that reads each event with Lambda's own serializer for {@link
     * SQSEvent} and answers with {@code answer} (null: fails with "boom").
     */
    static final class FakeFunction {
        private final HttpClient http = HttpClient.newHttpClient();
        private final List<SQSEvent.SQSMessage> messages = new CopyOnWriteArrayList<>();
        private final List<String> raw = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile boolean stopped;

        FakeFunction(RuntimeApi api, Function<SQSEvent, String> answer) {
            var serializer =
                    LambdaEventSerializers.serializerFor(
                            SQSEvent.class, SQSEvent.class.getClassLoader());
            String base = "http://" + api.address() + "/2018-06-01/runtime/invocation/";
            thread =
                    new Thread(
                            () -> {
                                while (!stopped) {
                                    try {
                                        HttpResponse<String> next =
                                                http.send(
                                                        HttpRequest.newBuilder(
                                                                        URI.create(base + "next"))
                                                                .build(),
                                                        HttpResponse.BodyHandlers.ofString());
                                        String id =
                                                next.headers()
                                                        .firstValue("Lambda-Runtime-Aws-Request-Id")
                                                        .orElseThrow();
                                        raw.add(next.body());
                                        SQSEvent event = serializer.fromJson(next.body());
                                        messages.addAll(event.getRecords());
                                        String path = answer == null ? "/error" : "/response";
                                        String body =
                                                answer == null
                                                        ? "{\"errorMessage\":\"boom\",\"errorType\":\"RuntimeException\"}"
                                                        : answer.apply(event);
                                        http.send(
                                                HttpRequest.newBuilder(URI.create(base + id + path))
                                                        .POST(
                                                                HttpRequest.BodyPublishers.ofString(
                                                                        body))
                                                        .build(),
                                                HttpResponse.BodyHandlers.discarding());
                                    } catch (Exception e) {
                                        if (!stopped) {
                                            throw new IllegalStateException(e);
                                        }
                                    }
                                }
                            },
                            "fake-enqueue");
            thread.setDaemon(true);
            thread.start();
        }

        List<SQSEvent.SQSMessage> messages() {
            return List.copyOf(messages);
        }

        List<String> rawEvents() {
            return List.copyOf(raw);
        }

        void stop() {
            stopped = true;
            thread.interrupt();
        }
    }
}
