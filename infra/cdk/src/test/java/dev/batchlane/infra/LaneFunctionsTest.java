package dev.batchlane.infra;

import static dev.batchlane.infra.SynthesizedLane.aliasId;
import static dev.batchlane.infra.SynthesizedLane.environment;
import static dev.batchlane.infra.SynthesizedLane.functionId;
import static dev.batchlane.infra.SynthesizedLane.onlyResource;
import static dev.batchlane.infra.SynthesizedLane.properties;
import static dev.batchlane.infra.SynthesizedLane.render;
import static dev.batchlane.infra.SynthesizedLane.resources;
import static dev.batchlane.infra.SynthesizedLane.template;
import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.infra.BatchlaneContract.Handler;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awscdk.assertions.Match;

/** The stateless half: the three functions, their versions and aliases, and the three triggers. */
class LaneFunctionsTest {

    @ParameterizedTest
    @EnumSource(Handler.class)
    void function_runsJava21OnArm64_withSnapStartOnPublishedVersions(Handler handler) {
        Map<String, Object> p = properties(functionId(handler));
        assertThat(p.get("Runtime")).isEqualTo("java21");
        assertThat(p.get("Architectures")).isEqualTo(List.of("arm64"));
        assertThat(p.get("SnapStart")).isEqualTo(Map.of("ApplyOn", "PublishedVersions"));
        assertThat(p.get("Handler"))
                .isEqualTo("io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler::handleRequest");
    }

    @Test
    void functions_areTheOneArtifact_withTheirMemoryStorageAndTimeouts() {
        Map<Handler, Integer> timeouts =
                Map.of(
                        Handler.INGEST,
                        900,
                        Handler.POLL,
                        300,
                        Handler.COMPLETE,
                        900,
                        Handler.ENQUEUE,
                        60);
        Set<Object> code =
                Arrays.stream(Handler.values())
                        .map(h -> properties(functionId(h)).get("Code"))
                        .collect(Collectors.toSet());
        assertThat(code).hasSize(1);
        timeouts.forEach(
                (handler, timeout) -> {
                    assertThat(properties(functionId(handler)).get("Timeout"))
                            .as(handler + " timeout")
                            .isEqualTo(timeout);
                });
        // The lane's four, plus CDK's own bucket-notification handler.
        assertThat(resources("AWS::Lambda::Function")).hasSize(5);
        // Lambda's default /tmp, the most SnapStart allows: the functions are built to fit it.
        template()
                .resourcePropertiesCountIs(
                        "AWS::Lambda::Function",
                        Map.of("EphemeralStorage", Map.of("Size", 512)),
                        4);
        // ingest gets two vCPUs (3538 MB); poll and complete wait on I/O.
        Map.of(
                        Handler.INGEST,
                        3538,
                        Handler.POLL,
                        1024,
                        Handler.COMPLETE,
                        1024,
                        Handler.ENQUEUE,
                        1024)
                .forEach(
                        (handler, mb) ->
                                template()
                                        .hasResourceProperties(
                                                "AWS::Lambda::Function",
                                                Match.objectLike(
                                                        Map.of(
                                                                "MemorySize",
                                                                mb,
                                                                "Environment",
                                                                Map.of(
                                                                        "Variables",
                                                                        Match.objectLike(
                                                                                Map.of(
                                                                                        "QUARKUS_LAMBDA_HANDLER",
                                                                                        handler
                                                                                                .handlerName())))))));
    }

    @Test
    void javaToolOptions_giveIngestAndCompleteTheFullJit_andPollC1ForItsColdStart() {
        for (Handler handler : Handler.values()) {
            String options = (String) environment(handler).get("JAVA_TOOL_OPTIONS");
            template()
                    .hasResourceProperties(
                            "AWS::Lambda::Function",
                            Match.objectLike(
                                    Map.of(
                                            "Environment",
                                            Map.of(
                                                    "Variables",
                                                    Match.objectLike(
                                                            Map.of(
                                                                    "QUARKUS_LAMBDA_HANDLER",
                                                                    handler.handlerName(),
                                                                    "JAVA_TOOL_OPTIONS",
                                                                    options))))));
            if (handler == Handler.POLL || handler == Handler.ENQUEUE) {
                assertThat(options).contains("-XX:TieredStopAtLevel=1");
            } else {
                // C1-only runs heavy CPU work about 3x slower; Lambda's Java 17+ default must be
                // overridden.
                assertThat(options)
                        .as(handler.handlerName())
                        .contains("-XX:TieredStopAtLevel=4")
                        .doesNotContain("TieredStopAtLevel=1");
            }
        }
    }

