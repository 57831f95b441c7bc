package dev.batchlane.local;

import static dev.batchlane.local.Cli.CANNOT_PROGRESS;
import static dev.batchlane.local.Cli.out;
import static dev.batchlane.local.UpCommand.Running;

import dev.batchlane.core.lane.LaneNames;
import dev.batchlane.core.queue.GroupDepth;
import dev.batchlane.core.queue.QueueBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;

/**
 * {@code ./batchlane queue follow}: receives the answers on a reply queue as an application does,
 * one line each ({@code <queue> <id> <outcome>}), dropping repeats by queue and request id as the
 * lane's at-least-once delivery asks of a receiver.
 */
@Command(
        name = "follow",
        description =
                "Receive answers from a reply queue, one line each: queue, request id, outcome.")
public final class QueueFollowCommand implements Callable<Integer> {
    @Option(
            names = "--reply-to-queue",
            paramLabel = "NAME",
            defaultValue = QueueSendCommand.DEFAULT_REPLY_QUEUE,
            description = "the reply queue (default ${DEFAULT-VALUE}; created if missing)")
    String replyQueue;

    @Option(
            names = "--count",
            paramLabel = "N",
            description = "exit once N answers were received (default: follow until --timeout)")
    Integer count;

    @Option(
            names = "--timeout",
            defaultValue = "PT10M",
            description = "give up after this long (ISO-8601, default ${DEFAULT-VALUE})")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        Running r = Running.connect();
        String url = QueueSendCommand.replyQueue(r.sqs(), replyQueue);
        QueueBuffer buffer = r.queues();
        Followed f =
                follow(
                        r.sqs(),
                        url,
                        count,
                        timeout,
                        out()::println,
                        () -> waitingLine(buffer.groups(), Instant.now()));
        if (count != null && f.received() < count) {
            System.err.println(
                    "received "
                            + f.received()
                            + " of "
                            + count
                            + " answers on "
                            + url
                            + " within "
                            + timeout
                            + "; ./batchlane status shows what waits");
            return CANNOT_PROGRESS;
        }
        out().println("received " + f.received() + " answer(s) on " + url);
        return 0;
    }

    /** What follow received: distinct answers, and repeats dropped. */
    record Followed(int received, int repeats) {}

    /**
     * Receives until {@code count} distinct answers arrived (null: until {@code timeout}), printing
     * each and deleting it; after 10 s without an answer it says what still waits.
     */
    static Followed follow(
            SqsClient sqs,
            String url,
            Integer count,
            Duration timeout,
            Consumer<String> print,
            Supplier<String> waiting) {
        Instant deadline = Instant.now().plus(timeout);
        Instant lastNews = Instant.now();
        Set<String> seen = new HashSet<>();
        int repeats = 0;
        while ((count == null || seen.size() < count) && Instant.now().isBefore(deadline)) {
            List<Message> got =
                    sqs.receiveMessage(
                                    b ->
                                            b.queueUrl(url)
                                                    .maxNumberOfMessages(10)
                                                    .waitTimeSeconds(2)
                                                    .messageAttributeNames("All"))
                            .messages();
            for (Message m : got) {
                String queue = attribute(m, LaneNames.ANSWER_ATTRIBUTE_QUEUE);
                String id = attribute(m, LaneNames.ANSWER_ATTRIBUTE_REQUEST_ID);
                if (seen.add(queue + "\n" + id)) {
                    print.accept(
                            queue
                                    + "  "
                                    + id
                                    + "  "
                                    + attribute(m, LaneNames.ANSWER_ATTRIBUTE_OUTCOME));
                } else {
                    repeats++;
                }
                sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
            }
            if (!got.isEmpty()) {
                lastNews = Instant.now();
            } else if (Duration.between(lastNews, Instant.now()).toSeconds() >= 10) {
                lastNews = Instant.now();
                print.accept(
                        "  … "
                                + seen.size()
                                + (count == null ? "" : " of " + count)
                                + " answer(s) so far; "
                                + waiting.get());
            }
        }
        return new Followed(seen.size(), repeats);
    }

    /** The buffer's depth per queue and its oldest wait, or that nothing waits to be flushed. */
    static String waitingLine(List<GroupDepth> groups, Instant now) {
        String queues = QueueStatus.describe(groups, now);
        return queues.isEmpty()
                ? "nothing waits in the buffer: the rest are in their flush's job (./batchlane status)"
                : "waiting in the buffer: " + queues;
    }

    private static String attribute(Message m, String name) {
        MessageAttributeValue v = m.messageAttributes().get(name);
        return v == null || v.stringValue() == null ? "-" : v.stringValue();
    }
}
