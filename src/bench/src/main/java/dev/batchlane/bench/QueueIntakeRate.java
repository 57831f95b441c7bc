package dev.batchlane.bench;

import dev.batchlane.aws.LocalAws;
import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.aws.dynamo.DynamoQueueBuffer;
import dev.batchlane.aws.dynamo.TableSetup;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.queue.AnswerDelivery;
import dev.batchlane.core.queue.AnswerSink;
import dev.batchlane.core.queue.QueueIntake;
import dev.batchlane.core.queue.QueueName;
import dev.batchlane.core.testkit.InMemoryObjectStore;
import dev.batchlane.emulators.DynamoDbLocalServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * How many requests per second one intake accepts, as one enqueue invocation does it: one request
 * after the other (an SQS batch of ten is handled in order), each checked by OpenAI's real contract
 * and kept in the real buffer on DynamoDB Local. The reference, in the same run on the same table,
 * is one plain PutItem per request: the least a durable intake must pay. Both are after a warm-up.
 */
final class QueueIntakeRate {
    record Result(
            long requests,
            double intakePerSecond,
            double putItemPerSecond,
            double ratio,
            double checkOnlyPerSecond) {}

    private QueueIntakeRate() {}

    static Result run(int requests) {
        try (DynamoDbLocalServer server = DynamoDbLocalServer.start()) {
            DynamoDbClient dynamo = LocalAws.dynamo(server.endpoint());
            TableSetup.create(dynamo, "bench");
            InMemoryObjectStore objects = new InMemoryObjectStore();
            BenchProvider provider = new BenchProvider(true, Path.of("unused"));
            Providers providers = new Providers(List.of(provider));
            LaneSettings settings =
                    new LaneSettings(
                            provider.limits(),
                            Duration.ofMinutes(1),
                            Duration.ofMinutes(30),
                            200,
                            Path.of(System.getProperty("java.io.tmpdir")));
            QueueIntake intake =
                    new QueueIntake(
                            new DynamoQueueBuffer(dynamo, "bench", Clock.systemUTC()),
                            objects,
                            providers,
                            settings,
                            new DynamoJobStore(dynamo, "bench"),
                            new AnswerDelivery(objects, AnswerSink.NONE, "bench"),
                            Clock.systemUTC(),
                            LaneMetrics.NONE);
            QueueName queue = new QueueName("openai", "bench");
            SplittableRandom r = new SplittableRandom(11);
            byte[][] lines = new byte[requests * 2][];
            for (int i = 0; i < lines.length; i++) {
                lines[i] = HarborFiles.requestLine(i, r).getBytes(StandardCharsets.UTF_8);
            }
            // Warm-up: the JIT, the tokenizer's tables, DynamoDB Local's own start.
            for (int i = 0; i < Math.min(500, requests); i++) {
                intake.accept(
                        new QueueIntake.Incoming(
                                new QueueName("openai", "warm"), lines[i], 1, null, Map.of()));
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < requests; i++) {
                QueueIntake.Receipt receipt =
                        intake.accept(new QueueIntake.Incoming(queue, lines[i], 1, null, Map.of()));
                if (receipt.verdict() != QueueIntake.Verdict.ACCEPTED) {
                    throw new IllegalStateException("request " + i + " was " + receipt.verdict());
                }
            }
            double intakeSeconds = (System.nanoTime() - t0) / 1e9;
            long t1 = System.nanoTime();
            for (int i = 0; i < requests; i++) {
                String line = new String(lines[requests + i], StandardCharsets.UTF_8);
                dynamo.putItem(
                        b ->
                                b.tableName("bench")
                                        .item(
                                                Map.of(
                                                        "pk", AttributeValue.fromS("PLAIN#bench"),
                                                        "sk",
                                                                AttributeValue.fromS(
                                                                        line.substring(0, 40)
                                                                                + System
                                                                                        .nanoTime()),
                                                        "line", AttributeValue.fromS(line))));
            }
            double putSeconds = (System.nanoTime() - t1) / 1e9;
            // The check alone (no table): what the contract and the token count cost per request.
            dev.batchlane.core.ingest.RequestCheck check =
                    new dev.batchlane.core.ingest.RequestCheck(
                            provider.contract(),
                            provider.limits(),
                            dev.batchlane.core.ingest.QueueLimits.NONE);
            long t2 = System.nanoTime();
            for (int i = 0; i < requests; i++) {
                check.check(lines[i], 1);
            }
            double checkSeconds = (System.nanoTime() - t2) / 1e9;
            double intakeRate = requests / intakeSeconds;
            double putRate = requests / putSeconds;
            return new Result(
                    requests, intakeRate, putRate, intakeRate / putRate, requests / checkSeconds);
        }
    }
}
