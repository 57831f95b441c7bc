package dev.batchlane.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The AWS Lambda Runtime API for one function, on loopback: the function's own runtime (Quarkus'
 * Lambda poll loop, unchanged) asks {@code /runtime/invocation/next} for work and posts the answer
 * back, exactly as it does on Lambda. Events handed to {@link #invoke} wait in a queue until then.
 *
 * <p>Each invocation has the function's timeout from the moment {@code /next} hands it out; the
 * deadline goes out in {@code Lambda-Runtime-Deadline-Ms} (the function's {@code
 * context.getRemainingTimeInMillis()}). An invocation still running at its deadline fails with
 * Lambda's "Task timed out after N.NN seconds", a late answer is ignored, and the {@linkplain
 * #onTimeout timeout handler} replaces the process, as Lambda discards the execution environment.
 */
public final class RuntimeApi implements AutoCloseable {
    private static final String PREFIX = "/2018-06-01/runtime/";

    private final String functionName;
    private final HttpServer server;
    private final BlockingDeque<Invocation> queue = new LinkedBlockingDeque<>();
    private final Map<String, Invocation> inFlight = new ConcurrentHashMap<>();
    private final Duration timeout;
    private final java.util.concurrent.CountDownLatch connected =
            new java.util.concurrent.CountDownLatch(1);

    /** A new process may need this long to start before it asks for the first invocation. */
    static final Duration START_ALLOWANCE = Duration.ofMinutes(2);

    private final ScheduledExecutorService deadlines;
    private volatile Consumer<String> onTimeout = reason -> {};

    private record Invocation(String id, String event, CompletableFuture<String> result) {}

    /** The function answered with an error; Lambda would count this invocation as failed. */
    public static final class FunctionError extends RuntimeException {
        public FunctionError(String function, String body) {
            super(function + " failed: " + body);
        }
    }

    public RuntimeApi(String functionName, Duration timeout) throws IOException {
        this.functionName = functionName;
        this.timeout = timeout;
        dev.batchlane.simulator.SimHttp.preferNoDelay();
        this.server =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(PREFIX, this::handle);
        server.setExecutor(
                Executors.newCachedThreadPool(
                        r -> {
                            Thread t = new Thread(r, "runtime-api-" + functionName);
                            t.setDaemon(true);
                            return t;
                        }));
        deadlines =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "runtime-api-deadlines-" + functionName);
                            t.setDaemon(true);
                            return t;
                        });
        server.start();
    }

    /**
     * Called with the error message when an invocation ran past the timeout; the stack replaces the
     * process.
     */
    public void onTimeout(Consumer<String> handler) {
        this.onTimeout = handler;
    }

    public Duration timeout() {
        return timeout;
    }

    /** Lambda's words for an invocation that ran out of time. */
    static String timedOutMessage(String requestId, Duration timeout) {
        return String.format(
                Locale.ROOT,
                "%s Task timed out after %.2f seconds",
                requestId,
                timeout.toMillis() / 1000.0);
    }

    /** Fails every invocation in flight, as Lambda does when the runtime process exits under it. */
    public void failInFlight(String reason) {
        for (String id : java.util.List.copyOf(inFlight.keySet())) {
            Invocation inv = inFlight.remove(id);
            if (inv != null) {
                inv.result()
                        .completeExceptionally(
                                new FunctionError(
                                        functionName,
                                        errorJson(id + " " + reason, "Runtime.ExitError")));
            }
        }
    }

    private void expire(Invocation inv) {
        if (inFlight.remove(inv.id(), inv)) {
            String message = timedOutMessage(inv.id(), timeout);
            // The process is replaced first, so that a retry of this event reaches a fresh one.
            try {
                onTimeout.accept(message);
            } finally {
                inv.result()
                        .completeExceptionally(
                                new FunctionError(
                                        functionName, errorJson(message, "Sandbox.Timedout")));
            }
        }
    }

    private static String errorJson(String message, String type) {
        return "{\"errorMessage\":\""
                + message.replace("\\", "\\\\").replace("\"", "\\\"")
                + "\",\"errorType\":\""
                + type
                + "\"}";
    }

    /** The value for AWS_LAMBDA_RUNTIME_API, host:port as Lambda sets it. */
    public String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** True once the function's runtime has asked for its first invocation, i.e. it is ready. */
    public boolean awaitConnected(Duration wait) throws InterruptedException {
        return connected.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    public CompletableFuture<String> invoke(String event) {
        Invocation inv =
                new Invocation(UUID.randomUUID().toString(), event, new CompletableFuture<>());
        queue.add(inv);
        return inv.result();
    }

    /**
     * Invokes and waits for the answer, failing on a function error or a timeout. The deadline
     * bounds a running invocation; the extra allowance covers a process that is still starting.
     */
    public String invokeAndWait(String event) {
        Duration wait = timeout.plus(START_ALLOWANCE);
        try {
            return invoke(event).get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r
                    ? r
                    : new IllegalStateException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(
                    functionName + " did not start the invocation within " + wait, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + functionName + " ran", e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath().substring(PREFIX.length());
        try (ex) {
            if (path.equals("invocation/next") && ex.getRequestMethod().equals("GET")) {
                connected.countDown();
                Invocation inv = queue.take();
                long deadline = System.currentTimeMillis() + timeout.toMillis();
                ex.getResponseHeaders().add("Lambda-Runtime-Aws-Request-Id", inv.id());
                ex.getResponseHeaders().add("Lambda-Runtime-Deadline-Ms", Long.toString(deadline));
                ex.getResponseHeaders()
                        .add(
                                "Lambda-Runtime-Invoked-Function-Arn",
                                "arn:aws:lambda:us-east-1:000000000000:function:batchlane-"
                                        + functionName);
                ex.getResponseHeaders().add("Lambda-Runtime-Trace-Id", "Root=1-local-" + inv.id());
                ex.getResponseHeaders().add("Content-Type", "application/json");
                inFlight.put(inv.id(), inv); // before sending: the answer may come back at once
                try {
                    send(ex, 200, inv.event());
                } catch (IOException e) {
                    inFlight.remove(inv.id());
                    queue.putFirst(inv); // the runtime that asked is gone; the next one gets it
                    throw e;
                }
                deadlines.schedule(() -> expire(inv), timeout.toMillis(), TimeUnit.MILLISECONDS);
            } else if (path.startsWith("invocation/") && path.endsWith("/response")) {
                String id =
                        path.substring(
                                "invocation/".length(), path.length() - "/response".length());
                String body =
                        new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                Invocation inv = inFlight.remove(id);
                if (inv != null) {
                    inv.result().complete(body);
                }
                send(ex, 202, "{\"status\":\"OK\"}");
            } else if (path.startsWith("invocation/") && path.endsWith("/error")) {
                String id =
                        path.substring("invocation/".length(), path.length() - "/error".length());
                String body =
                        new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                Invocation inv = inFlight.remove(id);
                if (inv != null) {
                    inv.result().completeExceptionally(new FunctionError(functionName, body));
                }
                send(ex, 202, "{\"status\":\"OK\"}");
            } else if (path.equals("init/error")) {
                String body =
                        new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                System.err.println("[" + functionName + "] failed to start: " + body);
                send(ex, 202, "{\"status\":\"OK\"}");
            } else {
                send(ex, 404, "{\"errorMessage\":\"unknown runtime API path " + path + "\"}");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        deadlines.shutdownNow();
        server.stop(0);
    }
}