    @Test
    void memoryAndStorage_followTheirProps_perFunction() {
        BatchlaneProps props =
                BatchlaneProps.from(
                        Map.<String, Object>of(
                                        "functionZip",
                                        SynthesizedLane.placeholderZip().toString(),
                                        "ingestMemoryMb",
                                        5307,
                                        "pollMemoryMb",
                                        512,
                                        "completeMemoryMb",
                                        2048)
                                ::get,
                        Map.of());
        var t =
                software.amazon.awscdk.assertions.Template.fromStack(
                        new BatchlaneStack(
                                new software.amazon.awscdk.App(),
                                "Sized",
                                software.amazon.awscdk.StackProps.builder().build(),
                                props));
        Map.of("ingest", 5307, "poll", 512, "complete", 2048)
                .forEach(
                        (handler, mb) ->
                                t.hasResourceProperties(
                                        "AWS::Lambda::Function",
                                        Match.objectLike(
                                                Map.of(
                                                        "MemorySize", mb,
                                                        "EphemeralStorage", Map.of("Size", 512),
                                                        "Environment",
                                                                Map.of(
                                                                        "Variables",
                                                                        Match.objectLike(
                                                                                Map.of(
                                                                                        "QUARKUS_LAMBDA_HANDLER",
                                                                                        handler)))))));
    }

    @ParameterizedTest
    @EnumSource(Handler.class)
    void environment_namesHandlerBucketTableAndSecretArns_andTheBusForCompleteAndAnswers(
            Handler handler) {
        Map<String, Object> env = environment(handler);
        String bucket = "${" + onlyResource("AWS::S3::Bucket") + "}";
        String table = "${" + onlyResource("AWS::DynamoDB::Table") + "}";
        String bus = "${" + onlyResource("AWS::Events::EventBus") + "}";
        assertThat(env.get("QUARKUS_LAMBDA_HANDLER")).isEqualTo(handler.handlerName());
        assertThat(render(env.get("BATCHLANE_BUCKET"))).isEqualTo(bucket);
        assertThat(render(env.get("BATCHLANE_TABLE"))).isEqualTo(table);
        // Every provider by default: the functions build these and no others.
        assertThat(env.get("BATCHLANE_PROVIDERS"))
                .isEqualTo("anthropic,azure,bedrock,gemini,groq,mistral,openai,together");
        if (handler == Handler.ENQUEUE) {
            // Checks requests by the providers' rules, calls none: no key secret at all.
            assertThat(env.keySet()).noneMatch(k -> k.endsWith("_API_KEY_SECRET"));
            assertThat(render(env.get("BATCHLANE_EVENT_BUS"))).isEqualTo(bus);
            assertThat(env).containsEntry("BATCHLANE_QUEUES", "").hasSize(9);
            return;
        }
        assertThat(render(env.get("BATCHLANE_OPENAI_API_KEY_SECRET")))
                .matches("\\$\\{\\w*OpenAiApiKey\\w*\\}");
        assertThat(render(env.get("BATCHLANE_ANTHROPIC_API_KEY_SECRET")))
                .matches("\\$\\{\\w*AnthropicApiKey\\w*\\}");
        assertThat(render(env.get("BATCHLANE_GEMINI_API_KEY_SECRET")))
                .matches("\\$\\{\\w*GeminiApiKey\\w*\\}");
        for (String vendor : List.of("Azure", "Groq", "Together", "Mistral")) {
            assertThat(render(env.get("BATCHLANE_" + vendor.toUpperCase() + "_API_KEY_SECRET")))
                    .matches("\\$\\{\\w*" + vendor + "ApiKey\\w*\\}");
        }
        assertThat(render(env.get("BATCHLANE_BEDROCK_ROLE_ARN")))
                .matches("\\$\\{\\w*BedrockServiceRole\\w*\\.Arn\\}");
        assertThat(env.get("BATCHLANE_BEDROCK_DEFAULT_MODEL"))
                .isEqualTo("anthropic.claude-3-haiku-20240307-v1:0");
        if (handler == Handler.COMPLETE) {
            assertThat(render(env.get("BATCHLANE_EVENT_BUS"))).isEqualTo(bus);
            assertThat(env)
                    .doesNotContainKeys("BATCHLANE_STAGING_LIFETIME", "BATCHLANE_QUEUES")
                    .hasSize(15);
        } else if (handler == Handler.POLL) {
            // Poll answers queued requests: with an event when they named no reply queue.
            assertThat(render(env.get("BATCHLANE_EVENT_BUS"))).isEqualTo(bus);
            assertThat(env).containsEntry("BATCHLANE_QUEUES", "").hasSize(17);
        } else {
            assertThat(env)
                    .doesNotContainKeys(
                            "BATCHLANE_EVENT_BUS", "BATCHLANE_STAGING_LIFETIME", "BATCHLANE_QUEUES")
                    .hasSize(14);
        }
    }

