package dev.batchlane.infra.internal;

import static dev.batchlane.infra.BatchlaneContract.ATTRIBUTE_FINISH_REQUESTED;
import static dev.batchlane.infra.BatchlaneContract.ENV_BUCKET;
import static dev.batchlane.infra.BatchlaneContract.ENV_EVENT_BUS;
import static dev.batchlane.infra.BatchlaneContract.ENV_HANDLER;
import static dev.batchlane.infra.BatchlaneContract.ENV_JAVA_TOOL_OPTIONS;
import static dev.batchlane.infra.BatchlaneContract.ENV_PROVIDERS;
import static dev.batchlane.infra.BatchlaneContract.ENV_QUEUES;
import static dev.batchlane.infra.BatchlaneContract.ENV_STAGING_LIFETIME;
import static dev.batchlane.infra.BatchlaneContract.ENV_TABLE;
import static dev.batchlane.infra.BatchlaneContract.INBOX_SUFFIX;
import static dev.batchlane.infra.BatchlaneContract.LAMBDA_HANDLER;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_CANCEL;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_INBOX;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_QUEUE;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_REDRIVE;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_RESUME;

import dev.batchlane.core.catalogue.ProviderDescriptor;
import dev.batchlane.infra.BatchlaneContract;
import dev.batchlane.infra.BatchlaneContract.Handler;
import dev.batchlane.infra.BatchlaneProps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awscdk.Annotations;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Size;
import software.amazon.awscdk.services.events.Rule;
import software.amazon.awscdk.services.events.Schedule;
import software.amazon.awscdk.services.events.targets.LambdaFunction;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.lambda.Alias;
import software.amazon.awscdk.services.lambda.Architecture;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.EventInvokeConfigOptions;
import software.amazon.awscdk.services.lambda.FilterCriteria;
import software.amazon.awscdk.services.lambda.FilterRule;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.Runtime;
import software.amazon.awscdk.services.lambda.SnapStartConf;
import software.amazon.awscdk.services.lambda.StartingPosition;
import software.amazon.awscdk.services.lambda.destinations.SqsDestination;
import software.amazon.awscdk.services.lambda.eventsources.DynamoEventSource;
import software.amazon.awscdk.services.lambda.eventsources.SqsDlq;
import software.amazon.awscdk.services.lambda.eventsources.SqsEventSource;
import software.amazon.awscdk.services.logs.CfnLogGroup;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.s3.EventType;
import software.amazon.awscdk.services.s3.NotificationKeyFilter;
import software.amazon.awscdk.services.s3.notifications.LambdaDestination;
import software.constructs.Construct;

/**
 * The replaceable half: one Quarkus artifact deployed as four functions, each with its own role and
 * log group, published as a version (SnapStart snapshots only published versions) behind a {@code
 * live} alias that every trigger targets, so an invocation never reaches an unsnapshotted {@code
 * $LATEST}.
 */
public final class LaneFunctions extends Construct {

    /** The alias every trigger invokes. */
    public static final String ALIAS = "live";

    private final Map<Handler, Function> functions = new EnumMap<>(Handler.class);
    private final Map<Handler, Alias> aliases = new EnumMap<>(Handler.class);

    /** What each provider of the catalogue asks of the deployment, by provider name. */
    private final Map<String, ProviderDeployment> providers = new LinkedHashMap<>();

    /** The deployment parts of each provider (its service role, its grants), by provider name. */
    public Map<String, ProviderDeployment> providers() {
        return java.util.Collections.unmodifiableMap(providers);
    }

