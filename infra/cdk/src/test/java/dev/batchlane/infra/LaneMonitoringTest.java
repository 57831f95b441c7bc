package dev.batchlane.infra;

import static dev.batchlane.infra.SynthesizedLane.functionId;
import static dev.batchlane.infra.SynthesizedLane.onlyResource;
import static dev.batchlane.infra.SynthesizedLane.properties;
import static dev.batchlane.infra.SynthesizedLane.render;
import static dev.batchlane.infra.SynthesizedLane.resources;
import static dev.batchlane.infra.SynthesizedLane.template;
import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.infra.BatchlaneContract.Handler;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awscdk.assertions.Match;

/** Operating the lane: alarms to one topic, the dashboard, and the stack outputs. */
class LaneMonitoringTest {

    private static Map<String, Object> alarmOn(String metricName) {
        List<Map<String, Object>> found =
                resources("AWS::CloudWatch::Alarm").keySet().stream()
                        .map(SynthesizedLane::properties)
                        .filter(p -> metricName.equals(p.get("MetricName")))
                        .toList();
        assertThat(found).as("alarms on " + metricName).hasSize(1);
        return found.get(0);
    }

    @Test
    void alarm_whenAQueuedRequestWaitedTwiceItsQueuesMaxWait() {
        Map<String, Object> alarm = alarmOn(BatchlaneContract.METRIC_QUEUE_WAIT_PERCENT);
        assertThat(alarm)
                .containsEntry("Namespace", BatchlaneContract.METRIC_NAMESPACE)
                .containsEntry("Statistic", "Maximum")
                .containsEntry("Period", 300)
                .containsEntry("Threshold", 200)
                .containsEntry("ComparisonOperator", "GreaterThanOrEqualToThreshold")
                .containsEntry("TreatMissingData", "notBreaching")
                // The dimension-free series: every queue at once.
                .doesNotContainKey("Dimensions");
    }

    @Test
    void dashboard_showsTheQueueLane_byQueueAndAsAWhole() {
        String body =
                render(properties(onlyResource("AWS::CloudWatch::Dashboard")).get("DashboardBody"));
        for (String metric :
                List.of(
                        BatchlaneContract.METRIC_REQUESTS_ENQUEUED,
                        BatchlaneContract.METRIC_REQUESTS_REFUSED_AT_ENQUEUE,
                        BatchlaneContract.METRIC_DUPLICATES_AT_ENQUEUE,
                        BatchlaneContract.METRIC_QUEUE_OLDEST_AGE_SECONDS,
                        BatchlaneContract.METRIC_QUEUE_WAIT_PERCENT,
                        BatchlaneContract.METRIC_QUEUE_FLUSHES,
                        BatchlaneContract.METRIC_QUEUE_FLUSH_REQUESTS,
                        BatchlaneContract.METRIC_ANSWERS_SENT)) {
            assertThat(body).as(metric).contains("\"Batchlane\",\"" + metric + "\"");
        }
        assertThat(body).contains("{Batchlane,Queue} MetricName=\\\"QueueDepth\\\"");
    }