    @Test
    void pollIsToldTheStagingLifetime_theBucketsExpireStagingRuleGives() {
        assertThat(environment(Handler.POLL))
                .containsEntry(
                        "BATCHLANE_STAGING_LIFETIME",
                        "P" + SynthesizedLane.props().stagingExpiryDays() + "D");
        assertThat(SynthesizedLane.props().stagingExpiryDays()).isEqualTo(14);
        List<?> rules =
                (List<?>)
                        ((Map<?, ?>)
                                        properties(onlyResource("AWS::S3::Bucket"))
                                                .get("LifecycleConfiguration"))
                                .get("Rules");
        assertThat(rules)
                .anySatisfy(
                        r -> {
                            Map<?, ?> rule = (Map<?, ?>) r;
                            assertThat(rule.get("Id")).isEqualTo("expire-staging");
                            assertThat(rule.get("ExpirationInDays")).isEqualTo(14);
                        });
    }

    @ParameterizedTest
    @EnumSource(Handler.class)
    void environment_holdsNoKeyValue_onlyReferencesToSecrets(Handler handler) {
        Set<String> secretRefs =
                resources("AWS::SecretsManager::Secret").keySet().stream()
                        .map(id -> "${" + id + "}")
                        .collect(Collectors.toSet());
        environment(handler)
                .forEach(
                        (name, value) -> {
                            String rendered = render(value);
                            // A dynamic reference would make CloudFormation paste the key's value
                            // into the configuration.
                            assertThat(rendered)
                                    .as(name)
                                    .doesNotContain("{{resolve:")
                                    .doesNotMatch("(?s).*\\b(sk-|sk-ant-|AIza)[A-Za-z0-9_-]{8,}.*");
                            if (name.contains("KEY")
                                    || name.contains("SECRET")
                                    || name.contains("TOKEN")) {
                                assertThat(rendered)
                                        .as(name + " must be a secret's ARN")
                                        .isIn(secretRefs);
                            }
                        });
    }

    @ParameterizedTest
    @EnumSource(Handler.class)
    void function_isPublishedAsAVersionBehindTheLiveAlias(Handler handler) {
        Map<String, Object> alias = properties(aliasId(handler));
        assertThat(alias.get("Name")).isEqualTo("live");
        String version = render(alias.get("FunctionVersion"));
        assertThat(version).endsWith(".Version}");
        String versionId = version.substring(2, version.length() - ".Version}".length());
        assertThat(render(properties(versionId).get("FunctionName")))
                .isEqualTo("${" + functionId(handler) + "}");
    }

    @Test
    void inboxNotification_startsIngestsAlias_forJsonlUnderInbox() {
        Map<String, Object> jsonlUnderInbox =
                ingestOnCreated(
                        Map.of("Name", "suffix", "Value", ".jsonl"),
                        Map.of("Name", "prefix", "Value", "inbox/"));
        template()
                .hasResourceProperties(
                        "Custom::S3BucketNotifications",
                        Map.of(
                                "BucketName", Map.of("Ref", onlyResource("AWS::S3::Bucket")),
                                "NotificationConfiguration",
                                        Map.of(
                                                "LambdaFunctionConfigurations",
                                                List.of(
                                                        jsonlUnderInbox,
                                                        ingestOnCreated(prefix("cancel/")),
                                                        ingestOnCreated(prefix("resume/")),
                                                        ingestOnCreated(prefix("redrive/")),
                                                        enqueueOnCreated(prefix("queue/"))))));
        template()
                .hasResourceProperties(
                        "AWS::Lambda::Permission",
                        Map.of(
                                "FunctionName", Map.of("Ref", aliasId(Handler.INGEST)),
                                "Principal", "s3.amazonaws.com",
                                "SourceArn",
                                        Map.of(
                                                "Fn::GetAtt",
                                                List.of(onlyResource("AWS::S3::Bucket"), "Arn"))));
    }

