package dev.batchlane.local;

import static dev.batchlane.local.Cli.out;
import static dev.batchlane.local.UpCommand.Running;

import dev.batchlane.aws.s3.S3ObjectStore;
import dev.batchlane.core.queue.QueueBuffer;
import dev.batchlane.core.queue.QueueLookup;
import dev.batchlane.core.queue.QueueName;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code ./batchlane result QUEUE ID}: one queued request's answer, as kept under {@code answers/},
 * or where the request is while it has none.
 */
@Command(
        name = "result",
        description =
                "Print the answer of request ID in QUEUE (provider/name); exit 1 while it has none.")
public final class ResultCommand implements Callable<Integer> {
    @Parameters(
            index = "0",
            paramLabel = "QUEUE",
            description = "<provider>/<name>, as the queue is named in BATCHLANE_QUEUES")
    String queue;

    @Parameters(index = "1", paramLabel = "ID", description = "the request's id (its custom_id)")
    String id;

    @Override
    public Integer call() throws Exception {
        QueueName q;
        try {
            q = QueueName.parse(queue);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        Running r = Running.connect();
        QueueBuffer buffer = r.queues();
        QueueLookup.Found found =
                new QueueLookup(buffer, new S3ObjectStore(r.s3(), Stack.BUCKET)).find(q, id);
        switch (found.state()) {
            case "answered" -> {
                out().println(found.answer());
                return 0;
            }
            case "waiting" -> {
                var record = buffer.request(q, id);
                String where =
                        record.map(
                                        rec ->
                                                " (enqueued "
                                                        + rec.arrivedAt()
                                                        + (rec.jobId() == null
                                                                ? ", not flushed yet)"
                                                                : ", in job " + rec.jobId() + ")"))
                                .orElse("");
                System.err.println(
                        "request "
                                + id
                                + " of "
                                + q
                                + " is waiting for its answer"
                                + where
                                + "; its answer will be at s3://"
                                + Stack.BUCKET
                                + "/"
                                + found.answerKey());
                return 1;
            }
            default -> {
                System.err.println(
                        "no request "
                                + id
                                + " is known in "
                                + q
                                + " (an id is known from its enqueue on; was it refused, or sent"
                                + " to another queue?)");
                return 1;
            }
        }
    }
}
