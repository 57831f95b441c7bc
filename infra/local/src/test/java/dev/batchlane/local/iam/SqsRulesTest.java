package dev.batchlane.local.iam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.batchlane.aws.LocalAws;
import dev.batchlane.emulators.ElasticMqServer;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SqsException;

/**
 * SQS behind the enforcing proxy, called with the SDK's own SQS client (the JSON protocol it
 * speaks): a role's grants on a queue ARN let the call reach ElasticMQ; anything else is answered
 * as SQS answers AccessDenied and never reaches the queue.
 */
class SqsRulesTest {
    private static final String ACCOUNT = "000000000000";
    private static ElasticMqServer server;
    private static SqsClient operator;
    private static EnforcingProxy proxy;
    private static String intakeUrl;
    private static String replyUrl;
    private static String otherUrl;

    /** What the construct grants: enqueue consumes the intake queue; poll answers to replies. */
    @BeforeAll
    static void start() throws Exception {
        server = ElasticMqServer.start();
        operator = LocalAws.sqs(server.endpoint());
        intakeUrl = operator.createQueue(b -> b.queueName("intake")).queueUrl();
        replyUrl = operator.createQueue(b -> b.queueName("batchlane-replies-app")).queueUrl();
        otherUrl = operator.createQueue(b -> b.queueName("someone-elses")).queueUrl();
        String arn = "arn:aws:sqs:us-east-1:" + ACCOUNT + ":";
        proxy =
                EnforcingProxy.builder()
                        .operatorKey("local")
                        .service(new SqsRules("us-east-1", ACCOUNT), server.endpoint())
                        .principal(
                                "KEYenqueue",
                                principal(
                                        "enqueue",
                                        allow(
                                                List.of(
                                                        "sqs:ReceiveMessage",
                                                        "sqs:ChangeMessageVisibility",
                                                        "sqs:GetQueueUrl",
                                                        "sqs:DeleteMessage",
                                                        "sqs:GetQueueAttributes"),
                                                arn + "intake"),
                                        allow(
                                                List.of("sqs:SendMessage"),
                                                arn + "batchlane-replies-*")))
                        .principal(
                                "KEYpoll",
                                principal(
                                        "poll",
                                        allow(
                                                List.of("sqs:SendMessage"),
                                                arn + "batchlane-replies-*")))
                        .start();
    }

    private static IamStatement allow(List<String> actions, String resource) {
        return new IamStatement(
                null, true, actions, false, List.of(resource), false, Map.of(), List.of(), "test");
    }

    private static EnforcingProxy.Principal principal(String fn, IamStatement... statements) {
        return new EnforcingProxy.Principal(
                fn, "arn:aws:iam::" + ACCOUNT + ":role/" + fn + "-role", List.of(statements));
    }