    /** One bucket notification: objects created under these filter rules start ingest's alias. */
    @SafeVarargs
    private static Map<String, Object> ingestOnCreated(Map<String, String>... filterRules) {
        return Map.of(
                "Events", List.of("s3:ObjectCreated:*"),
                "Filter",
                        Map.of(
                                "Key",
                                Map.of("FilterRules", Match.arrayEquals(List.of(filterRules)))),
                "LambdaFunctionArn", Map.of("Ref", aliasId(Handler.INGEST)));
    }

    /** Objects created under queue/ start enqueue's alias, each line a request. */
    @SafeVarargs
    private static Map<String, Object> enqueueOnCreated(Map<String, String>... filterRules) {
        return Map.of(
                "Events", List.of("s3:ObjectCreated:*"),
                "Filter",
                        Map.of(
                                "Key",
                                Map.of("FilterRules", Match.arrayEquals(List.of(filterRules)))),
                "LambdaFunctionArn", Map.of("Ref", aliasId(Handler.ENQUEUE)));
    }

    private static Map<String, String> prefix(String prefix) {
        return Map.of("Name", "prefix", "Value", prefix);
    }

    @Test
    void pollSchedule_firesTheAliasEveryMinute_withoutRetries() {
        template()
                .hasResourceProperties(
                        "AWS::Events::Rule",
                        Map.of(
                                "ScheduleExpression", "rate(1 minute)",
                                "State", "ENABLED",
                                "Targets",
                                        List.of(
                                                Match.objectLike(
                                                        Map.of(
                                                                "Arn",
                                                                        Map.of(
                                                                                "Ref",
                                                                                aliasId(
                                                                                        Handler
                                                                                                .POLL)),
                                                                "RetryPolicy",
                                                                        Map.of(
                                                                                "MaximumRetryAttempts",
                                                                                0,
                                                                                "MaximumEventAgeInSeconds",
                                                                                60))))));
    }

    @Test
    void streamMapping_completesOnlyShardsThatJustReachedEnded() {
        String mapping = SynthesizedLane.resource("AWS::Lambda::EventSourceMapping", "Complete");
        @SuppressWarnings("unchecked")
        Map<String, Object> criteria =
                (Map<String, Object>) properties(mapping).get("FilterCriteria");
        assertThat(criteria)
                .isEqualTo(
                        Map.of(
                                "Filters",
                                List.of(
                                        Map.of(
                                                "Pattern",
                                                "{\"dynamodb\":{"
                                                        + "\"NewImage\":{\"status\":{\"S\":[\"ENDED\"]},\"type\":{\"S\":[\"shard\"]}},"
                                                        + "\"OldImage\":{\"status\":{\"S\":[{\"anything-but\":[\"ENDED\"]}]}}}}"),
                                        Map.of(
                                                "Pattern",
                                                "{\"dynamodb\":{"
                                                        + "\"NewImage\":{\"finishRequestedAt\":{\"N\":[{\"exists\":true}]},\"status\":{\"S\":[\"RUNNING\"]},"
                                                        + "\"type\":{\"S\":[\"job\"]}},"
                                                        + "\"OldImage\":{\"finishRequestedAt\":{\"N\":[{\"exists\":false}]}}}}"))));
    }

    @Test
    void poll_runsOneAtATime_theOthersUnreserved() {
        assertThat(properties(functionId(Handler.POLL)))
                .containsEntry("ReservedConcurrentExecutions", 1);
        assertThat(properties(functionId(Handler.INGEST)))
                .doesNotContainKey("ReservedConcurrentExecutions");
        assertThat(properties(functionId(Handler.COMPLETE)))
                .doesNotContainKey("ReservedConcurrentExecutions");
        assertThat(properties(functionId(Handler.ENQUEUE)))
                .doesNotContainKey("ReservedConcurrentExecutions");
    }

    @Test
    void intakeMapping_feedsEnqueuesAlias_tenAtATime_reportingFailedMessagesAlone() {
        Map<String, Object> p =
                properties(SynthesizedLane.resource("AWS::Lambda::EventSourceMapping", "Enqueue"));
        assertThat(p.get("BatchSize")).isEqualTo(10);
        assertThat(p.get("FunctionResponseTypes")).isEqualTo(List.of("ReportBatchItemFailures"));
        assertThat(render(p.get("EventSourceArn")))
                .isEqualTo(
                        "${"
                                + SynthesizedLane.resource("AWS::SQS::Queue", "IntakeQueue")
                                + ".Arn}");
        assertThat(SynthesizedLane.render(p.get("FunctionName")))
                .endsWith(":live")
                .contains(String.valueOf(Map.of("Ref", aliasId(Handler.ENQUEUE))));
    }