    public LaneFunctions(Construct scope, String id, BatchlaneProps props, LaneState state) {
        super(scope, id);
        Path zip = Path.of(props.functionZip());
        if (!Files.isRegularFile(zip)) {
            throw new IllegalArgumentException(
                    "functionZip "
                            + zip.toAbsolutePath()
                            + " is not a file: build it with "
                            + "'./mvnw -pl functions -am package' or point -c functionZip=… at a built function.zip");
        }
        // A zip file is deployed as it is: no bundling, no Docker. One asset serves all three
        // functions.
        Code code = Code.fromAsset(zip.toString());
        for (var provider : props.enabledProviders()) {
            if (!provider.deployment()
                    .equals(dev.batchlane.core.catalogue.ProviderDescriptor.Deployment.NONE)) {
                providers.put(
                        provider.name(), new ProviderDeployment(this, provider, props, state));
            }
        }

        for (Handler handler : Handler.values()) {
            function(handler, props, state, code);
        }

        state.bucket()
                .addEventNotification(
                        EventType.OBJECT_CREATED,
                        new LambdaDestination(aliases.get(Handler.INGEST)),
                        NotificationKeyFilter.builder()
                                .prefix(PREFIX_INBOX)
                                .suffix(INBOX_SUFFIX)
                                .build());
        // An object cancel/<jobId> is the owner's word to cancel that job; ingest acts on it (it
        // only
        // needs the key, not the object).
        state.bucket()
                .addEventNotification(
                        EventType.OBJECT_CREATED,
                        new LambdaDestination(aliases.get(Handler.INGEST)),
                        NotificationKeyFilter.builder().prefix(PREFIX_CANCEL).build());
        // resume/<jobId> resumes an ingest that failed for good; redrive/<jobId> hands a job's
        // completion work to complete again (after stream records went to the dead-letter queue).
        state.bucket()
                .addEventNotification(
                        EventType.OBJECT_CREATED,
                        new LambdaDestination(aliases.get(Handler.INGEST)),
                        NotificationKeyFilter.builder().prefix(PREFIX_RESUME).build());
        state.bucket()
                .addEventNotification(
                        EventType.OBJECT_CREATED,
                        new LambdaDestination(aliases.get(Handler.INGEST)),
                        NotificationKeyFilter.builder().prefix(PREFIX_REDRIVE).build());
        // S3 invokes ingest asynchronously: Lambda retries a failed invocation twice, then the
        // event
        // goes here instead of vanishing (what LaneMonitoring's IngestFailures alarm watches).
        aliases.get(Handler.INGEST)
                .configureAsyncInvoke(
                        EventInvokeConfigOptions.builder()
                                .retryAttempts(2)
                                .onFailure(new SqsDestination(state.ingestFailureQueue()))
                                .build());

        // The queue lane: requests one per message on the intake queue, or small files under
        // queue/. A failed message comes back alone (reportBatchItemFailures) while its
        // batch-mates are deleted; a refused request is answered, not failed.
        aliases.get(Handler.ENQUEUE)
                .addEventSource(
                        SqsEventSource.Builder.create(state.intakeQueue())
                                .batchSize(10)
                                .reportBatchItemFailures(true)
                                .build());
        state.bucket()
                .addEventNotification(
                        EventType.OBJECT_CREATED,
                        new LambdaDestination(aliases.get(Handler.ENQUEUE)),
                        NotificationKeyFilter.builder().prefix(PREFIX_QUEUE).build());
        // S3 invokes enqueue asynchronously for a queue file: after Lambda's two retries the event
        // is kept with the intake messages that failed, not lost.
        aliases.get(Handler.ENQUEUE)
                .configureAsyncInvoke(
                        EventInvokeConfigOptions.builder()
                                .retryAttempts(2)
                                .onFailure(new SqsDestination(state.intakeDeadLetterQueue()))
                                .build());

        Rule.Builder.create(this, "PollSchedule")
                .description("Batchlane: one poll cycle over the due shards")
                .schedule(Schedule.rate(Duration.minutes(props.pollRateMinutes())))
                .targets(
                        List.of(
                                LambdaFunction.Builder.create(aliases.get(Handler.POLL))
                                        // The next tick is the retry; a late cycle would only
                                        // overlap the next one.
                                        .retryAttempts(0)
                                        .maxEventAge(Duration.minutes(1))
                                        .build()))
                .build();

        // Binding this source also grants complete the stream reads on the stream ARN, the queue's
        // SendMessage, and dynamodb:ListStreams on "*": Lambda checks the role for ListStreams when
        // it creates the mapping, and ListStreams takes no resource-level permission. It is the
        // only
        // "*" resource in the lane's IAM policies.
        aliases.get(Handler.COMPLETE)
                .addEventSource(
                        DynamoEventSource.Builder.create(state.table())
                                // Never skip a shard that ended while complete was down or being
                                // deployed.
                                .startingPosition(StartingPosition.TRIM_HORIZON)
                                .batchSize(props.streamBatchSize())
                                // A poison record is isolated by halving instead of blocking its
                                // batch-mates.
                                .bisectBatchOnError(true)
                                .retryAttempts(props.streamRetryAttempts())
                                .onFailure(new SqsDlq(state.deadLetterQueue()))
                                .filters(List.of(shardReachedEnded(), jobFinishRequested()))
                                .build());
    }

