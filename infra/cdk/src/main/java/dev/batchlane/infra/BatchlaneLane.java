package dev.batchlane.infra;

import dev.batchlane.infra.BatchlaneContract.Handler;
import dev.batchlane.infra.internal.LaneFunctions;
import dev.batchlane.infra.internal.LaneMonitoring;
import dev.batchlane.infra.internal.LaneState;
import java.util.List;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.Dashboard;
import software.amazon.awscdk.services.dynamodb.ITable;
import software.amazon.awscdk.services.events.IEventBus;
import software.amazon.awscdk.services.kms.IKey;
import software.amazon.awscdk.services.lambda.IAlias;
import software.amazon.awscdk.services.lambda.IFunction;
import software.amazon.awscdk.services.s3.IBucket;
import software.amazon.awscdk.services.secretsmanager.ISecret;
import software.amazon.awscdk.services.sns.ITopic;
import software.amazon.awscdk.services.sqs.IQueue;
import software.constructs.Construct;

/**
 * One Batchlane lane: the bucket teams drop JSONL into, the table of jobs and shards, the intake
 * queue applications send single requests to, the four functions that ingest, poll, complete and
 * enqueue, their triggers, and the alarms and dashboard to run it. Everything is set by {@link
 * BatchlaneProps}; the names the functions rely on are in {@link BatchlaneContract}. Several lanes
 * may share a stack if each has its own event bus name.
 */
public final class BatchlaneLane extends Construct {

    private final LaneState state;
    private final LaneFunctions functions;
    private final LaneMonitoring monitoring;

    public BatchlaneLane(Construct scope, String id, BatchlaneProps props) {
        super(scope, id);
        state = new LaneState(this, "State", props);
        functions = new LaneFunctions(this, "Functions", props, state);
        monitoring = new LaneMonitoring(this, "Monitoring", props, state, functions);
    }

    public IBucket bucket() {
        return state.bucket();
    }

    /** The customer-managed key the bucket is encrypted with. */
    public IKey dataKey() {
        return state.dataKey();
    }

    public ITable table() {
        return state.table();
    }

    /**
     * The secret holding {@code provider}'s key (every enabled provider with a key has one); put
     * the key there with {@code aws secretsmanager put-secret-value}.
     */
    public ISecret providerKey(String provider) {
        ISecret secret = state.providerKeys().get(provider);
        if (secret == null) {
            throw new IllegalArgumentException(
                    "no key secret for provider '"
                            + provider
                            + "': the lane has secrets for "
                            + state.providerKeys().keySet()
                            + " (the enabled providers with a key; see the providers setting)");
        }
        return secret;
    }

    /** The key secrets, by provider name. */
    public java.util.Map<String, ISecret> providerKeys() {
        return state.providerKeys();
    }

    /**
     * Where complete puts {@value BatchlaneContract#EVENT_JOB_COMPLETED} events; add rules to route
     * them.
     */
    public IEventBus eventBus() {
        return state.eventBus();
    }

    /**
     * Where applications send requests for the queue lane, one per message: the body is the
     * provider's line; message attributes {@code provider} (required), {@code queue} (default
     * {@code default}), {@code reply-to} (an SQS queue URL among the lane's reply queues) and any
     * other String attribute as a per-request setting (e.g. {@code model-id}).
     */
    public IQueue intakeQueue() {
        return state.intakeQueue();
    }

    /** Intake messages that failed every delivery, and queue files enqueue failed for good. */
    public IQueue intakeDeadLetterQueue() {
        return state.intakeDeadLetterQueue();
    }

    /** Stream batches complete could not process after its retries. */
    public IQueue deadLetterQueue() {
        return state.deadLetterQueue();
    }

    /** The role {@code provider}'s service assumes for the lane's work, if it declares one. */
    public java.util.Optional<software.amazon.awscdk.services.iam.IRole> serviceRole(
            String provider) {
        var deployment = functions.providers().get(provider);
        return deployment == null ? java.util.Optional.empty() : deployment.serviceRole();
    }

    public IFunction function(Handler handler) {
        return functions.function(handler);
    }

    /** The alias the triggers invoke; SnapStart applies to the version behind it. */
    public IAlias alias(Handler handler) {
        return functions.alias(handler);
    }

    public ITopic alarmTopic() {
        return monitoring.alarmTopic();
    }

    public List<Alarm> alarms() {
        return monitoring.alarms();
    }

    public Dashboard dashboard() {
        return monitoring.dashboard();
    }

    /** The console address of the dashboard. */
    public String dashboardUrl() {
        String region = Stack.of(this).getRegion();
        return "https://"
                + region
                + ".console.aws.amazon.com/cloudwatch/home?region="
                + region
                + "#dashboards:name="
                + dashboard().getDashboardName();
    }
}
