package dev.batchlane.emulators;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * ElasticMQ (an SQS-compatible server) as a child process on a free loopback port. It runs apart
 * from the caller's JVM because its Scala and Pekko runtime must not meet the Quarkus and JUnit
 * class loaders. Queues live in memory and end with the process.
 */
public final class ElasticMqServer implements AutoCloseable {
    /**
     * ElasticMQ's class path, overriding the one the build recorded (the
     * batchlane-elasticmq-classpath module's {@value #CLASSPATH_RESOURCE}).
     */
    public static final String CLASSPATH_PROPERTY = "elasticmq.classpath";

    static final String CLASSPATH_RESOURCE = "elasticmq.classpath";

    private static final String MAIN_CLASS = "org.elasticmq.server.Main";

    /**
     * ElasticMQ starts in about 4 s on an idle machine; a shared one (builds side by side on 2
     * cores) takes many times that, and the wait ends as soon as it answers. {@code
     * BATCHLANE_ELASTICMQ_START_TIMEOUT} (e.g. PT5M) waits longer still.
     */
    private static final Duration START_TIMEOUT =
            Duration.parse(
                    System.getenv().getOrDefault("BATCHLANE_ELASTICMQ_START_TIMEOUT", "PT3M"));

    private final Process process;
    private final URI endpoint;
    private final Path root;

    private ElasticMqServer(Process process, int port, Path root) {
        this.process = process;
        this.endpoint = URI.create("http://127.0.0.1:" + port);
        this.root = root;
    }

    /** On a port ElasticMQ chooses itself (see {@link #start(String, int)} with port 0). */
    public static ElasticMqServer start() {
        return start(locateClasspath(), 0);
    }

    /**
     * {@code port} 0 lets ElasticMQ bind a free port and reads which from its log: a port chosen
     * here and handed over could be taken by another process first (builds run side by side), and
     * the readiness probe would then talk to whatever answered there. ElasticMQ builds its queue
     * URLs from the port it bound, so they name the real one.
     */
    public static ElasticMqServer start(String classpath, int port) {
        try {
            Path root = Files.createTempDirectory("elasticmq-");
            Path config = root.resolve("elasticmq.conf");
            Files.writeString(config, config(port));
            Path log = root.resolve("elasticmq.log");
            List<String> cmd =
                    new ArrayList<>(
                            List.of(
                                    Path.of(System.getProperty("java.home"), "bin", "java")
                                            .toString(),
                                    "-Xmx256m",
                                    "-XX:+UseSerialGC",
                                    "-Dconfig.file=" + config,
                                    "-cp",
                                    classpath,
                                    MAIN_CLASS));
            Process process =
                    new ProcessBuilder(cmd)
                            .redirectErrorStream(true)
                            .redirectOutput(log.toFile())
                            .start();
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
            try {
                int bound = awaitReady(process, log, port);
                return new ElasticMqServer(process, bound, root);
            } catch (RuntimeException e) {
                process.destroyForcibly();
                throw e;
            }
        } catch (IOException e) {
            throw new IllegalStateException("ElasticMQ did not start: " + e.getMessage(), e);
        }
    }

    /**
     * Loopback only, no statistics server (it would take a second, fixed port), and the queue URLs'
     * address generated from the port bound.
     */
    static String config(int port) {
        return String.join(
                "\n",
                "include classpath(\"application.conf\")",
                "node-address {",
                "  protocol = http",
                "  host = \"127.0.0.1\"",
                "  port = " + port,
                "  context-path = \"\"",
                "}",
                "rest-sqs {",
                "  enabled = true",
                "  bind-port = " + port,
                "  bind-hostname = \"127.0.0.1\"",
                "  sqs-limits = strict",
                "}",
                "rest-stats { enabled = false }",
                "generate-node-address = true",
                "");
    }

    /**
     * -Delasticmq.classpath or BATCHLANE_ELASTICMQ_CLASSPATH, else the list the build recorded next
     * to this class. Every entry must exist: a missing jar would otherwise surface as a
     * ClassNotFoundException in the child's log.
     */
    public static String locateClasspath() {
        String configured =
                System.getProperty(
                        CLASSPATH_PROPERTY, System.getenv("BATCHLANE_ELASTICMQ_CLASSPATH"));
        String classpath;
        if (configured != null && !configured.isBlank()) {
            classpath = configured.strip();
        } else {
            try (InputStream in = ElasticMqServer.class.getResourceAsStream(CLASSPATH_RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(
                            "ElasticMQ's class path is not on the class path ("
                                    + CLASSPATH_RESOURCE
                                    + " of batchlane-elasticmq-classpath); build that module"
                                    + " first or set -D"
                                    + CLASSPATH_PROPERTY);
                }
                classpath = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new IllegalStateException("ElasticMQ's class path could not be read", e);
            }
        }
        for (String entry : classpath.split(Pattern.quote(File.pathSeparator))) {
            if (!Files.exists(Path.of(entry))) {
                throw new IllegalStateException(
                        "ElasticMQ's class path names "
                                + entry
                                + ", which does not exist; build batchlane-elasticmq-classpath"
                                + " on this machine (mvn -pl src/emulators -am) or set -D"
                                + CLASSPATH_PROPERTY);
            }
        }
        return classpath;
    }

    /** Waits until ElasticMQ answers ListQueues; returns its port. */
    private static int awaitReady(Process process, Path log, int port) throws IOException {
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        int bound = port;
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "ElasticMQ exited with "
                                + process.exitValue()
                                + " while starting:\n"
                                + ChildProcesses.tail(log));
            }
            if (bound == 0) {
                bound = ChildProcesses.boundPort(log, BOUND);
            }
            if (bound != 0 && listQueuesAnswers(bound)) {
                return bound;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for ElasticMQ", e);
            }
        }
        throw new IllegalStateException(
                "ElasticMQ did not answer ListQueues on "
                        + (bound == 0 ? "any port" : "port " + bound)
                        + " within "
                        + START_TIMEOUT
                        + ":\n"
                        + ChildProcesses.tail(log));
    }

    /**
     * ListQueues in SQS's JSON protocol, what the SDK speaks: an answer proves the SQS interface is
     * up, not just that something holds the port.
     */
    private static boolean listQueuesAnswers(int port) {
        try {
            HttpURLConnection c =
                    (HttpURLConnection)
                            URI.create("http://127.0.0.1:" + port + "/").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/x-amz-json-1.0");
            c.setRequestProperty("X-Amz-Target", "AmazonSQS.ListQueues");
            try (OutputStream out = c.getOutputStream()) {
                out.write("{}".getBytes(StandardCharsets.UTF_8));
            }
            int code = c.getResponseCode();
            c.disconnect();
            return code == 200;
        } catch (IOException notYet) {
            return false;
        }
    }

    /**
     * "Started SQS rest server, bind address 127.0.0.1:45389, visible server address
     * http://127.0.0.1:45389".
     */
    private static final Pattern BOUND = Pattern.compile("bind address [^\\s,]+:(\\d+)");

    public URI endpoint() {
        return endpoint;
    }

    @Override
    public void close() {
        ChildProcesses.stop(process, root);
    }
}
