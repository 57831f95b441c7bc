package dev.batchlane.infra;

import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.constructs.Construct;

/** A stack holding one lane, with the outputs an operator needs after a deploy. */
public final class BatchlaneStack extends Stack {

    private final BatchlaneLane lane;

    public BatchlaneStack(Construct scope, String id, StackProps stackProps, BatchlaneProps props) {
        super(scope, id, stackProps);
        lane = new BatchlaneLane(this, "Lane", props);

        output("BucketName", lane.bucket().getBucketName(), "Drop JSONL under inbox/<provider>/");
        output("TableName", lane.table().getTableName(), "Jobs and shards");
        output("DashboardUrl", lane.dashboardUrl(), "CloudWatch dashboard");
        output(
                "EventBusName",
                lane.eventBus().getEventBusName(),
                "Bus of '" + BatchlaneContract.EVENT_JOB_COMPLETED + "' events");
        output(
                "DeadLetterQueueUrl",
                lane.deadLetterQueue().getQueueUrl(),
                "Completions that failed every retry");
        output(
                "IntakeQueueUrl",
                lane.intakeQueue().getQueueUrl(),
                "Send one request per message (attributes: provider, queue, reply-to)");
        output("IntakeQueueArn", lane.intakeQueue().getQueueArn(), "The intake queue's ARN");
        for (var provider : props.enabledProviders()) {
            if (provider.hasKey()) {
                output(
                        provider.constructId() + "ApiKeySecretArn",
                        lane.providerKey(provider.name()).getSecretArn(),
                        "Put the "
                                + provider.title()
                                + " key here with aws secretsmanager put-secret-value");
            }
        }
        output(
                "AlarmTopicArn",
                lane.alarmTopic().getTopicArn(),
                "Subscribe to be told about alarms");
    }

    private void output(String id, String value, String description) {
        CfnOutput.Builder.create(this, id).value(value).description(description).build();
    }

    public BatchlaneLane lane() {
        return lane;
    }
}
