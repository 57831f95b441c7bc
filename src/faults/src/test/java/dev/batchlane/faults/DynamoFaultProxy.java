package dev.batchlane.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;

/**
 * An HTTP proxy in front of DynamoDB Local that answers some calls the way DynamoDB itself does
 * when it is busy, in DynamoDB's JSON 1.0 wire format, so the AWS SDK parses them into its own
 * exceptions: a {@code TransactWriteItems} cancelled with a {@code ThrottlingError} or a {@code
 * TransactionConflict} reason on one of its items ({@code TransactionCanceledException}, HTTP 400,
 * which the SDK does not retry), and {@code ProvisionedThroughputExceededException} (HTTP 400,
 * which the SDK retries with backoff). Every other call goes to DynamoDB Local as it came. DynamoDB
 * Local itself never throttles and only rarely conflicts, which is why this exists.
 */
final class DynamoFaultProxy implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TARGET_PREFIX = "DynamoDB_20120810.";
    private static final Set<String> HOP_BY_HOP =
            Set.of(
                    "host",
                    "content-length",
                    "connection",
                    "expect",
                    "transfer-encoding",
                    "upgrade",
                    "keep-alive");

    /** What a faulted call answers. */
    enum Fault {
        /**
         * TransactionCanceledException, the reason ThrottlingError on one item and None on the
         * others.
         */
        TRANSACTION_THROTTLED,
        /** TransactionCanceledException, the reason TransactionConflict on one item. */
        TRANSACTION_CONFLICT,
        /** ProvisionedThroughputExceededException (the SDK retries it before giving up). */
        THROUGHPUT_EXCEEDED
    }

    private final HttpServer server;
    private final HttpClient client = HttpClient.newHttpClient();
    private final URI target;
    private final Map<String, AtomicInteger> next = new ConcurrentHashMap<>();
    private final Map<String, Fault> nextFault = new ConcurrentHashMap<>();
    private volatile double fraction;
    private volatile String fractionOperation;
    private volatile Random random = new Random(0);
    private final AtomicInteger injected = new AtomicInteger();

    private DynamoFaultProxy(URI target) throws IOException {
        this.target = target;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(
                Executors.newCachedThreadPool(
                        r -> {
                            Thread t = new Thread(r, "dynamo-fault-proxy");
                            t.setDaemon(true);
                            return t;
                        }));
        server.start();
    }

    static DynamoFaultProxy start(URI dynamoLocal) {
        try {
            return new DynamoFaultProxy(dynamoLocal);
        } catch (IOException e) {
            throw new IllegalStateException("the DynamoDB fault proxy did not start", e);
        }
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /**
     * The next {@code count} calls of {@code operation} (for example "TransactWriteItems") answer
     * {@code fault}.
     */
    void failNext(String operation, int count, Fault fault) {
        // The fault first: a call arriving between the two writes would otherwise count down and
        // find no fault to answer with.
        nextFault.put(operation, fault);
        next.put(operation, new AtomicInteger(count));
    }

    /**
     * Each call of {@code operation} is cancelled as throttled or conflicting with this
     * probability.
     */
    void failTransactions(double probability, long seed) {
        random = new Random(seed);
        fractionOperation = "TransactWriteItems";
        fraction = probability;
    }

    void reset() {
        next.clear();
        nextFault.clear();
        fraction = 0;
        fractionOperation = null;
        injected.set(0);
    }

    /** How many answers the proxy made up so far. */
    int injected() {
        return injected.get();
    }

    private Fault faultFor(String operation) {
        AtomicInteger left = next.get(operation);
        if (left != null && left.getAndDecrement() > 0) {
            return nextFault.get(operation);
        }
        if (operation.equals(fractionOperation)) {
            synchronized (this) {
                if (random.nextDouble() < fraction) {
                    return random.nextBoolean()
                            ? Fault.TRANSACTION_THROTTLED
                            : Fault.TRANSACTION_CONFLICT;
                }
            }
        }
        return null;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            String targetHeader = ex.getRequestHeaders().getFirst("X-Amz-Target");
            String operation =
                    targetHeader != null && targetHeader.startsWith(TARGET_PREFIX)
                            ? targetHeader.substring(TARGET_PREFIX.length())
                            : "";
            Fault fault = faultFor(operation);
            if (fault != null) {
                injected.incrementAndGet();
                answer(ex, 400, error(fault, body));
                return;
            }
            forward(ex, body);
        }
    }

    private void forward(HttpExchange ex, byte[] body) throws IOException {
        HttpRequest.Builder req =
                HttpRequest.newBuilder(target.resolve(ex.getRequestURI().toString()))
                        .method(
                                ex.getRequestMethod(),
                                HttpRequest.BodyPublishers.ofByteArray(body));
        ex.getRequestHeaders()
                .forEach(
                        (name, values) -> {
                            if (!HOP_BY_HOP.contains(name.toLowerCase())) {
                                values.forEach(v -> req.header(name, v));
                            }
                        });
        HttpResponse<byte[]> res;
        try {
            res = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted forwarding to DynamoDB Local", e);
        }
        res.headers()
                .map()
                .forEach(
                        (name, values) -> {
                            if (!HOP_BY_HOP.contains(name.toLowerCase()) && !name.startsWith(":")) {
                                ex.getResponseHeaders().put(name, List.copyOf(values));
                            }
                        });
        byte[] out = res.body();
        ex.sendResponseHeaders(res.statusCode(), out.length == 0 ? -1 : out.length);
        if (out.length > 0) {
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
        }
    }

    /**
     * The error body DynamoDB sends: {@code __type} names the exception; reasons follow the
     * request's items.
     */
    private static byte[] error(Fault fault, byte[] request) throws IOException {
        ObjectNode e = JSON.createObjectNode();
        if (fault == Fault.THROUGHPUT_EXCEEDED) {
            e.put(
                    "__type",
                    "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException");
            e.put(
                    "message",
                    "The level of configured provisioned throughput for the table was exceeded. Consider"
                            + " increasing your provisioning level with the UpdateTable API.");
            return JSON.writeValueAsBytes(e);
        }
        JsonNode items = JSON.readTree(request).path("TransactItems");
        int n = Math.max(1, items.size());
        String code =
                fault == Fault.TRANSACTION_THROTTLED ? "ThrottlingError" : "TransactionConflict";
        String message =
                fault == Fault.TRANSACTION_THROTTLED
                        ? "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling"
                                + " your table or index so please try again shortly."
                        : "Transaction is ongoing for the item";
        // The busy item is the last one: the job item, or the retry shard, never the shard itself,
        // so
        // a caller that read only the first reason would take it for "someone else completed it".
        StringBuilder summary = new StringBuilder();
        ArrayNode reasons = JSON.createArrayNode();
        for (int i = 0; i < n; i++) {
            ObjectNode r = reasons.addObject();
            if (i == n - 1) {
                r.put("Code", code);
                r.put("Message", message);
            } else {
                r.put("Code", "None");
            }
            summary.append(i == 0 ? "" : ", ").append(i == n - 1 ? code : "None");
        }
        e.put("__type", "com.amazonaws.dynamodb.v20120810#TransactionCanceledException");
        e.put(
                "Message",
                "Transaction cancelled, please refer cancellation reasons for specific reasons ["
                        + summary
                        + "]");
        e.set("CancellationReasons", reasons);
        return JSON.writeValueAsBytes(e);
    }

    private static void answer(HttpExchange ex, int status, byte[] body) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(body);
        ex.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.0");
        ex.getResponseHeaders()
                .add(
                        "x-amzn-RequestId",
                        UUID.randomUUID().toString().replace("-", "").toUpperCase());
        // The SDK checks this checksum on DynamoDB responses.
        ex.getResponseHeaders().add("x-amz-crc32", Long.toString(crc.getValue()));
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
