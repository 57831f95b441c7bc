package dev.batchlane.local;

import static dev.batchlane.local.Cli.out;
import static dev.batchlane.local.RunCommand.resolveProvider;
import static dev.batchlane.local.UpCommand.Running;

import dev.batchlane.core.lane.LaneNames;
import dev.batchlane.core.queue.QueueName;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/**
 * {@code ./batchlane queue send}: each line of FILE as one message on the intake queue, as an
 * application enqueues requests: the line as the body, {@code provider}, {@code queue} and {@code
 * reply-to} as String message attributes.
 */
@Command(
        name = "send",
        description =
                "Enqueue each line of FILE as one SQS message on the running stack's intake queue.")
public final class QueueSendCommand implements Callable<Integer> {
    /**
     * A reply queue the deployed lane may answer to: the construct's default {@code replyQueueArns}
     * allow queues named {@code batchlane-replies-*}.
     */
    static final String DEFAULT_REPLY_QUEUE = "batchlane-replies-local";

    @Parameters(paramLabel = "FILE")
    Path file;

    @Option(
            names = "--provider",
            description =
                    "the provider, one of ${COMPLETION-CANDIDATES}; when omitted, the one whose line shape the first line has",
            completionCandidates = Cli.ProviderNames.class)
    String provider;

    @Option(
            names = "--queue",
            defaultValue = LaneNames.DEFAULT_QUEUE,
            description = "the queue's name within the provider (default ${DEFAULT-VALUE})")
    String queue;

    @Option(
            names = "--rate",
            paramLabel = "N/s",
            description =
                    "send at this rate (e.g. 5/s, 5, 120/min) instead of as fast as SQS takes them")
    String rate;

    @Option(
            names = "--reply-to-queue",
            paramLabel = "NAME",
            description =
                    "the SQS queue the answers go to (created if missing; the lane may answer to"
                            + " batchlane-replies-*); without it each answer is an EventBridge event")
    String replyQueue;

    @Override
    public Integer call() throws Exception {
        String p = resolveProvider(file, provider);
        if (p == null) {
            return 2;
        }
        QueueName q;
        double perSecond;
        try {
            q = new QueueName(p, queue);
            perSecond = rate == null ? 0 : perSecond(rate);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        Running r = Running.connect();
        String replyUrl = replyQueue == null ? null : replyQueue(r.sqs(), replyQueue);
        Sent sent = send(r.sqs(), r.intakeQueueUrl(), file, q, replyUrl, perSecond, out()::println);
        out().println(
                        "enqueued "
                                + sent.sent()
                                + " request(s) on "
                                + q
                                + " in "
                                + seconds(sent.took())
                                + "; answers go to "
                                + (replyUrl == null
                                        ? "the event bus as 'Batchlane Request Answered' events"
                                        : replyUrl
                                                + " (./batchlane queue follow --reply-to-queue "
                                                + replyQueue
                                                + ")"));
        return 0;
    }

    /** The reply queue's URL, created if it does not exist yet (CreateQueue is idempotent). */
    static String replyQueue(SqsClient sqs, String name) {
        return sqs.createQueue(b -> b.queueName(name)).queueUrl();
    }

    /** "5", "5/s", "0.5/s" or "120/min" as messages per second. */
    static double perSecond(String rate) {
        String r = rate.strip();
        double unit = 1;
        if (r.endsWith("/min")) {
            unit = 60;
            r = r.substring(0, r.length() - 4);
        } else if (r.endsWith("/s")) {
            r = r.substring(0, r.length() - 2);
        }
        try {
            double n = Double.parseDouble(r) / unit;
            if (n > 0 && Double.isFinite(n)) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(
                "--rate is messages per second or minute, e.g. 5/s or 120/min; got '" + rate + "'");
    }

    /** How many were sent, and how long it took. */
    record Sent(int sent, Duration took) {}

    /**
     * Sends each non-blank line of {@code file} as one message: paced at {@code perSecond} (0: as
     * fast as SQS takes them, 10 a call), saying how far it got every 5 seconds.
     */
    static Sent send(
            SqsClient sqs,
            String intakeUrl,
            Path file,
            QueueName queue,
            String replyUrl,
            double perSecond,
            Consumer<String> progress)
            throws IOException, InterruptedException {
        int total = countLines(file);
        long start = System.nanoTime();
        long lastSaid = start;
        int sent = 0;
        List<SendMessageBatchRequestEntry> batch = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            long number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                if (perSecond > 0) {
                    long due = start + (long) (sent / perSecond * 1_000_000_000L);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
                batch.add(
                        SendMessageBatchRequestEntry.builder()
                                .id(Long.toString(number))
                                .messageBody(line)
                                .messageAttributes(attributes(queue, replyUrl))
                                .build());
                if (perSecond > 0 || batch.size() == 10) {
                    sent += flush(sqs, intakeUrl, batch, file);
                    batch.clear();
                }
                if (System.nanoTime() - lastSaid > 5_000_000_000L) {
                    lastSaid = System.nanoTime();
                    progress.accept(
                            "  sent "
                                    + sent
                                    + " of "
                                    + total
                                    + " ("
                                    + seconds(Duration.ofNanos(lastSaid - start))
                                    + ")");
                }
            }
        }
        if (!batch.isEmpty()) {
            sent += flush(sqs, intakeUrl, batch, file);
        }
        return new Sent(sent, Duration.ofNanos(System.nanoTime() - start));
    }

    static Map<String, MessageAttributeValue> attributes(QueueName queue, String replyUrl) {
        Map<String, MessageAttributeValue> a = new LinkedHashMap<>();
        a.put(LaneNames.MESSAGE_ATTRIBUTE_PROVIDER, text(queue.provider()));
        a.put(LaneNames.MESSAGE_ATTRIBUTE_QUEUE, text(queue.name()));
        if (replyUrl != null) {
            a.put(LaneNames.MESSAGE_ATTRIBUTE_REPLY_TO, text(replyUrl));
        }
        return a;
    }

    private static MessageAttributeValue text(String value) {
        return MessageAttributeValue.builder().dataType("String").stringValue(value).build();
    }

    /** One SendMessageBatch; a message SQS refuses stops the run, naming its line. */
    private static int flush(
            SqsClient sqs, String url, List<SendMessageBatchRequestEntry> batch, Path file) {
        SendMessageBatchResponse r =
                sqs.sendMessageBatch(b -> b.queueUrl(url).entries(List.copyOf(batch)));
        if (!r.failed().isEmpty()) {
            var f = r.failed().get(0);
            throw new IllegalStateException(
                    file
                            + " line "
                            + f.id()
                            + ": the intake queue refused the message ("
                            + f.code()
                            + ": "
                            + f.message()
                            + ")");
        }
        return r.successful().size();
    }

    private static int countLines(Path file) throws IOException {
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            return (int) lines.filter(l -> !l.isBlank()).count();
        }
    }

    static String seconds(Duration d) {
        return String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
