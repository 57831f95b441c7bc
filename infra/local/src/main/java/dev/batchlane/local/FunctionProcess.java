package dev.batchlane.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One of the three functions, run from the packaged Quarkus application as Lambda's managed Java
 * runtime runs it: its own JVM, AWS's runtime interface client polling the Runtime API at
 * AWS_LAMBDA_RUNTIME_API and calling the deployed handler class, the Quarkus handler chosen by
 * QUARKUS_LAMBDA_HANDLER.
 */
public final class FunctionProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;

    private FunctionProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** The handler string every deployed function has (see the CDK construct). */
    static final String LAMBDA_HANDLER = "io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler::handleRequest";
    private static final String RUNTIME_CLIENT = "com.amazonaws.services.lambda.runtime.api.client.AWSLambda";

    public static FunctionProcess start(String handler, Path runJar, Path runtimeClientDir, RuntimeApi api,
            Map<String, String> env, Path logDir) throws IOException {
        if (!Files.isRegularFile(runJar)) {
            throw new IllegalStateException("the functions are not built: " + runJar + " is missing; run"
                    + " ./mvnw -B -DskipTests install (./batchlane does this for you)");
        }
        Files.createDirectories(logDir);
        Path log = logDir.resolve(handler + ".log");
        if (!Files.isDirectory(runtimeClientDir)) {
            throw new IllegalStateException("the Lambda runtime interface client is missing at " + runtimeClientDir
                    + "; build infra/local (./batchlane does this for you)");
        }
        // The runner jar's manifest brings the function's own lib/ onto the class path.
        String classPath = runJar + java.io.File.pathSeparator + runtimeClientDir.resolve("*");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-XX:ErrorFile=" + logDir.resolve(handler + "-hs_err_%p.log"), "-cp", classPath, RUNTIME_CLIENT,
                LAMBDA_HANDLER));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        pb.environment().put("AWS_LAMBDA_RUNTIME_API", api.address());
        pb.environment().put("QUARKUS_LAMBDA_HANDLER", handler);
        pb.environment().put("AWS_LAMBDA_FUNCTION_NAME", "batchlane-" + handler);
        Process p = pb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
        return new FunctionProcess(handler, p, log);
    }

    public boolean alive() {
        return process.isAlive();
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