    @ParameterizedTest
    @EnumSource(Handler.class)
    void alarm_onErrorsOfEachFunction(Handler handler) {
        template()
                .hasResourceProperties(
                        "AWS::CloudWatch::Alarm",
                        Map.of(
                                "Namespace", "AWS/Lambda",
                                "MetricName", "Errors",
                                "Dimensions",
                                        List.of(
                                                Map.of(
                                                        "Name",
                                                        "FunctionName",
                                                        "Value",
                                                        Map.of("Ref", functionId(handler)))),
                                "Statistic", "Sum",
                                "Threshold", 1,
                                "ComparisonOperator", "GreaterThanOrEqualToThreshold"));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(
            strings = {"StreamDeadLetterQueue", "IngestFailureQueue", "IntakeDeadLetterQueue"})
    void alarm_onEachDeadLetterQueueDepthAboveZero(String queueName) {
        String queue = SynthesizedLane.resource("AWS::SQS::Queue", queueName);
        List<Map<String, Object>> found =
                resources("AWS::CloudWatch::Alarm").keySet().stream()
                        .map(SynthesizedLane::properties)
                        .filter(
                                p ->
                                        "ApproximateNumberOfMessagesVisible"
                                                .equals(p.get("MetricName")))
                        .filter(
                                p ->
                                        render(
                                                        ((Map<?, ?>)
                                                                        ((List<?>)
                                                                                        p.get(
                                                                                                "Dimensions"))
                                                                                .get(0))
                                                                .get("Value"))
                                                .equals("${" + queue + ".QueueName}"))
                        .toList();
        assertThat(found).as("alarms on " + queueName).hasSize(1);
        assertThat(found.get(0))
                .containsEntry("Namespace", "AWS/SQS")
                .containsEntry("Threshold", 0)
                .containsEntry("ComparisonOperator", "GreaterThanThreshold");
    }

    @Test
    void alarm_onStuckShards_readsTheMetricTheFunctionsEmit() {
        assertThat(alarmOn(BatchlaneContract.METRIC_STUCK_SHARDS))
                .containsEntry("Namespace", "Batchlane")
                .containsEntry("Statistic", "Sum")
                .containsEntry("Threshold", 1)
                .containsEntry("ComparisonOperator", "GreaterThanOrEqualToThreshold");
    }

    @Test
    void alarms_onFailedAndExpiredBatches_inTheBatchlaneNamespace() {
        for (String metric : List.of("BatchesFailed", "BatchesExpired")) {
            assertThat(alarmOn(metric))
                    .containsEntry("Namespace", "Batchlane")
                    .containsEntry("Statistic", "Sum")
                    .containsEntry("Threshold", 1)
                    .containsEntry("ComparisonOperator", "GreaterThanOrEqualToThreshold")
                    .doesNotContainKey("Dimensions");
        }
    }

    @Test
    void alarm_onNoSuccessfulPoll_treatsMissingDataAsBreaching() {
        assertThat(alarmOn("PollCycles"))
                .containsEntry("Namespace", "Batchlane")
                .containsEntry("Statistic", "Sum")
                .containsEntry("Period", 10 * 60)
                .containsEntry("Threshold", 1)
                .containsEntry("ComparisonOperator", "LessThanThreshold")
                .containsEntry("TreatMissingData", "breaching");
    }

    @Test
    void alarm_onOldestInFlightShardOlderThanTheConfiguredHours() {
        assertThat(alarmOn("OldestInFlightShardAgeSeconds"))
                .containsEntry("Namespace", "Batchlane")
                .containsEntry("Statistic", "Maximum")
                .containsEntry("Threshold", 25 * 3600)
                .containsEntry("ComparisonOperator", "GreaterThanThreshold");
    }

    @Test
    void alarm_onRequestFailureRate_isMetricMathOverFailedAndSucceeded() {
        template()
                .hasResourceProperties(
                        "AWS::CloudWatch::Alarm",
                        Map.of(
                                "Threshold",
                                10,
                                "ComparisonOperator",
                                "GreaterThanThreshold",
                                "Metrics",
                                Match.arrayWith(
                                        List.of(
                                                Match.objectLike(
                                                        Map.of(
                                                                "Expression",
                                                                "100 * failed / (FILL(succeeded, 0) + failed)")),
                                                Match.objectLike(
                                                        Map.of(
                                                                "Id",
                                                                "failed",
                                                                "MetricStat",
                                                                Match.objectLike(
                                                                        Map.of(
                                                                                "Metric",
                                                                                Map.of(
                                                                                        "Namespace",
                                                                                        "Batchlane",
                                                                                        "MetricName",
                                                                                        "RequestsFailed"))))),
                                                Match.objectLike(
                                                        Map.of(
                                                                "Id",
                                                                "succeeded",
                                                                "MetricStat",
                                                                Match.objectLike(
                                                                        Map.of(
                                                                                "Metric",
                                                                                Map.of(
                                                                                        "Namespace",
                                                                                        "Batchlane",
                                                                                        "MetricName",
                                                                                        "RequestsSucceeded"))))))),
                                "TreatMissingData",
                                "notBreaching"));
    }

    @Test
    void everyAlarm_notifiesTheAlarmTopic_whichMailsTheConfiguredAddress() {
        String topic = onlyResource("AWS::SNS::Topic");
        // Errors of each of the four functions, stream dead letters, ingest events failed for
        // good, stuck shards, failed and expired batches, a stalled poller, a shard in flight too
        // long, the request failure rate, a queued request waiting twice its max-wait, and intake
        // messages failed for good.
        assertThat(resources("AWS::CloudWatch::Alarm")).hasSize(14);
        template()
                .allResourcesProperties(
                        "AWS::CloudWatch::Alarm",
                        Map.of("AlarmActions", List.of(Map.of("Ref", topic))));
        template()
                .hasResourceProperties(
                        "AWS::SNS::Subscription",
                        Map.of(
                                "Protocol",
                                "email",
                                "Endpoint",
                                SynthesizedLane.ALARM_EMAIL,
                                "TopicArn",
                                Map.of("Ref", topic)));
    }

    @Test
    void dashboard_showsJobsRequestsFailureRateTokensAndCost() {
        String body =
                render(properties(onlyResource("AWS::CloudWatch::Dashboard")).get("DashboardBody"));
        for (String metric :
                List.of(
                        "JobsAccepted",
                        "JobsRejected",
                        "RequestsSubmitted",
                        "RequestsSucceeded",
                        "RequestsFailed",
                        "InputTokens",
                        "OutputTokens",
                        "CostUsd",
                        "PollCycles",
                        "BatchesFailed",
                        "BatchesExpired")) {
            assertThat(body).as(metric).contains("\"Batchlane\",\"" + metric + "\"");
        }
        assertThat(body)
                .contains("100 * failed / (FILL(succeeded, 0) + failed)")
                .contains("\"title\":\"Request failure rate (%)\"")
                .contains("\"title\":\"Tokens\"")
                .contains("\"title\":\"Cost (USD)\"");
    }

    @Test
    void outputs_nameTheBucketTableDashboardBusAndDeadLetterQueue() {
        template()
                .hasOutput(
                        "BucketName",
                        Map.of("Value", Map.of("Ref", onlyResource("AWS::S3::Bucket"))));
        template()
                .hasOutput(
                        "TableName",
                        Map.of("Value", Map.of("Ref", onlyResource("AWS::DynamoDB::Table"))));
        template()
                .hasOutput(
                        "EventBusName",
                        Map.of("Value", Map.of("Ref", onlyResource("AWS::Events::EventBus"))));
        template()
                .hasOutput(
                        "DeadLetterQueueUrl",
                        Map.of(
                                "Value",
                                Map.of(
                                        "Ref",
                                        SynthesizedLane.resource(
                                                "AWS::SQS::Queue", "StreamDeadLetterQueue"))));
        @SuppressWarnings("unchecked")
        Map<String, Object> url =
                (Map<String, Object>)
                        ((Map<String, Object>) SynthesizedLane.json().get("Outputs"))
                                .get("DashboardUrl");
        assertThat(render(url.get("Value")))
                .isEqualTo(
                        "https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home"
                                + "?region=${AWS::Region}#dashboards:name=${"
                                + onlyResource("AWS::CloudWatch::Dashboard")
                                + "}");
    }

    @Test
    void outputs_nameTheIntakeQueue_byUrlAndArn() {
        String intake = SynthesizedLane.resource("AWS::SQS::Queue", "StateIntakeQueue");
        template().hasOutput("IntakeQueueUrl", Map.of("Value", Map.of("Ref", intake)));
        template()
                .hasOutput(
                        "IntakeQueueArn",
                        Map.of("Value", Map.of("Fn::GetAtt", List.of(intake, "Arn"))));
    }
}
