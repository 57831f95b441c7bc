package dev.batchlane.local;

import static dev.batchlane.local.Cli.CANNOT_PROGRESS;
import static dev.batchlane.local.Cli.CATALOGUE;
import static dev.batchlane.local.Cli.JSON;
import static dev.batchlane.local.Cli.PROVIDERS;
import static dev.batchlane.local.Cli.ProviderNames;
import static dev.batchlane.local.Cli.options;
import static dev.batchlane.local.Cli.out;
import static dev.batchlane.local.JobFollower.CannotProgress;
import static dev.batchlane.local.JobFollower.JobSource;
import static dev.batchlane.local.JobFollower.follow;
import static dev.batchlane.local.JobResults.finish;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.core.job.Job;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./batchlane run}: start the stack, drop a file, follow its job to the end. */
@Command(
        name = "run",
        description =
                "Start the stack, drop FILE into inbox/<provider>/, follow the job, copy its objects to --out.")
public final class RunCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE")
    Path file;

    @Option(
            names = "--provider",
            description =
                    "the provider, one of ${COMPLETION-CANDIDATES}; when omitted, the provider whose own"
                            + " line shape the first line has",
            completionCandidates = ProviderNames.class)
    String provider;

    @Option(names = "--budget-usd", description = "a budget cap, sent as x-amz-meta-budget-usd")
    String budget;

    @Option(
            names = "--model",
            description =
                    "the file's model, sent as x-amz-meta-model (for providers whose lines name none)")
    String model;

    @Option(
            names = "--out",
            defaultValue = "batchlane-out",
            description = "where the job's objects are copied (default ${DEFAULT-VALUE})")
    Path out;

    @Option(
            names = "--shard-size",
            defaultValue = "500",
            description = "requests per shard on the local stack (default ${DEFAULT-VALUE})")
    int shardSize;

    @Option(
            names = "--timeout",
            defaultValue = "PT30M",
            description = "give up after this long (ISO-8601, default ${DEFAULT-VALUE})")
    Duration timeout;

    @Option(
            names = "--stall-timeout",
            defaultValue = "${env:BATCHLANE_STALL_TIMEOUT:-PT10M}",
            description =
                    "give up when the job shows no progress for this long (ISO-8601, default ${DEFAULT-VALUE}; env BATCHLANE_STALL_TIMEOUT)")
    Duration stallTimeout;

    @Override
    public Integer call() throws Exception {
        String p = resolveProvider(file, provider);
        if (p == null) {
            return 2;
        }
        try (Stack stack = Stack.start(options(shardSize))) {
            return runJob(stack, file, p, budget, model, out, timeout, stallTimeout);
        }
    }

    static int runJob(
            Stack stack,
            Path file,
            String provider,
            String budget,
            Path out,
            Duration timeout,
            Duration stallTimeout)
            throws IOException, InterruptedException {
        return runJob(stack, file, provider, budget, null, out, timeout, stallTimeout);
    }

    /** As above, with the file's {@code model} metadata (null: none). */
    static int runJob(
            Stack stack,
            Path file,
            String provider,
            String budget,
            String model,
            Path out,
            Duration timeout,
            Duration stallTimeout)
            throws IOException, InterruptedException {
        Drop drop = Drop.put(stack.s3(), file, provider, budget, model);
        out().println(
                        "dropped "
                                + file
                                + " as s3://"
                                + Stack.BUCKET
                                + "/"
                                + drop.key()
                                + " (job "
                                + drop.jobId()
                                + ")");
        Job job;
        try {
            job =
                    follow(
                            JobSource.of(stack.jobs(), stack.dynamo(), Stack.TABLE, stack::failure),
                            drop.jobId(),
                            timeout,
                            stallTimeout);
        } catch (CannotProgress e) {
            System.err.println(e.getMessage());
            return CANNOT_PROGRESS;
        }
        return finish(stack.s3(), job, drop, out);
    }

    static String resolveProvider(Path file, String provider) throws IOException {
        if (!Files.isRegularFile(file)) {
            System.err.println("no such file: " + file);
            return null;
        }
        if (provider == null) {
            provider = detect(file);
            if (provider == null) {
                System.err.println(
                        "could not tell the provider from the first line of "
                                + file
                                + "; pass --provider "
                                + String.join("|", PROVIDERS)
                                + " (providers whose lines have another's shape are never detected)");
                return null;
            }
            out().println(
                            "provider: "
                                    + provider
                                    + " (detected from the first line; --provider overrides)");
        }
        if (!PROVIDERS.contains(provider)) {
            System.err.println(
                    "provider '"
                            + provider
                            + "' has no adapter yet; this stack runs "
                            + String.join(", ", PROVIDERS));
            return null;
        }
        return provider;
    }

    /** The provider whose native line shape the first non-blank line has. */
    static String detect(Path file) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = JSON.readTree(line.replace("\uFEFF", ""));
                } catch (IOException e) {
                    return null;
                }
                List<String> matches = CATALOGUE.recognise(n);
                return matches.size() == 1 ? matches.get(0) : null;
            }
        }
        return null;
    }
}
