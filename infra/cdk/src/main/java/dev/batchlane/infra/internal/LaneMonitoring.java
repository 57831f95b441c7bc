package dev.batchlane.infra.internal;

import static dev.batchlane.infra.BatchlaneContract.METRIC_ANSWERS_SENT;
import static dev.batchlane.infra.BatchlaneContract.METRIC_BATCHES_EXPIRED;
import static dev.batchlane.infra.BatchlaneContract.METRIC_BATCHES_FAILED;
import static dev.batchlane.infra.BatchlaneContract.METRIC_COST_USD;
import static dev.batchlane.infra.BatchlaneContract.METRIC_DIMENSION_PROVIDER;
import static dev.batchlane.infra.BatchlaneContract.METRIC_DIMENSION_QUEUE;
import static dev.batchlane.infra.BatchlaneContract.METRIC_DUPLICATES_AT_ENQUEUE;
import static dev.batchlane.infra.BatchlaneContract.METRIC_INGEST_FAILURES;
import static dev.batchlane.infra.BatchlaneContract.METRIC_INPUT_TOKENS;
import static dev.batchlane.infra.BatchlaneContract.METRIC_JOBS_ACCEPTED;
import static dev.batchlane.infra.BatchlaneContract.METRIC_JOBS_REJECTED;
import static dev.batchlane.infra.BatchlaneContract.METRIC_NAMESPACE;
import static dev.batchlane.infra.BatchlaneContract.METRIC_OLDEST_IN_FLIGHT_SHARD_AGE_SECONDS;
import static dev.batchlane.infra.BatchlaneContract.METRIC_OUTPUT_TOKENS;
import static dev.batchlane.infra.BatchlaneContract.METRIC_POLL_CYCLES;
import static dev.batchlane.infra.BatchlaneContract.METRIC_POLL_CYCLE_DURATION_MS;
import static dev.batchlane.infra.BatchlaneContract.METRIC_QUEUE_DEPTH;
import static dev.batchlane.infra.BatchlaneContract.METRIC_QUEUE_FLUSHES;
import static dev.batchlane.infra.BatchlaneContract.METRIC_QUEUE_FLUSH_REQUESTS;
import static dev.batchlane.infra.BatchlaneContract.METRIC_QUEUE_OLDEST_AGE_SECONDS;
import static dev.batchlane.infra.BatchlaneContract.METRIC_QUEUE_WAIT_PERCENT;
import static dev.batchlane.infra.BatchlaneContract.METRIC_REQUESTS_ENQUEUED;
import static dev.batchlane.infra.BatchlaneContract.METRIC_REQUESTS_FAILED;
import static dev.batchlane.infra.BatchlaneContract.METRIC_REQUESTS_REFUSED_AT_ENQUEUE;
import static dev.batchlane.infra.BatchlaneContract.METRIC_REQUESTS_SUBMITTED;
import static dev.batchlane.infra.BatchlaneContract.METRIC_REQUESTS_SUCCEEDED;
import static dev.batchlane.infra.BatchlaneContract.METRIC_STUCK_SHARDS;

import dev.batchlane.infra.BatchlaneContract.Handler;
import dev.batchlane.infra.BatchlaneProps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.AlarmStatusWidget;
import software.amazon.awscdk.services.cloudwatch.ComparisonOperator;
import software.amazon.awscdk.services.cloudwatch.Dashboard;
import software.amazon.awscdk.services.cloudwatch.GraphWidget;
import software.amazon.awscdk.services.cloudwatch.IAlarm;
import software.amazon.awscdk.services.cloudwatch.IMetric;
import software.amazon.awscdk.services.cloudwatch.MathExpression;
import software.amazon.awscdk.services.cloudwatch.Metric;
import software.amazon.awscdk.services.cloudwatch.MetricOptions;
import software.amazon.awscdk.services.cloudwatch.TreatMissingData;
import software.amazon.awscdk.services.cloudwatch.actions.SnsAction;
import software.amazon.awscdk.services.sns.Topic;
import software.amazon.awscdk.services.sns.subscriptions.EmailSubscription;
import software.constructs.Construct;

/**
 * Alarms on what goes wrong silently in a batch lane — a function failing, a completion parked in
 * the dead-letter queue, an S3 event that failed every ingest attempt, shards poll found stuck,
 * batches failing or expiring at the provider, a poller that stopped, a shard in flight too long,
 * too many failed requests — all to one SNS topic, and a dashboard of jobs, requests, failure rate,
 * tokens and cost. The Batchlane metrics come from the functions' logs in the embedded metric
 * format; the alarms read their dimension-free series.
 */