    private static SqsClient as(String key) {
        return SqsClient.builder()
                .endpointOverride(proxy.endpoint())
                .region(LocalAws.REGION)
                .credentialsProvider(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create(key, "x")))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (operator != null) {
            operator.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void queueUrl_namesTheAccountAndQueue_andAnAwsUrlItsRegion() {
        SqsRules rules = new SqsRules("us-east-1", ACCOUNT);
        assertThat(rules.queueArn(replyUrl))
                .contains("arn:aws:sqs:us-east-1:" + ACCOUNT + ":batchlane-replies-app");
        assertThat(rules.queueArn("https://sqs.eu-west-1.amazonaws.com/123456789012/q"))
                .contains("arn:aws:sqs:eu-west-1:123456789012:q");
        assertThat(rules.queueArn("not a url")).isEmpty();
        assertThat(rules.queueArn("http://127.0.0.1:1/only-one-part")).isEmpty();
    }

    @Test
    void sendMessageBatch_toAGrantedReplyQueue_isAuthorizedAsSendMessage_andDelivered() {
        try (SqsClient poll = as("KEYpoll")) {
            var r =
                    poll.sendMessageBatch(
                            b ->
                                    b.queueUrl(replyUrl)
                                            .entries(
                                                    SendMessageBatchRequestEntry.builder()
                                                            .id("0")
                                                            .messageBody("{\"custom_id\":\"a\"}")
                                                            .build()));
            assertThat(r.successful()).hasSize(1);
        }
        List<Message> got =
                operator.receiveMessage(b -> b.queueUrl(replyUrl).waitTimeSeconds(1)).messages();
        assertThat(got).extracting(Message::body).containsExactly("{\"custom_id\":\"a\"}");
        operator.deleteMessage(b -> b.queueUrl(replyUrl).receiptHandle(got.get(0).receiptHandle()));
        assertThat(proxy.observations())
                .anySatisfy(
                        o -> {
                            assertThat(o.function()).isEqualTo("poll");
                            assertThat(o.action()).isEqualTo("sqs:SendMessage");
                            assertThat(o.resource())
                                    .isEqualTo(
                                            "arn:aws:sqs:us-east-1:"
                                                    + ACCOUNT
                                                    + ":batchlane-replies-app");
                            assertThat(o.denied()).isFalse();
                        });
    }

    @Test
    void sendMessage_toAQueueTheRoleDoesNotName_isAccessDenied_andNeverSent() {
        SqsException e;
        try (SqsClient poll = as("KEYpoll")) {
            e =
                    catchThrowableOfType(
                            SqsException.class,
                            () -> poll.sendMessage(b -> b.queueUrl(otherUrl).messageBody("x")));
        }
        assertThat(e).isNotNull();
        assertThat(e.statusCode()).isEqualTo(403);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
        assertThat(e.getMessage())
                .contains("assumed-role/poll-role/poll")
                .contains("sqs:SendMessage")
                .contains("arn:aws:sqs:us-east-1:" + ACCOUNT + ":someone-elses");
        assertThat(operator.receiveMessage(b -> b.queueUrl(otherUrl).waitTimeSeconds(0)).messages())
                .isEmpty();
    }

    @Test
    void eventSourceCalls_receiveAndDeleteBatch_onTheIntakeQueue_areAllowed_elsewhereDenied() {
        operator.sendMessage(b -> b.queueUrl(intakeUrl).messageBody("line"));
        try (SqsClient enqueue = as("KEYenqueue")) {
            List<Message> got =
                    enqueue.receiveMessage(
                                    b ->
                                            b.queueUrl(intakeUrl)
                                                    .maxNumberOfMessages(10)
                                                    .waitTimeSeconds(1))
                            .messages();
            assertThat(got).hasSize(1);
            var deleted =
                    enqueue.deleteMessageBatch(
                            b ->
                                    b.queueUrl(intakeUrl)
                                            .entries(
                                                    e ->
                                                            e.id("0")
                                                                    .receiptHandle(
                                                                            got.get(0)
                                                                                    .receiptHandle())));
            assertThat(deleted.successful()).hasSize(1);
            assertThat(enqueue.getQueueUrl(b -> b.queueName("intake")).queueUrl())
                    .isEqualTo(intakeUrl);

            SqsException denied =
                    catchThrowableOfType(
                            SqsException.class,
                            () -> enqueue.receiveMessage(b -> b.queueUrl(replyUrl)));
            assertThat(denied.awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
            assertThat(denied.getMessage()).contains("sqs:ReceiveMessage");
        }
    }

    @Test
    void anOperationNoRuleMaps_isDenied_namingIt() {
        try (SqsClient enqueue = as("KEYenqueue")) {
            SqsException e =
                    catchThrowableOfType(
                            SqsException.class,
                            () ->
                                    enqueue.tagQueue(
                                            b -> b.queueUrl(intakeUrl).tags(Map.of("a", "b"))));
            assertThat(e.statusCode()).isEqualTo(403);
            assertThat(e.getMessage()).contains("AmazonSQS.TagQueue");
        }
    }

    @Test
    void theOperator_passesUnchecked() {
        try (SqsClient owner = as("local")) {
            assertThat(owner.listQueues().queueUrls()).contains(intakeUrl, replyUrl, otherUrl);
        }
        assertThat(URI.create(intakeUrl).getPath()).isEqualTo("/" + ACCOUNT + "/intake");
    }
}
