package dev.batchlane.local;

import picocli.CommandLine.Command;

/** {@code ./batchlane queue}: the queue lane of the running stack, as an application uses it. */
@Command(
        name = "queue",
        description =
                "Enqueue requests one at a time on the running stack's intake queue, and follow their answers.",
        subcommands = {QueueSendCommand.class, QueueFollowCommand.class})
public final class QueueCommand {}
