package dev.batchlane.local;

import static dev.batchlane.local.Cli.out;
import static dev.batchlane.local.RunCommand.resolveProvider;
import static dev.batchlane.local.UpCommand.Running;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./batchlane submit}: drop a file into the running stack's inbox. */
@Command(
        name = "submit",
        description = "Drop FILE into the running stack's inbox and print the job id.")
public final class SubmitCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE")
    Path file;

    @Option(names = "--provider")
    String provider;

    @Option(names = "--budget-usd")
    String budget;

    @Option(names = "--model", description = "the file's model, sent as x-amz-meta-model")
    String model;

    @Override
    public Integer call() throws Exception {
        String p = resolveProvider(file, provider);
        if (p == null) {
            return 2;
        }
        Drop drop = Drop.put(Running.connect().s3(), file, p, budget, model);
        out().println(drop.jobId());
        return 0;
    }
}