    /**
     * Only the transition of a shard into ENDED: a later rewrite of an ENDED shard (bookkeeping by
     * complete itself) must not complete it again, and jobs are not shards. Sorted maps, because
     * Map.of iterates in a different order in each JVM and the pattern would change on every synth.
     */
    static Map<String, Object> shardReachedEnded() {
        return FilterCriteria.filter(
                new TreeMap<>(
                        Map.of(
                                "dynamodb",
                                new TreeMap<>(
                                        Map.of(
                                                "NewImage",
                                                new TreeMap<>(
                                                        Map.of(
                                                                "type",
                                                                        Map.of(
                                                                                "S",
                                                                                FilterRule.isEqual(
                                                                                        "shard")),
                                                                "status",
                                                                        Map.of(
                                                                                "S",
                                                                                FilterRule.isEqual(
                                                                                        "ENDED")))),
                                                "OldImage",
                                                Map.of(
                                                        "status",
                                                        Map.of(
                                                                "S",
                                                                FilterRule.notEquals(
                                                                        "ENDED"))))))));
    }

    /**
     * A running job on which {@link BatchlaneContract#ATTRIBUTE_FINISH_REQUESTED} has just
     * appeared: someone (ingest, poll, a re-drive) asks complete to finish a job whose shards are
     * all completed.
     */
    static Map<String, Object> jobFinishRequested() {
        return FilterCriteria.filter(
                new TreeMap<>(
                        Map.of(
                                "dynamodb",
                                new TreeMap<>(
                                        Map.of(
                                                "NewImage",
                                                new TreeMap<>(
                                                        Map.of(
                                                                "type",
                                                                Map.of(
                                                                        "S",
                                                                        FilterRule.isEqual("job")),
                                                                "status",
                                                                Map.of(
                                                                        "S",
                                                                        FilterRule.isEqual(
                                                                                "RUNNING")),
                                                                // "exists" matches leaves only: the
                                                                // attribute's number value, not the
                                                                // attribute.
                                                                ATTRIBUTE_FINISH_REQUESTED,
                                                                Map.of("N", FilterRule.exists()))),
                                                "OldImage",
                                                Map.of(
                                                        ATTRIBUTE_FINISH_REQUESTED,
                                                        Map.of("N", FilterRule.notExists())))))));
    }

    private void function(Handler handler, BatchlaneProps props, LaneState state, Code code) {
        String name =
                switch (handler) {
                    case INGEST -> "Ingest";
                    case POLL -> "Poll";
                    case COMPLETE -> "Complete";
                    case ENQUEUE -> "Enqueue";
                };
        int memoryMb =
                switch (handler) {
                    case INGEST -> props.ingestMemoryMb();
                    case POLL -> props.pollMemoryMb();
                    case COMPLETE -> props.completeMemoryMb();
                    case ENQUEUE -> props.enqueueMemoryMb();
                };
        int timeoutSeconds =
                switch (handler) {
                    case INGEST -> props.ingestTimeoutSeconds();
                    case POLL -> props.pollTimeoutSeconds();
                    case COMPLETE -> props.completeTimeoutSeconds();
                    case ENQUEUE -> props.enqueueTimeoutSeconds();
                };

        Role role =
                Role.Builder.create(this, name + "Role")
                        .assumedBy(new ServicePrincipal("lambda.amazonaws.com"))
                        .description(
                                "Batchlane "
                                        + handler.handlerName()
                                        + ": only what "
                                        + handler.handlerName()
                                        + " needs")
                        .build();
        // Created here, not by Lambda, so the role's log permissions name this group and no other.
        LogGroup logs =
                LogGroup.Builder.create(this, name + "Logs")
                        .removalPolicy(props.removalPolicy())
                        .build();
        ((CfnLogGroup) logs.getNode().getDefaultChild())
                .setRetentionInDays(props.logRetentionDays());
        LanePermissions.grant(handler, role, state, logs, replyQueues(props));
        if (LanePermissions.callsProviders(handler)) {
            providers.values().forEach(p -> p.grant(handler, role));
        }

        Map<String, String> environment = new LinkedHashMap<>();
        environment.put(ENV_HANDLER, handler.handlerName());
        environment.put(ENV_BUCKET, state.bucket().getBucketName());
        environment.put(ENV_TABLE, state.table().getTableName());
        environment.put(ENV_JAVA_TOOL_OPTIONS, javaToolOptions(handler));
        if (LanePermissions.checksRequests(handler)) {
            // The functions build these providers and no others, each on its first use; in the
            // catalogue's order, so reordering the setting does not change the template.
            environment.put(
                    ENV_PROVIDERS,
                    String.join(
                            ",",
                            props.enabledProviders().stream()
                                    .map(ProviderDescriptor::name)
                                    .toList()));
            providers.values().forEach(p -> p.environment(environment, props));
        }
        if (LanePermissions.callsProviders(handler)) {
            // ARNs only: the functions fetch the key values from Secrets Manager at run time.
            state.providerKeys()
                    .forEach(
                            (provider, secret) ->
                                    environment.put(
                                            BatchlaneProps.catalogue()
                                                    .find(provider)
                                                    .orElseThrow()
                                                    .descriptor()
                                                    .keySecretEnv(),
                                            secret.getSecretArn()));
        }
        if (LanePermissions.answers(handler)) {
            environment.put(ENV_QUEUES, props.queues());
        }
        // complete puts the completion event; poll and enqueue answer queued requests that name
        // no reply queue with an event.
        if (handler == Handler.COMPLETE || LanePermissions.answers(handler)) {
            environment.put(ENV_EVENT_BUS, state.eventBus().getEventBusName());
        }
        if (handler == Handler.POLL) {
            // The lifetime the bucket's expire-staging rule gives a staged shard: poll refreshes
            // the staged shards of jobs that live that long, so complete still finds them.
            environment.put(ENV_STAGING_LIFETIME, "P" + props.stagingExpiryDays() + "D");
        }

        Function function =
                Function.Builder.create(this, name)
                        .description("Batchlane " + handler.handlerName())
                        .code(code)
                        .handler(LAMBDA_HANDLER)
                        .runtime(Runtime.JAVA_21)
                        .architecture(Architecture.ARM_64)
                        .snapStart(SnapStartConf.ON_PUBLISHED_VERSIONS)
                        .memorySize(memoryMb)
                        .ephemeralStorageSize(Size.mebibytes(props.ephemeralStorageMb()))
                        .timeout(Duration.seconds(timeoutSeconds))
                        .role(role)
                        .logGroup(logs)
                        .environment(environment)
                        // One poll at a time: overlapping cycles would be safe (every write is
                        // conditional) but
                        // would only fight over the same due shards. A tick that finds poll busy is
                        // throttled,
                        // and the schedule does not retry it; the next tick runs.
                        .reservedConcurrentExecutions(
                                handler == Handler.POLL ? Integer.valueOf(1) : null)
                        .build();
        // The warning fires before any version exists; the alias below publishes one.
        Annotations.of(function)
                .acknowledgeWarning(
                        "@aws-cdk/aws-lambda:snapStartRequirePublish",
                        "published through currentVersion behind the live alias");
        Alias alias =
                Alias.Builder.create(this, name + "Alias")
                        .aliasName(ALIAS)
                        .version(function.getCurrentVersion())
                        .build();
        functions.put(handler, function);
        aliases.put(handler, alias);
    }