    @Test
    void intakeQueue_isEncrypted_outlastsSixEnqueueTimeouts_andParksRepeatedFailures() {
        String intake = SynthesizedLane.resource("AWS::SQS::Queue", "StateIntakeQueue");
        String dlq = SynthesizedLane.resource("AWS::SQS::Queue", "IntakeDeadLetterQueue");
        Map<String, Object> p = properties(intake);
        assertThat(p.get("SqsManagedSseEnabled")).isEqualTo(true);
        assertThat(p.get("VisibilityTimeout")).isEqualTo(6 * 60);
        assertThat(p.get("RedrivePolicy"))
                .isEqualTo(
                        Map.of(
                                "deadLetterTargetArn",
                                Map.of("Fn::GetAtt", List.of(dlq, "Arn")),
                                "maxReceiveCount",
                                5));
        assertThat(properties(dlq).get("MessageRetentionPeriod")).isEqualTo(14 * 24 * 3600);
        // An S3-invoked enqueue that failed every attempt lands there too.
        template()
                .hasResourceProperties(
                        "AWS::Lambda::EventInvokeConfig",
                        Map.of(
                                "FunctionName", Map.of("Ref", functionId(Handler.ENQUEUE)),
                                "MaximumRetryAttempts", 2,
                                "DestinationConfig",
                                        Map.of(
                                                "OnFailure",
                                                Map.of(
                                                        "Destination",
                                                        Map.of(
                                                                "Fn::GetAtt",
                                                                List.of(dlq, "Arn"))))));
    }

    @Test
    void ingest_sendsEventsThatFailedEveryAttemptToItsFailureQueue() {
        template()
                .hasResourceProperties(
                        "AWS::Lambda::EventInvokeConfig",
                        Map.of(
                                "FunctionName", Map.of("Ref", functionId(Handler.INGEST)),
                                "MaximumRetryAttempts", 2,
                                "DestinationConfig",
                                        Map.of(
                                                "OnFailure",
                                                Map.of(
                                                        "Destination",
                                                        Map.of(
                                                                "Fn::GetAtt",
                                                                List.of(
                                                                        SynthesizedLane.resource(
                                                                                "AWS::SQS::Queue",
                                                                                "IngestFailureQueue"),
                                                                        "Arn"))))));
    }

    @Test
    void streamMapping_readsFromTheStart_retriesBoundedly_thenParksInTheDeadLetterQueue() {
        String mapping = SynthesizedLane.resource("AWS::Lambda::EventSourceMapping", "Complete");
        Map<String, Object> p = properties(mapping);
        assertThat(p.get("StartingPosition")).isEqualTo("TRIM_HORIZON");
        assertThat(p.get("BatchSize")).isEqualTo(10);
        assertThat(p.get("BisectBatchOnFunctionError")).isEqualTo(true);
        assertThat(p.get("MaximumRetryAttempts")).isEqualTo(5);
        assertThat(render(p.get("EventSourceArn")))
                .isEqualTo("${" + onlyResource("AWS::DynamoDB::Table") + ".StreamArn}");
        assertThat(p.get("DestinationConfig"))
                .isEqualTo(
                        Map.of(
                                "OnFailure",
                                Map.of(
                                        "Destination",
                                        Map.of(
                                                "Fn::GetAtt",
                                                List.of(
                                                        SynthesizedLane.resource(
                                                                "AWS::SQS::Queue",
                                                                "StreamDeadLetterQueue"),
                                                        "Arn")))));
        // CDK names an alias to the mapping as <function name>:<alias>, cut from the alias ARN.
        assertThat(SynthesizedLane.render(p.get("FunctionName")))
                .endsWith(":live")
                .contains(String.valueOf(Map.of("Ref", aliasId(Handler.COMPLETE))));
    }

    @ParameterizedTest
    @EnumSource(Handler.class)
    void function_logsToItsOwnGroup_withTheConfiguredRetention(Handler handler) {
        @SuppressWarnings("unchecked")
        String group =
                render(
                        ((Map<String, Object>) properties(functionId(handler)).get("LoggingConfig"))
                                .get("LogGroup"));
        String groupId = group.substring(2, group.length() - 1);
        assertThat(properties(groupId).get("RetentionInDays")).isEqualTo(30);
        assertThat(resources("AWS::Logs::LogGroup")).hasSize(4);
    }
}
