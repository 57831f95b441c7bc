package dev.batchlane.emulators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * DynamoDB Local cannot report the port it took, so a free one is chosen first; with builds side by
 * side another process can bind it in between. Before, the start then failed the whole test class.
 */
class DynamoDbLocalServerTest {

    @Test
    void aChosenPortTakenBeforeTheServerBindsIt_anotherIsTried() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int takenPort = taken.getLocalPort();
            AtomicInteger asked = new AtomicInteger();

            try (DynamoDbLocalServer server =
                    DynamoDbLocalServer.start(
                            () -> asked.getAndIncrement() == 0 ? takenPort : Ports.free())) {
                assertThat(asked.get()).isGreaterThanOrEqualTo(2);
                assertThat(server.endpoint().getPort()).isNotEqualTo(takenPort);
            }
        }
    }

    @Test
    void aFailureOtherThanATakenPort_isNotRetried() {
        AtomicInteger asked = new AtomicInteger();

        assertThatThrownBy(
                        () ->
                                DynamoDbLocalServer.start(
                                        () -> {
                                            asked.incrementAndGet();
                                            return -1;
                                        }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("DynamoDB Local did not start on port -1");
        assertThat(asked).hasValue(1);
    }
}
