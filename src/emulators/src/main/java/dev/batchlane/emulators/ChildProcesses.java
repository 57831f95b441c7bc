package dev.batchlane.emulators;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the emulators that run as child processes (S3Mock, ElasticMQ) share: the port they bound,
 * read from their log (a port chosen here and handed over could be taken by another build first),
 * the log's tail for an error, and stopping them with their temporary directory.
 */
final class ChildProcesses {
    private ChildProcesses() {}

    /** The port the first line of {@code log} matching {@code bound} names (group 1); 0 if none. */
    static int boundPort(Path log, Pattern bound) throws IOException {
        if (!Files.exists(log)) {
            return 0;
        }
        for (String line : Files.readAllLines(log)) {
            Matcher m = bound.matcher(line);
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
        }
        return 0;
    }

    /** The last twenty lines of {@code log}, for an error message. */
    static String tail(Path log) throws IOException {
        List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    /** Stops {@code process} (forcibly after ten seconds) and removes {@code root}. */
    static void stop(Process process, Path root) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try (var paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory left behind is harmless
        }
    }
}
