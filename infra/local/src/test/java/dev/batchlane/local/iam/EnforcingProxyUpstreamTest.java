package dev.batchlane.local.iam;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The proxy when the emulator behind it fails: the caller is told, not hung up on. */
class EnforcingProxyUpstreamTest {

    /**
     * The handler closed its exchange before its catch ran (try-with-resources), so the 502 was
     * written to a closed exchange and the caller saw its connection dropped with no answer.
     */
    @Test
    void upstreamDropsTheConnection_callerGets502NamingTheFailure() throws Exception {
        // An upstream that accepts and hangs up at once; it stays bound for the whole test, so no
        // other process can take its port and answer in its place.
        try (ServerSocket upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread hangUp =
                    new Thread(
                            () -> {
                                while (!upstream.isClosed()) {
                                    try (Socket s = upstream.accept()) {
                                        // closed unanswered
                                    } catch (IOException e) {
                                        return;
                                    }
                                }
                            });
            hangUp.setDaemon(true);
            hangUp.start();
            URI target = URI.create("http://127.0.0.1:" + upstream.getLocalPort());
            try (EnforcingProxy proxy =
                    EnforcingProxy.builder()
                            .operatorKey("local")
                            .service(new DynamoRules("us-east-1", "000000000000"), target)
                            .start()) {
                HttpResponse<String> answer =
                        HttpClient.newHttpClient()
                                .send(
                                        HttpRequest.newBuilder(proxy.endpoint())
                                                .header(
                                                        "Authorization",
                                                        "AWS4-HMAC-SHA256 Credential=local/20261207/"
                                                                + "us-east-1/dynamodb/aws4_request, "
                                                                + "SignedHeaders=host, Signature=0")
                                                .header(
                                                        "X-Amz-Target",
                                                        "DynamoDB_20120810.ListTables")
                                                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString());

                assertThat(answer.statusCode()).isEqualTo(502);
                assertThat(answer.body()).startsWith("the IAM proxy could not forward the call: ");
            }
        }
    }
}