    /**
     * The JVM options each function runs with. Lambda's Java 17+ runtimes stop the JIT at C1
     * ({@code -XX:TieredStopAtLevel=1}) unless told otherwise, which starts fast but runs heavy CPU
     * work about 3x slower (jtokkit counting: 8 MB/s against 25 MB/s with C2; see
     * docs/decisions.md).
     *
     * <ul>
     *   <li>ingest validates and counts tokens over whole files for up to 15 minutes: the full
     *       tiered JIT, said explicitly so the runtime's C1-only default does not apply.
     *   <li>complete parses every line of a provider's output to join it to its request — the same
     *       kind of per-line work as ingest, on files as large: the full JIT too.
     *   <li>poll makes a few HTTP and DynamoDB calls per shard and ends in seconds, every minute;
     *       almost nothing in it runs hot long enough for C2 to pay back, and each cold start is
     *       paid again after an idle spell: C1 only, for the faster start.
     *   <li>enqueue checks at most ten requests an invocation, with an application waiting on the
     *       answer to a refused one: C1 only, as poll.
     * </ul>
     *
     * Heap and GC stay Lambda's own (the runtime sizes the heap from the memory setting).
     */
    public static String javaToolOptions(Handler handler) {
        return switch (handler) {
            case INGEST, COMPLETE -> "-XX:+TieredCompilation -XX:TieredStopAtLevel=4";
            case POLL, ENQUEUE -> "-XX:+TieredCompilation -XX:TieredStopAtLevel=1";
        };
    }

    /**
     * The queues answers may be sent to: the {@code replyQueueArns} prop, or {@code
     * batchlane-replies-*} in the lane's region and account.
     */
    static List<String> replyQueues(BatchlaneProps props, Construct scope) {
        if (!props.replyQueueArns().isEmpty()) {
            return props.replyQueueArns();
        }
        return List.of(
                software.amazon.awscdk.Stack.of(scope)
                        .formatArn(
                                software.amazon.awscdk.ArnComponents.builder()
                                        .service("sqs")
                                        .resource(BatchlaneProps.DEFAULT_REPLY_QUEUE_NAME)
                                        .build()));
    }

    private List<String> replyQueues(BatchlaneProps props) {
        return replyQueues(props, this);
    }

    public Function function(Handler handler) {
        return functions.get(handler);
    }

    public Alias alias(Handler handler) {
        return aliases.get(handler);
    }
}