public final class LaneMonitoring extends Construct {

    private static final Duration FIVE_MINUTES = Duration.minutes(5);

    private final Topic alarmTopic;
    private final Dashboard dashboard;
    private final List<Alarm> alarms = new ArrayList<>();

    public LaneMonitoring(
            Construct scope,
            String id,
            BatchlaneProps props,
            LaneState state,
            LaneFunctions functions) {
        super(scope, id);
        alarmTopic =
                Topic.Builder.create(this, "AlarmTopic")
                        .displayName("Batchlane alarms")
                        .enforceSsl(true)
                        .build();
        props.alarmEmail()
                .ifPresent(email -> alarmTopic.addSubscription(new EmailSubscription(email)));
        SnsAction notify = new SnsAction(alarmTopic);

        for (Handler handler : Handler.values()) {
            alarms.add(
                    Alarm.Builder.create(this, capitalized(handler) + "Errors")
                            .alarmDescription(
                                    "Batchlane "
                                            + handler.handlerName()
                                            + " failed invocations (all versions)")
                            .metric(
                                    functions
                                            .function(handler)
                                            .metricErrors(
                                                    MetricOptions.builder()
                                                            .period(FIVE_MINUTES)
                                                            .statistic("Sum")
                                                            .build()))
                            .threshold(1)
                            .comparisonOperator(
                                    ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
                            .evaluationPeriods(1)
                            .treatMissingData(TreatMissingData.NOT_BREACHING)
                            .build());
        }
        alarms.add(
                Alarm.Builder.create(this, "DeadLetterQueueNotEmpty")
                        .alarmDescription(
                                "Batchlane: a shard completion failed all its retries and waits in the dead-letter queue")
                        .metric(
                                state.deadLetterQueue()
                                        .metricApproximateNumberOfMessagesVisible(
                                                MetricOptions.builder()
                                                        .period(FIVE_MINUTES)
                                                        .statistic("Maximum")
                                                        .build()))
                        .threshold(0)
                        .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
                        .evaluationPeriods(1)
                        .treatMissingData(TreatMissingData.NOT_BREACHING)
                        .build());
        alarms.add(
                Alarm.Builder.create(this, "IngestFailedForGood")
                        .alarmDescription(
                                "Batchlane: an S3 event failed every ingest attempt and waits in the ingest failure"
                                        + " queue; resume its job with an object resume/<jobId> (see docs/operations.md)")
                        .metric(
                                state.ingestFailureQueue()
                                        .metricApproximateNumberOfMessagesVisible(
                                                MetricOptions.builder()
                                                        .period(FIVE_MINUTES)
                                                        .statistic("Maximum")
                                                        .build()))
                        .threshold(0)
                        .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
                        .evaluationPeriods(1)
                        .treatMissingData(TreatMissingData.NOT_BREACHING)
                        .build());
        alarms.add(
                countAlarm(
                        "StuckShards",
                        METRIC_STUCK_SHARDS,
                        1,
                        "Batchlane: poll found shards stuck (the shard items say why; ./batchlane status or the table)"));
        alarms.add(
                countAlarm(
                        "BatchesFailed",
                        METRIC_BATCHES_FAILED,
                        props.batchesFailedThreshold(),
                        "Batchlane: provider batches failed"));
        alarms.add(
                countAlarm(
                        "BatchesExpired",
                        METRIC_BATCHES_EXPIRED,
                        props.batchesExpiredThreshold(),
                        "Batchlane: provider batches expired before finishing"));
        alarms.add(
                Alarm.Builder.create(this, "PollerStalled")
                        .alarmDescription(
                                "Batchlane: no successful poll cycle for "
                                        + props.pollStalledMinutes()
                                        + " minutes")
                        .metric(
                                batchlane(
                                        METRIC_POLL_CYCLES,
                                        "Sum",
                                        Duration.minutes(props.pollStalledMinutes())))
                        .threshold(1)
                        .comparisonOperator(ComparisonOperator.LESS_THAN_THRESHOLD)
                        .evaluationPeriods(1)
                        // A poller that stopped emits nothing: silence is the failure this alarm
                        // exists for.
                        .treatMissingData(TreatMissingData.BREACHING)
                        .build());
        alarms.add(
                Alarm.Builder.create(this, "ShardInFlightTooLong")
                        .alarmDescription(
                                "Batchlane: a shard has been in flight for more than "
                                        + props.oldestInFlightShardHours()
                                        + " hours")
                        .metric(
                                batchlane(
                                        METRIC_OLDEST_IN_FLIGHT_SHARD_AGE_SECONDS,
                                        "Maximum",
                                        FIVE_MINUTES))
                        .threshold(props.oldestInFlightShardHours() * 3600)
                        .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
                        .evaluationPeriods(1)
                        // No shard in flight emits nothing; a stopped poller is PollerStalled's
                        // job.
                        .treatMissingData(TreatMissingData.NOT_BREACHING)
                        .build());
        alarms.add(
                Alarm.Builder.create(this, "RequestFailureRate")
                        .alarmDescription(
                                "Batchlane: more than "
                                        + props.requestFailureRatePercent()
                                        + "% of finished requests failed in the last hour")
                        .metric(failureRate(Duration.hours(1)))
                        .threshold(props.requestFailureRatePercent())
                        .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
                        .evaluationPeriods(1)
                        .treatMissingData(TreatMissingData.NOT_BREACHING)
                        .build());
        alarms.add(
                Alarm.Builder.create(this, "QueueOldestRequestWaitingTooLong")
                        .alarmDescription(
                                "Batchlane: a queued request has waited twice its queue's max-wait"
                                        + " (QueueOldestWaitPercentOfMax >= 200): its group is not"
                                        + " flushing; see the poll logs for the queue")
                        .metric(batchlane(METRIC_QUEUE_WAIT_PERCENT, "Maximum", FIVE_MINUTES))
                        .threshold(200)
                        .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
                        .evaluationPeriods(1)
                        // Nothing waiting emits nothing; a stopped poller is PollerStalled's job.
                        .treatMissingData(TreatMissingData.NOT_BREACHING)
                        .build());
        alarms.add(
                Alarm.Builder.create(this, "IntakeDeadLetterNotEmpty")
                        .alarmDescription(
                                "Batchlane: a queued request failed every delivery and waits in the"
                                        + " intake dead-letter queue unanswered")
                        .metric(
                                state.intakeDeadLetterQueue()
                                        .metricApproximateNumberOfMessagesVisible(
                                                MetricOptions.builder()
                                                        .period(FIVE_MINUTES)
                                                        .statistic("Maximum")
                                                        .build()))
                        .threshold(0)
                        .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
                        .evaluationPeriods(1)
                        .treatMissingData(TreatMissingData.NOT_BREACHING)
                        .build());
        alarms.forEach(alarm -> alarm.addAlarmAction(notify));

        dashboard =
                Dashboard.Builder.create(this, "Dashboard")
                        .dashboardName(
                                Stack.of(this).getStackName() + "-" + scope.getNode().getId())
                        .build();
        dashboard.addWidgets(
                graph("Jobs", batchlane(METRIC_JOBS_ACCEPTED), batchlane(METRIC_JOBS_REJECTED)),
                graph(
                        "Requests",
                        batchlane(METRIC_REQUESTS_SUBMITTED),
                        batchlane(METRIC_REQUESTS_SUCCEEDED),
                        batchlane(METRIC_REQUESTS_FAILED)),
                graph("Request failure rate (%)", failureRate(FIVE_MINUTES)));
        dashboard.addWidgets(
                graph("Tokens", batchlane(METRIC_INPUT_TOKENS), batchlane(METRIC_OUTPUT_TOKENS)),
                graph("Cost (USD)", batchlane(METRIC_COST_USD)),
                graph(
                        "Cost by provider (USD)",
                        MathExpression.Builder.create()
                                .expression(
                                        "SEARCH('{"
                                                + METRIC_NAMESPACE
                                                + ","
                                                + METRIC_DIMENSION_PROVIDER
                                                + "} MetricName=\""
                                                + METRIC_COST_USD
                                                + "\"', 'Sum', 300)")
                                .label("")
                                .period(FIVE_MINUTES)
                                .build()));
        dashboard.addWidgets(
                graph(
                        "Poll cycles",
                        batchlane(METRIC_POLL_CYCLES),
                        batchlane(METRIC_POLL_CYCLE_DURATION_MS, "Maximum", FIVE_MINUTES)),
                graph(
                        "Oldest in-flight shard (s)",
                        batchlane(
                                METRIC_OLDEST_IN_FLIGHT_SHARD_AGE_SECONDS,
                                "Maximum",
                                FIVE_MINUTES)),
                graph(
                        "Batches failed / expired",
                        batchlane(METRIC_BATCHES_FAILED),
                        batchlane(METRIC_BATCHES_EXPIRED)));
        dashboard.addWidgets(
                graph("Stuck shards", batchlane(METRIC_STUCK_SHARDS)),
                graph("Ingest failures (attempts)", batchlane(METRIC_INGEST_FAILURES)));
        dashboard.addWidgets(
                graph(
                        "Queued requests",
                        batchlane(METRIC_REQUESTS_ENQUEUED),
                        batchlane(METRIC_REQUESTS_REFUSED_AT_ENQUEUE),
                        batchlane(METRIC_DUPLICATES_AT_ENQUEUE)),
                graph(
                        "Queue depth by queue",
                        MathExpression.Builder.create()
                                .expression(
                                        "SEARCH('{"
                                                + METRIC_NAMESPACE
                                                + ","
                                                + METRIC_DIMENSION_QUEUE
                                                + "} MetricName=\""
                                                + METRIC_QUEUE_DEPTH
                                                + "\"', 'Maximum', 300)")
                                .label("")
                                .period(FIVE_MINUTES)
                                .build()),
                graph(
                        "Oldest queued request",
                        batchlane(METRIC_QUEUE_OLDEST_AGE_SECONDS, "Maximum", FIVE_MINUTES),
                        batchlane(METRIC_QUEUE_WAIT_PERCENT, "Maximum", FIVE_MINUTES)));
        dashboard.addWidgets(
                graph(
                        "Queue flushes and answers",
                        batchlane(METRIC_QUEUE_FLUSHES),
                        batchlane(METRIC_QUEUE_FLUSH_REQUESTS),
                        batchlane(METRIC_ANSWERS_SENT)),
                graph(
                        "Intake queue",
                        state.intakeQueue().metricApproximateNumberOfMessagesVisible(),
                        state.intakeQueue().metricApproximateAgeOfOldestMessage()));
        dashboard.addWidgets(
                graph(
                        "Function errors",
                        functions.function(Handler.INGEST).metricErrors(),
                        functions.function(Handler.POLL).metricErrors(),
                        functions.function(Handler.COMPLETE).metricErrors(),
                        functions.function(Handler.ENQUEUE).metricErrors()),
                graph(
                        "Dead-letter queues",
                        state.deadLetterQueue().metricApproximateNumberOfMessagesVisible(),
                        state.ingestFailureQueue().metricApproximateNumberOfMessagesVisible(),
                        state.intakeDeadLetterQueue().metricApproximateNumberOfMessagesVisible()),
                AlarmStatusWidget.Builder.create()
                        .title("Alarms")
                        .alarms(List.<IAlarm>copyOf(alarms))
                        .width(8)
                        .build());
    }

    private Alarm countAlarm(String id, String metricName, int threshold, String description) {
        return Alarm.Builder.create(this, id)
                .alarmDescription(description + " (at least " + threshold + " in 5 minutes)")
                .metric(batchlane(metricName))
                .threshold(threshold)
                .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
                .evaluationPeriods(1)
                .treatMissingData(TreatMissingData.NOT_BREACHING)
                .build();
    }

    /**
     * Failed requests as a share of finished ones; a period without failures has no point, not 0/0.
     */
    private static MathExpression failureRate(Duration period) {
        return MathExpression.Builder.create()
                .expression("100 * failed / (FILL(succeeded, 0) + failed)")
                .usingMetrics(
                        new TreeMap<>(
                                Map.of(
                                        "failed", batchlane(METRIC_REQUESTS_FAILED, "Sum", period),
                                        "succeeded",
                                                batchlane(
                                                        METRIC_REQUESTS_SUCCEEDED, "Sum", period))))
                .label("Failed requests (%)")
                .period(period)
                .build();
    }

    private static Metric batchlane(String metricName) {
        return batchlane(metricName, "Sum", FIVE_MINUTES);
    }

    private static Metric batchlane(String metricName, String statistic, Duration period) {
        return Metric.Builder.create()
                .namespace(METRIC_NAMESPACE)
                .metricName(metricName)
                .statistic(statistic)
                .period(period)
                .build();
    }

    private static GraphWidget graph(String title, IMetric... metrics) {
        return GraphWidget.Builder.create().title(title).left(List.of(metrics)).width(8).build();
    }

    private static String capitalized(Handler handler) {
        String name = handler.handlerName();
        return Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }

    public Topic alarmTopic() {
        return alarmTopic;
    }

    public Dashboard dashboard() {
        return dashboard;
    }

    public List<Alarm> alarms() {
        return List.copyOf(alarms);
    }
}
