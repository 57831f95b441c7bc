package dev.batchlane.local;

import static dev.batchlane.local.Cli.JSON;
import static dev.batchlane.local.Cli.options;
import static dev.batchlane.local.Cli.out;
import static dev.batchlane.local.Cli.stateFile;
import static dev.batchlane.local.JobFollower.JobSource;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.aws.LocalAws;
import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.aws.dynamo.DynamoQueueBuffer;
import dev.batchlane.core.queue.QueueBuffer;
import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

/** {@code ./batchlane up}: keep the stack running for the other commands. */
@Command(
        name = "up",
        description =
                "Start the stack and keep it running; drop files with the printed aws command or 'submit'.")
public final class UpCommand implements Callable<Integer> {
    @Option(names = "--shard-size", defaultValue = "500")
    int shardSize;

    @Override
    public Integer call() throws Exception {
        try (Stack stack = Stack.start(options(shardSize))) {
            Files.createDirectories(stateFile().getParent());
            Files.writeString(
                    stateFile(),
                    JSON.createObjectNode()
                            .put("s3Endpoint", stack.s3Endpoint())
                            .put("dynamodbEndpoint", stack.dynamoEndpoint())
                            .put("bucket", Stack.BUCKET)
                            .put("table", Stack.TABLE)
                            .put("sqsEndpoint", stack.sqsEndpoint())
                            .put("intakeQueueUrl", stack.intakeQueueUrl())
                            .toString());
            out().println(
                            "Batchlane is up. S3 endpoint: "
                                    + stack.s3Endpoint()
                                    + "  bucket: "
                                    + Stack.BUCKET);
            out().println("Drop a file:");
            out().println(
                            "  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws s3 cp FILE s3://"
                                    + Stack.BUCKET
                                    + "/inbox/<provider>/ --endpoint-url "
                                    + stack.s3Endpoint()
                                    + " --region us-east-1");
            out().println(
                            "or: ./batchlane submit FILE · ./batchlane status [JOB] · ./batchlane results JOB.");
            out().println(
                            "Enqueue requests one at a time on the intake queue "
                                    + stack.intakeQueueUrl()
                                    + " (SQS endpoint "
                                    + stack.sqsEndpoint()
                                    + "):");
            out().println(
                            "  ./batchlane queue send FILE --reply-to-queue "
                                    + QueueSendCommand.DEFAULT_REPLY_QUEUE
                                    + " · ./batchlane queue follow · ./batchlane result QUEUE ID."
                                    + " Ctrl-C stops.");
            Thread.currentThread().join();
            return 0;
        } finally {
            Files.deleteIfExists(stateFile());
        }
    }

    /** Clients for the stack that 'up' started. */
    record Running(
            S3Client s3,
            DynamoJobStore jobs,
            DynamoDbClient dynamo,
            String table,
            SqsClient sqs,
            String intakeQueueUrl) {
        static Running connect() throws IOException {
            if (!Files.isRegularFile(stateFile())) {
                throw new CommandLine.ParameterException(
                        new CommandLine(new Cli()),
                        "no running stack: start one with ./batchlane up (in another terminal)");
            }
            JsonNode state = JSON.readTree(stateFile().toFile());
            S3Client s3 = LocalAws.s3(java.net.URI.create(state.path("s3Endpoint").asText()));
            DynamoDbClient dynamo =
                    LocalAws.dynamo(java.net.URI.create(state.path("dynamodbEndpoint").asText()));
            String table = state.path("table").asText();
            SqsClient sqs = LocalAws.sqs(java.net.URI.create(state.path("sqsEndpoint").asText()));
            return new Running(
                    s3,
                    new DynamoJobStore(dynamo, table),
                    dynamo,
                    table,
                    sqs,
                    state.path("intakeQueueUrl").asText());
        }

        /** The queue lane's buffer, in the lane's table. */
        QueueBuffer queues() {
            return new DynamoQueueBuffer(dynamo, table, java.time.Clock.systemUTC());
        }

        JobSource source() {
            return JobSource.of(jobs, dynamo, table, StatusCommand::recordedFailure);
        }
    }
}
