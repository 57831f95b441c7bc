package dev.batchlane.emulators;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * S3Mock (Adobe's S3 emulator) as a child process on a free loopback port. It runs apart from the
 * caller's JVM because its Spring Boot start-up clashes with Quarkus and JUnit class loaders.
 */
public final class S3MockServer implements AutoCloseable {
    /** Where the build copies the runnable jar (see the parent pom's copy-s3mock execution). */
    public static final String JAR_PROPERTY = "s3mock.jar";

    /**
     * Spring Boot takes S3Mock seconds to start on an idle machine and over a minute on a shared
     * one (load 25 on 2 cores failed two runs at 60 s); the wait ends as soon as it answers. {@code
     * BATCHLANE_S3MOCK_START_TIMEOUT} (e.g. PT5M) waits longer still.
     */
    private static final Duration START_TIMEOUT =
            Duration.parse(System.getenv().getOrDefault("BATCHLANE_S3MOCK_START_TIMEOUT", "PT3M"));

    private final Process process;
    private final URI endpoint;
    private final Path root;

    private S3MockServer(Process process, int port, Path root) {
        this.process = process;
        this.endpoint = URI.create("http://127.0.0.1:" + port);
        this.root = root;
    }

    /** On a port S3Mock chooses itself (see {@link #start(Path, int, String...)} with port 0). */
    public static S3MockServer start(String... initialBuckets) {
        return start(locateJar(), 0, initialBuckets);
    }

    /**
     * {@code port} 0 lets S3Mock bind a free port and reads which from its log: a port chosen here
     * and handed over could be taken by another process first (builds run side by side), and the
     * readiness probe would then talk to whatever answered there.
     */
    public static S3MockServer start(Path jar, int port, String... initialBuckets) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(
                    "S3Mock jar not found at "
                            + jar.toAbsolutePath()
                            + "; build the module first (mvn generate-test-resources copies it) or set -D"
                            + JAR_PROPERTY);
        }
        try {
            Path root = Files.createTempDirectory("s3mock-");
            Path log = root.resolve("s3mock.log");
            List<String> cmd =
                    new ArrayList<>(
                            List.of(
                                    Path.of(System.getProperty("java.home"), "bin", "java")
                                            .toString(),
                                    "-Xmx256m",
                                    "-jar",
                                    jar.toAbsolutePath().toString(),
                                    "--http.port=" + port,
                                    "--server.port=0",
                                    "--com.adobe.testing.s3mock.store.root=" + root.resolve("data"),
                                    "--com.adobe.testing.s3mock.store.retainFilesOnExit=false",
                                    "--spring.main.banner-mode=off",
                                    "--logging.level.root=WARN",
                                    // The one INFO line that names the ports it bound.
                                    "--logging.level." + PORT_LOGGER + "=INFO",
                                    // S3Mock streams GETs as asynchronous responses, which its
                                    // servlet container ends after
                                    // 30 s: a 4 GB object read at ingest's pace was cut every 30 s.
                                    // S3 has no such limit.
                                    // (The lane resumes cut reads anyway; S3StreamingTest cuts them
                                    // on purpose.)
                                    "--spring.mvc.async.request-timeout=6h"));
            if (initialBuckets.length > 0) {
                cmd.add(
                        "--com.adobe.testing.s3mock.store.initialBuckets="
                                + String.join(",", initialBuckets));
            }
            Process process =
                    new ProcessBuilder(cmd)
                            .redirectErrorStream(true)
                            .redirectOutput(log.toFile())
                            .start();
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
            int bound = awaitReady(process, log, port);
            return new S3MockServer(process, bound, root);
        } catch (IOException e) {
            throw new IllegalStateException("S3Mock did not start: " + e.getMessage(), e);
        }
    }

    /**
     * The jar from -Ds3mock.jar, else target/s3mock/s3mock.jar in this or a parent directory's
     * module.
     */
    public static Path locateJar() {
        String configured = System.getProperty(JAR_PROPERTY, System.getenv("BATCHLANE_S3MOCK_JAR"));
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of("target", "s3mock", "s3mock.jar");
    }

    /** Waits until S3Mock answers HTTP; returns its HTTP port. */
    private static int awaitReady(Process process, Path log, int port) throws IOException {
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        int bound = port;
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "S3Mock exited with "
                                + process.exitValue()
                                + " while starting:\n"
                                + ChildProcesses.tail(log));
            }
            if (bound == 0) {
                bound = ChildProcesses.boundPort(log, HTTP_PORT);
            }
            if (bound != 0) {
                try {
                    HttpURLConnection c =
                            (HttpURLConnection)
                                    URI.create("http://127.0.0.1:" + bound)
                                            .toURL()
                                            .openConnection();
                    c.setConnectTimeout(500);
                    c.setReadTimeout(2000);
                    int code = c.getResponseCode();
                    c.disconnect();
                    if (code > 0) {
                        return bound;
                    }
                } catch (IOException notYet) {
                    // still starting
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for S3Mock", e);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException(
                "S3Mock did not answer on "
                        + (bound == 0 ? "any port" : "port " + bound)
                        + " within "
                        + START_TIMEOUT
                        + ":\n"
                        + ChildProcesses.tail(log));
    }

    private static final String PORT_LOGGER = "org.springframework.boot.tomcat.TomcatWebServer";

    /** "Tomcat started on ports 42801 (https), 41051 (http) with context path '/'". */
    private static final Pattern HTTP_PORT =
            Pattern.compile("Tomcat started on .*?(\\d+) \\(http\\)");

    public URI endpoint() {
        return endpoint;
    }

    @Override
    public void close() {
        ChildProcesses.stop(process, root);
    }
}
