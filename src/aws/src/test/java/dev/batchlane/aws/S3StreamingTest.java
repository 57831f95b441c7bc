package dev.batchlane.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchlane.aws.s3.S3ObjectStore;
import dev.batchlane.core.storage.ObjectStore;
import dev.batchlane.emulators.S3MockServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Streaming writes (multipart) and reads that survive broken connections, against the S3 emulator
 * and the SDK's own client; the broken connections come from a TCP proxy that cuts the response
 * part-way, as a dropped connection or a server-side read timeout does.
 */
class S3StreamingTest {
    private static final int MIB = 1024 * 1024;
    private static S3MockServer server;
    private static S3Client s3;

    @BeforeAll
    static void start() {
        server = S3MockServer.start("stream");
        s3 = LocalAws.s3(server.endpoint());
    }

    @AfterAll
    static void stop() {
        s3.close();
        server.close();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void upload_ofManyParts_isTheExactBytes_andVisibleOnlyOnceCompleted() throws Exception {
        S3ObjectStore store = new S3ObjectStore(s3, "stream", 5 * MIB, Duration.ofMillis(10));
        byte[] data = random(17 * MIB + 123, 1);
        try (ObjectStore.Upload up =
                store.upload("results/j/part-00001.jsonl", "application/jsonl")) {
            // Written in odd-sized pieces, as a JSON generator writes.
            for (int off = 0; off < data.length; off += 70_001) {
                up.write(data, off, Math.min(70_001, data.length - off));
            }
            assertThat(store.head("results/j/part-00001.jsonl")).isEmpty();
            up.complete();
            assertThat(up.bytes()).isEqualTo(data.length);
        }
        assertThat(store.head("results/j/part-00001.jsonl").orElseThrow().size())
                .isEqualTo(data.length);
        try (InputStream in = store.open("results/j/part-00001.jsonl")) {
            assertThat(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes()))
                    .isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
        }
    }

    @Test
    void upload_closedWithoutCompleting_leavesNoObject() throws Exception {
        S3ObjectStore store = new S3ObjectStore(s3, "stream", 5 * MIB, Duration.ofMillis(10));
        try (ObjectStore.Upload up =
                store.upload("staging/j/part-00002.jsonl", "application/jsonl")) {
            up.write(random(12 * MIB, 2));
        }
        try (ObjectStore.Upload small =
                store.upload("staging/j/part-00003.jsonl", "application/jsonl")) {
            small.write(new byte[] {1, 2, 3});
        }
        assertThat(store.head("staging/j/part-00002.jsonl")).isEmpty();
        assertThat(store.head("staging/j/part-00003.jsonl")).isEmpty();
    }

    @Test
    void upload_smallerThanOnePart_isOnePut() throws Exception {
        S3ObjectStore store = new S3ObjectStore(s3, "stream", 5 * MIB, Duration.ofMillis(10));
        try (ObjectStore.Upload up = store.upload("rejected/x/errors.jsonl", "application/jsonl")) {
            up.write("{\"line\":1}\n".getBytes());
            up.complete();
        }
        try (InputStream in = store.open("rejected/x/errors.jsonl")) {
            assertThat(new String(in.readAllBytes())).isEqualTo("{\"line\":1}\n");
        }
    }

    @Test
    void read_resumesWhereTheConnectionBroke_andReturnsEveryByteOnce() throws Exception {
        byte[] data = random(6 * MIB, 3);
        s3.putObject(
                b -> b.bucket("stream").key("inbox/openai/big.jsonl"),
                software.amazon.awssdk.core.sync.RequestBody.fromBytes(data));
        try (CuttingProxy proxy = new CuttingProxy(server.endpoint(), 700_000, 3);
                S3Client viaProxy = LocalAws.s3(proxy.endpoint())) {
            S3ObjectStore store =
                    new S3ObjectStore(viaProxy, "stream", 5 * MIB, Duration.ofMillis(10));
            String etag = store.head("inbox/openai/big.jsonl").orElseThrow().etag();
            byte[] read;
            try (InputStream in = store.open("inbox/openai/big.jsonl", etag)) {
                read = in.readAllBytes();
            }
            assertThat(proxy.cuts.get()).as("connections cut").isEqualTo(3);
            assertThat(read.length).isEqualTo(data.length);
            assertThat(read).isEqualTo(data);
        }
    }

