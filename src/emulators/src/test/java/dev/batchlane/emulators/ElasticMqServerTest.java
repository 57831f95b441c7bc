package dev.batchlane.emulators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

/** ElasticMQ as the lane's tests and local stack use it: through the SDK's own SQS client. */
class ElasticMqServerTest {
    private static ElasticMqServer server;
    private static SqsClient sqs;

    @BeforeAll
    static void start() {
        server = ElasticMqServer.start();
        sqs =
                SqsClient.builder()
                        .endpointOverride(server.endpoint())
                        .region(Region.US_EAST_1)
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
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aMessageSentWithAttributes_isReceivedWithThem() {
        String url = sqs.createQueue(r -> r.queueName("answers")).queueUrl();

        sqs.sendMessage(
                r ->
                        r.queueUrl(url)
                                .messageBody("{\"custom_id\":\"r-1\"}")
                                .messageAttributes(
                                        Map.of(
                                                "batchlane-request-id",
                                                MessageAttributeValue.builder()
                                                        .dataType("String")
                                                        .stringValue("r-1")
                                                        .build())));
        List<Message> received =
                sqs.receiveMessage(
                                r ->
                                        r.queueUrl(url)
                                                .messageAttributeNames("All")
                                                .waitTimeSeconds(1))
                        .messages();

        assertThat(received).hasSize(1);
        assertThat(received.get(0).body()).isEqualTo("{\"custom_id\":\"r-1\"}");
        assertThat(received.get(0).messageAttributes().get("batchlane-request-id").stringValue())
                .isEqualTo("r-1");
    }

    /** A queue URL handed to an application is used as is, so it must name the bound port. */
    @Test
    void queueUrls_nameTheLoopbackAddressAndThePortBound() {
        URI url = URI.create(sqs.createQueue(r -> r.queueName("urls")).queueUrl());

        assertThat(url.getHost()).isEqualTo("127.0.0.1");
        assertThat(url.getPort()).isEqualTo(server.endpoint().getPort()).isPositive();
        assertThat(sqs.getQueueUrl(r -> r.queueName("urls")).queueUrl()).isEqualTo(url.toString());
    }

    @Test
    void aQueueThatDoesNotExist_isRefusedAsSqsRefusesIt() {
        String missing = server.endpoint() + "/000000000000/missing";

        assertThatThrownBy(() -> sqs.sendMessage(r -> r.queueUrl(missing).messageBody("x")))
                .isInstanceOf(QueueDoesNotExistException.class);
    }

    @Test
    void aClasspathNamingAMissingJar_isRefusedNamingIt() {
        String previous = System.setProperty(ElasticMqServer.CLASSPATH_PROPERTY, "/no/such.jar");
        try {
            assertThatThrownBy(ElasticMqServer::locateClasspath)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("/no/such.jar");
        } finally {
            if (previous == null) {
                System.clearProperty(ElasticMqServer.CLASSPATH_PROPERTY);
            } else {
                System.setProperty(ElasticMqServer.CLASSPATH_PROPERTY, previous);
            }
        }
    }
}
