package dev.batchlane.local;

import dev.batchlane.local.LaneTemplate.FunctionSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * One of the four functions, run from the packaged Quarkus application as Lambda's managed Java
 * runtime runs it: its own JVM, AWS's runtime interface client polling the Runtime API at
 * AWS_LAMBDA_RUNTIME_API and calling the deployed handler class, the Quarkus handler chosen by
 * QUARKUS_LAMBDA_HANDLER — under the limits the deployment gives it ({@link FunctionSettings}, read
 * from the synthesized template):
 *
 * <ul>
 *   <li><b>memory</b>: Lambda's Java runtime starts the JVM with {@code -XX:MaxHeapSize} at 85% of
 *       the function's memory, the serial collector and (Java 17+) C1 only; the same defaults are
 *       put first in JAVA_TOOL_OPTIONS here, followed by the function's own JAVA_TOOL_OPTIONS from
 *       the template, so that — as on Lambda — the function's options override the runtime's. The
 *       JVM is also told the machine has the function's memory ({@code -XX:MaxRAM}) and the vCPUs
 *       Lambda gives that memory (one per 1769 MB, at most what this machine has), so its
 *       ergonomics (thread pools, direct memory) are those of the deployed function. This is a JVM
 *       limit, not a cgroup: native memory beyond it is not capped.
 *   <li><b>/tmp</b>: a tmpfs of the function's ephemeral storage size at {@code
 *       .batchlane/tmp/<fn>} when the stack runs as root (as CI does), a plain directory otherwise
 *       (said once in the log); both {@code java.io.tmpdir} and {@code batchlane.temp-dir} point at
 *       it.
 *   <li><b>timeout</b>: the Runtime API kills the process when an invocation outlives it (see
 *       {@link RuntimeApi}); {@link #restart} then starts a fresh one, as Lambda starts a new
 *       execution environment, with an empty /tmp.
 * </ul>
 */
public final class FunctionProcess implements AutoCloseable {
    /** The handler string every deployed function has (see the CDK construct). */
    static final String LAMBDA_HANDLER =
            "io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler::handleRequest";

    private static final String RUNTIME_CLIENT =
            "com.amazonaws.services.lambda.runtime.api.client.AWSLambda";

    /** Lambda allocates CPU in proportion to memory: one vCPU at 1769 MB. */
    static final int MB_PER_VCPU = 1769;

    /** Said once per stack, not once per function. */
    private static volatile boolean toldNoTmpfs;

    private final FunctionSettings settings;
    private final List<String> command;
    private final Map<String, String> environment;
    private final Path log;
    private final Path tmp;
    private final boolean mounted;
    private final Consumer<String> say;
    private final RuntimeApi api;
    private Process process;
    private volatile boolean closed;
    private int starts;

    private FunctionProcess(
            FunctionSettings settings,
            List<String> command,
            Map<String, String> environment,
            Path log,
            Path tmp,
            boolean mounted,
            RuntimeApi api,
            Consumer<String> say) {
        this.settings = settings;
        this.command = command;
        this.environment = environment;
        this.log = log;
        this.tmp = tmp;
        this.mounted = mounted;
        this.api = api;
        this.say = say;
    }

    public static FunctionProcess start(
            FunctionSettings settings,
            Path runJar,
            Path runtimeClientDir,
            RuntimeApi api,
            Map<String, String> env,
            Path logDir,
            Path tmpRoot,
            Consumer<String> say)
            throws IOException {
        if (!Files.isRegularFile(runJar)) {
            throw new IllegalStateException(
                    "the functions are not built: "
                            + runJar
                            + " is missing; run"
                            + " ./mvnw -B -DskipTests install (./batchlane does this for you)");
        }
        if (!Files.isDirectory(runtimeClientDir)) {
            throw new IllegalStateException(
                    "the Lambda runtime interface client is missing at "
                            + runtimeClientDir
                            + "; build infra/local (./batchlane does this for you)");
        }
        String handler = settings.name();
        Files.createDirectories(logDir);
        Path log = logDir.resolve(handler + ".log");
        Files.deleteIfExists(log);
        Path tmp = tmpRoot.resolve(handler);
        boolean mounted = mountTmpfs(tmp, settings.ephemeralStorageMb(), say);

        // The runner jar's manifest brings the function's own lib/ onto the class path.
        String classPath = runJar + java.io.File.pathSeparator + runtimeClientDir.resolve("*");
        List<String> cmd =
                new ArrayList<>(
                        List.of(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-XX:MaxRAM=" + settings.memoryMb() + "m",
                                "-XX:ActiveProcessorCount="
                                        + vcpus(
                                                settings.memoryMb(),
                                                Runtime.getRuntime().availableProcessors()),
                                "-Djava.io.tmpdir=" + tmp,
                                "-XX:ErrorFile=" + logDir.resolve(handler + "-hs_err_%p.log"),
                                "-cp",
                                classPath,
                                RUNTIME_CLIENT,
                                LAMBDA_HANDLER));
        Map<String, String> environment = new java.util.HashMap<>(env);
        environment.put("AWS_LAMBDA_RUNTIME_API", api.address());
        environment.put("QUARKUS_LAMBDA_HANDLER", handler);
        environment.put("AWS_LAMBDA_FUNCTION_NAME", "batchlane-" + handler);
        environment.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(settings.memoryMb()));
        environment.put("JAVA_TOOL_OPTIONS", javaToolOptions(settings));
        environment.put("BATCHLANE_TEMP_DIR", tmp.toString());
        environment.put("TMPDIR", tmp.toString());
        FunctionProcess fp =
                new FunctionProcess(settings, cmd, environment, log, tmp, mounted, api, say);
        fp.launch();
        return fp;
    }

    /** Lambda's Java runtime defaults first, then the function's own options, which win. */
    static String javaToolOptions(FunctionSettings settings) {
        long heapKb = settings.memoryMb() * 1024L * 85 / 100;
        String runtimeDefaults =
                "-XX:MaxHeapSize="
                        + heapKb
                        + "k -XX:+UseSerialGC -XX:+TieredCompilation"
                        + " -XX:TieredStopAtLevel=1";
        String own = settings.javaToolOptions() == null ? "" : settings.javaToolOptions().trim();
        return own.isEmpty() ? runtimeDefaults : runtimeDefaults + " " + own;
    }

    static int vcpus(int memoryMb, int available) {
        return Math.max(1, Math.min(available, (memoryMb + MB_PER_VCPU - 1) / MB_PER_VCPU));
    }

    private synchronized void launch() throws IOException {
        ProcessBuilder pb =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(environment);
        Process p = pb.start();
        starts++;
        process = p;
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
        p.onExit().thenAccept(this::exited);
    }

    private void exited(Process p) {
        synchronized (this) {
            if (closed || p != process) {
                return; // stopped on purpose: by close() or by restart()
            }
        }
        String reason = "Runtime exited with error: exit status " + p.exitValue();
        say.accept(settings.name() + ": " + reason + "; starting a new one (see " + log + ")");
        api.failInFlight(reason);
        try {
            Thread.sleep(1000); // a function that dies at start must not spin
            restart(reason);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Kills the JVM and starts a fresh one with an empty /tmp, as Lambda replaces an execution
     * environment.
     */
    public synchronized void restart(String reason) {
        if (closed) {
            return;
        }
        Process old = process;
        process = null;
        stop(old);
        try {
            clear(tmp);
            Files.writeString(
                    log,
                    System.lineSeparator()
                            + "[batchlane local] "
                            + reason
                            + "; a new process starts"
                            + System.lineSeparator(),
                    StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.APPEND);
            launch();
        } catch (IOException e) {
            say.accept("could not restart " + settings.name() + ": " + e.getMessage());
        }
    }

    /** How many JVMs this function has had (1 until a timeout or crash replaced it). */
    public synchronized int starts() {
        return starts;
    }

    public synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    public String name() {
        return settings.name();
    }

    public FunctionSettings settings() {
        return settings;
    }

    public Path log() {
        return log;
    }

    public Path tmp() {
        return tmp;
    }

    public boolean tmpfs() {
        return mounted;
    }

    @Override
    public void close() {
        Process p;
        synchronized (this) {
            closed = true;
            p = process;
        }
        stop(p);
        if (mounted) {
            unmount(tmp);
        }
    }

    private static void stop(Process p) {
        if (p == null) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    // ---- /tmp ----

    /**
     * Mounts a size-capped tmpfs at dir when running as root; a plain, emptied directory otherwise.
     */
    static boolean mountTmpfs(Path dir, int sizeMb, Consumer<String> say) throws IOException {
        Files.createDirectories(dir);
        if (isMountPoint(dir)) {
            unmount(dir); // left by a stack that did not stop cleanly
        }
        clear(dir);
        String why;
        if (!"root".equals(System.getProperty("user.name"))) {
            why = "not running as root";
        } else {
            String result =
                    run(
                            "mount",
                            "-t",
                            "tmpfs",
                            "-o",
                            "size=" + sizeMb + "m",
                            "tmpfs",
                            dir.toString());
            if (result == null) {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> unmount(dir)));
                return true;
            }
            why = "mount failed: " + result;
        }
        if (!toldNoTmpfs) {
            toldNoTmpfs = true;
            say.accept(
                    "/tmp of each function is a plain directory under "
                            + dir.getParent()
                            + ", not capped at its"
                            + " ephemeral storage size ("
                            + why
                            + "; as root it is a tmpfs of that size)");
        }
        return false;
    }

    static boolean isMountPoint(Path dir) {
        try {
            String target = dir.toAbsolutePath().normalize().toString();
            return Files.readAllLines(Path.of("/proc/mounts")).stream()
                    .map(l -> l.split(" "))
                    .anyMatch(f -> f.length > 1 && f[1].equals(target));
        } catch (IOException e) {
            return false;
        }
    }

    static void unmount(Path dir) {
        if (isMountPoint(dir)) {
            run("umount", dir.toString());
        }
    }

    private static void clear(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder())
                    .filter(p -> !p.equals(dir))
                    .forEach(p -> p.toFile().delete());
        }
    }

    /** Runs a command; null on success, else its output. */
    private static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out =
                    new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? null : (out.isEmpty() ? "exit status " + p.exitValue() : out);
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "%s (%d MB, timeout %ds, /tmp %d MB%s)",
                settings.name(),
                settings.memoryMb(),
                settings.timeout().toSeconds(),
                settings.ephemeralStorageMb(),
                mounted ? " tmpfs" : "");
    }
}