    @Test
    void read_thatKeepsBreaking_failsNamingTheObjectAndTheOffset() throws Exception {
        s3.putObject(
                b -> b.bucket("stream").key("inbox/openai/flaky.jsonl"),
                software.amazon.awssdk.core.sync.RequestBody.fromBytes(random(3 * MIB, 4)));
        // The first connection delivers 400 kB; every later one is cut inside its headers: no
        // progress.
        try (CuttingProxy proxy =
                        new CuttingProxy(server.endpoint(), 400_000, Integer.MAX_VALUE, 100);
                S3Client viaProxy = LocalAws.s3(proxy.endpoint())) {
            S3ObjectStore store =
                    new S3ObjectStore(viaProxy, "stream", 5 * MIB, Duration.ofMillis(1));
            assertThatThrownBy(
                            () -> {
                                try (InputStream in = store.open("inbox/openai/flaky.jsonl")) {
                                    in.readAllBytes();
                                }
                            })
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("s3://stream/inbox/openai/flaky.jsonl")
                    .hasMessageMatching(
                            "(?s).*reading failed at byte 3\\d{5} of 3145728 after 5 attempts.*")
                    .hasMessageContaining("attempts");
        }
    }

    /**
     * Forwards TCP to the emulator, closing the first {@code cutsWanted} connections after {@code
     * cutAfter} response bytes.
     */
    private static final class CuttingProxy implements AutoCloseable {
        final ServerSocket listener;
        final URI upstream;
        final AtomicInteger cuts = new AtomicInteger();
        final Thread acceptor;

        CuttingProxy(URI upstream, int cutAfter, int cutsWanted) throws IOException {
            this(upstream, cutAfter, cutsWanted, cutAfter);
        }

        CuttingProxy(URI upstream, int firstCutAfter, int cutsWanted, int laterCutAfter)
                throws IOException {
            this.upstream = upstream;
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            this.acceptor =
                    new Thread(
                            () -> {
                                while (!listener.isClosed()) {
                                    try {
                                        Socket client = listener.accept();
                                        Socket server =
                                                new Socket(upstream.getHost(), upstream.getPort());
                                        pump(
                                                client.getInputStream(),
                                                server.getOutputStream(),
                                                Long.MAX_VALUE,
                                                null,
                                                client,
                                                server);
                                        boolean cut = cuts.get() < cutsWanted;
                                        int cutAfter =
                                                cuts.get() == 0 ? firstCutAfter : laterCutAfter;
                                        pump(
                                                server.getInputStream(),
                                                client.getOutputStream(),
                                                cut ? cutAfter : Long.MAX_VALUE,
                                                cut ? cuts : null,
                                                client,
                                                server);
                                    } catch (IOException e) {
                                        return;
                                    }
                                }
                            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        URI endpoint() {
            return URI.create("http://127.0.0.1:" + listener.getLocalPort());
        }

        private static void pump(
                InputStream in,
                OutputStream out,
                long limit,
                AtomicInteger cuts,
                Socket a,
                Socket b) {
            Thread t =
                    new Thread(
                            () -> {
                                byte[] buf = new byte[16 * 1024];
                                long sent = 0;
                                try {
                                    int n;
                                    while ((n = in.read(buf)) > 0) {
                                        if (sent + n > limit) {
                                            out.write(buf, 0, (int) (limit - sent));
                                            out.flush();
                                            if (cuts != null) {
                                                cuts.incrementAndGet();
                                            }
                                            break;
                                        }
                                        out.write(buf, 0, n);
                                        sent += n;
                                    }
                                } catch (IOException ignored) {
                                    // the other side went away
                                } finally {
                                    try {
                                        a.close();
                                        b.close();
                                    } catch (IOException ignored) {
                                        // closing a broken pair
                                    }
                                }
                            });
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            listener.close();
        }
    }
}
