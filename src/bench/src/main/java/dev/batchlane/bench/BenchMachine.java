package dev.batchlane.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The machine and the checkout a benchmark ran on, written beside its numbers: results from another
 * machine or from uncommitted code are not comparable.
 */
final class BenchMachine {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BenchMachine() {}

    static ObjectNode describe() {
        ObjectNode m = JSON.createObjectNode();
        m.put("nproc", Runtime.getRuntime().availableProcessors());
        m.put("memTotal", grep("/proc/meminfo", "MemTotal:"));
        m.put("cpu", grep("/proc/cpuinfo", "model name"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put(
                "java",
                System.getProperty("java.vm.name")
                        + " "
                        + System.getProperty("java.runtime.version"));
        m.put("jq", run("jq", "--version"));
        m.put("commit", run("git", "rev-parse", "HEAD"));
        m.put(
                "dirtyCore",
                !run("git", "status", "--porcelain", "--", "../core", "../openai").isEmpty());
        return m;
    }

    private static String grep(String file, String prefix) {
        try {
            return Files.readAllLines(Path.of(file)).stream()
                    .filter(l -> l.startsWith(prefix))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out =
                    new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? out : "unknown";
        } catch (Exception e) {
            return "unknown";
        }
    }
}
