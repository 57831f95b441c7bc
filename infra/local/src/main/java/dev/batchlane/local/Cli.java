package dev.batchlane.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.catalogue.ProviderCatalogue;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./batchlane}: run a file through the local stack, or keep the stack up and work against
 * it.
 */
@Command(
        name = "batchlane",
        mixinStandardHelpOptions = true,
        version = "batchlane 0.1.0",
        description =
                "Runs the Batchlane lane on this machine: emulators, provider simulator and the four functions.",
        subcommands = {
            RunCommand.class,
            UpCommand.class,
            SubmitCommand.class,
            StatusCommand.class,
            ResultsCommand.class,
            CancelCommand.class,
            ResumeCommand.class,
            RedriveCommand.class,
            QueueCommand.class,
            ResultCommand.class
        })
public final class Cli {
    static final ObjectMapper JSON = new ObjectMapper();

    static PrintStream out() {
        return System.out;
    }

    /**
     * Lines the emulators print on their own (DynamoDB Local's start-up dump, its parser's version
     * notes).
     */
    private static final java.util.regex.Pattern EMULATOR_NOISE =
            java.util.regex.Pattern.compile(
                    "^(Initializing DynamoDB Local|Port:|InMemory:|Version:|DbPath:|SharedDb:|shouldDelayTransientStatuses:"
                            + "|CorsParams:|SLF4J|ANTLR |.*Log4j API could not find a logging provider|\\s*$).*");

    public static void main(String[] args) {
        // The emulators' chatter would drown the progress lines a user is here to read.
        java.util.logging.LogManager.getLogManager().reset();
        System.setErr(quiet(System.err));
        PrintStream stdout = System.out;
        System.setOut(quiet(stdout));
        System.exit(new CommandLine(new Cli()).execute(args));
    }

    private static PrintStream quiet(PrintStream target) {
        return new PrintStream(
                new java.io.OutputStream() {
                    private final java.io.ByteArrayOutputStream line =
                            new java.io.ByteArrayOutputStream();

                    @Override
                    public synchronized void write(int b) {
                        if (b == '\r' && line.size() > 0) {
                            // a live progress bar redraws its line: pass it through at once
                            target.print(line.toString(StandardCharsets.UTF_8) + "\r");
                            target.flush();
                            line.reset();
                            return;
                        }
                        if (b != '\n') {
                            line.write(b);
                            return;
                        }
                        String text = line.toString(StandardCharsets.UTF_8);
                        line.reset();
                        if (!EMULATOR_NOISE.matcher(text).matches()) {
                            target.println(text);
                        }
                    }

                    @Override
                    public synchronized void flush() {
                        target.flush();
                    }
                },
                true,
                StandardCharsets.UTF_8);
    }

    static Path home() {
        return Path.of(System.getProperty("batchlane.home", ".")).toAbsolutePath().normalize();
    }

    static Stack.Options options(int maxRequests) {
        return Stack.Options.of(
                        home(),
                        Duration.ofSeconds(2),
                        maxRequests,
                        line -> out().println("  · " + line))
                .withProviderEnv(System.getenv())
                // The queue policies, as the deployment's prop; unset: Stack.LOCAL_QUEUE_POLICIES.
                .withQueuePolicies(System.getenv(dev.batchlane.core.lane.LaneNames.ENV_QUEUES));
    }

    /** The providers this stack runs: every one the catalogue registers. */
    static final ProviderCatalogue CATALOGUE = ProviderCatalogue.load();

    static final List<String> PROVIDERS = CATALOGUE.names();

    /**
     * Exit status of a job that cannot progress (ingest failed for good, shards stuck, a stall, the
     * timeout).
     */
    static final int CANNOT_PROGRESS = 3;

    /**
     * Drops the file, follows its job to the end: 0 completed, 1 rejected, 3 when it cannot
     * progress.
     */
    /** The catalogue's provider names, for picocli's help and completion. */
    static final class ProviderNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return PROVIDERS.iterator();
        }
    }

    static Path stateFile() {
        return home().resolve(".batchlane/stack.json");
    }
}
