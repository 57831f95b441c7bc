package dev.batchlane.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.RecordComponent;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.RemovalPolicy;

class BatchlanePropsTest {

    /**
     * A valid value different from the default for every setting; a new setting must be added here.
     */
    private static final Map<String, String> OVERRIDES =
            new TreeMap<>(
                    Map.ofEntries(
                            Map.entry("stackName", "BatchlaneStaging"),
                            Map.entry("functionZip", "/opt/batchlane/function.zip"),
                            Map.entry("ingestMemoryMb", "2048"),
                            Map.entry("pollMemoryMb", "512"),
                            Map.entry("completeMemoryMb", "1536"),
                            Map.entry("ephemeralStorageMb", "512"),
                            Map.entry("ingestTimeoutSeconds", "600"),
                            Map.entry("pollTimeoutSeconds", "120"),
                            Map.entry("completeTimeoutSeconds", "700"),
                            Map.entry("stagingExpiryDays", "7"),
                            Map.entry("rejectedExpiryDays", "60"),
                            Map.entry("pollRateMinutes", "2"),
                            Map.entry("streamBatchSize", "5"),
                            Map.entry("streamRetryAttempts", "3"),
                            Map.entry("eventBusName", "batchlane-staging"),
                            Map.entry("removalPolicy", "DESTROY"),
                            Map.entry("logRetentionDays", "90"),
                            Map.entry("alarmEmail", "team@example.com"),
                            Map.entry(
                                    "openAiApiKeySecretArn",
                                    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:openai-AbC123"),
                            Map.entry(
                                    "anthropicApiKeySecretArn",
                                    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:anthropic-XyZ789"),
                            Map.entry(
                                    "geminiApiKeySecretArn",
                                    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gemini-QwE456"),
                            Map.entry(
                                    "azureApiKeySecretArn",
                                    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:azure-AzU111"),
                            Map.entry(
                                    "groqApiKeySecretArn",
                                    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:groq-GrQ222"),
                            Map.entry(
                                    "togetherApiKeySecretArn",
                                    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:together-ToG333"),
                            Map.entry(
                                    "mistralApiKeySecretArn",
                                    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mistral-MiS444"),
                            Map.entry("pollStalledMinutes", "20"),
                            Map.entry("oldestInFlightShardHours", "30"),
                            Map.entry("batchesFailedThreshold", "2"),
                            Map.entry("batchesExpiredThreshold", "3"),
                            Map.entry("requestFailureRatePercent", "25"),
                            // Every provider, in another order than the default's.
                            Map.entry(
                                    "providers",
                                    "together,openai,mistral,groq,gemini,bedrock,azure,anthropic"),
                            Map.entry(
                                    "bedrockModels",
                                    "anthropic.claude-3-haiku-20240307-v1:0,amazon.nova-lite-v1:0"),
                            Map.entry("enqueueMemoryMb", "512"),
                            Map.entry("enqueueTimeoutSeconds", "30"),
                            Map.entry("intakeMaxReceiveCount", "3"),
                            Map.entry(
                                    "queues",
                                    "{\"default\":{\"max-wait\":\"PT30M\"},\"openai/tickets\":{\"max-requests\":500}}"),
                            Map.entry(
                                    "replyQueueArns",
                                    "arn:aws:sqs:eu-west-1:123456789012:team-replies-*,"
                                            + "arn:aws:sqs:eu-west-1:123456789012:billing")));

    /**
     * Each setting by the name it is read under: the record's components, and the providers' props
     * (one component holding what the catalogue declares) by their own names.
     */
    private static Map<String, String> values(BatchlaneProps props) {
        Map<String, String> values = new TreeMap<>();
        for (RecordComponent c : BatchlaneProps.class.getRecordComponents()) {
            Object v;
            try {
                v = c.getAccessor().invoke(props);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
            if (v instanceof java.util.List<?> l) {
                values.put(c.getName(), String.join(",", l.stream().map(String::valueOf).toList()));
            } else if (v instanceof Map<?, ?> m) {
                BatchlaneProps.catalogue().descriptors().stream()
                        .filter(d -> d.hasKey())
                        .forEach(d -> values.put(BatchlaneProps.keySecretProp(d), ""));
                m.forEach((k, x) -> values.put(String.valueOf(k), String.valueOf(x)));
            } else {
                values.put(
                        c.getName(),
                        v instanceof Optional<?> o
                                ? o.map(String::valueOf).orElse("")
                                : String.valueOf(v));
            }
        }
        return values;
    }

    @Test
    void queues_aBadPolicyFailsTheSynth_namingTheQueueAndTheKey() {
        assertThatThrownBy(
                        () ->
                                BatchlaneProps.from(
                                        Map.<String, Object>of(
                                                        "queues",
                                                        "{\"openai/tickets\":{\"max-wiat\":\"PT1H\"}}")
                                                ::get,
                                        Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("queues must be a JSON object of queue policies")
                .hasMessageContaining("queue openai/tickets: unknown policy key 'max-wiat'")
                .hasMessageContaining("BATCHLANE_CDK_QUEUES");
        assertThatThrownBy(
                        () ->
                                BatchlaneProps.from(
                                        Map.<String, Object>of("queues", "not json")::get,
                                        Map.of()))
                .hasMessageContaining("the queues setting is not JSON");
    }

    @Test
    void queues_inCdkJsonAsAnObject_isReadAsItsJson() {
        BatchlaneProps props =
                BatchlaneProps.from(
                        Map.<String, Object>of(
                                        "queues",
                                        Map.of("openai/tickets", Map.of("max-wait", "PT10M")))
                                ::get,
                        Map.of());
        assertThat(props.queues()).isEqualTo("{\"openai/tickets\":{\"max-wait\":\"PT10M\"}}");
    }

    @Test
    void replyQueueArns_mustBeSqsArnsOrPatterns() {
        assertThatThrownBy(
                        () ->
                                BatchlaneProps.from(
                                        Map.<String, Object>of(
                                                        "replyQueueArns",
                                                        "https://sqs.us-east-1.amazonaws.com/123456789012/replies")
                                                ::get,
                                        Map.of()))
                .hasMessageContaining("replyQueueArns must be SQS queue ARNs or ARN patterns")
                .hasMessageContaining(
                        "'https://sqs.us-east-1.amazonaws.com/123456789012/replies' is none");
    }

    @Test
    void defaults_areTheDocumentedOnes() {
        BatchlaneProps d = BatchlaneProps.defaults();
        assertThat(d.enqueueMemoryMb()).isEqualTo(1024);
        assertThat(d.enqueueTimeoutSeconds()).isEqualTo(60);
        assertThat(d.intakeMaxReceiveCount()).isEqualTo(5);
        assertThat(d.queues()).isEmpty();
        assertThat(d.replyQueueArns()).isEmpty();
        assertThat(d.ingestMemoryMb()).isEqualTo(3538);
        assertThat(d.pollMemoryMb()).isEqualTo(1024);
        assertThat(d.completeMemoryMb()).isEqualTo(1024);
        assertThat(d.ephemeralStorageMb()).isEqualTo(512);
        assertThat(d.ingestTimeoutSeconds()).isEqualTo(900);
        assertThat(d.pollTimeoutSeconds()).isEqualTo(300);
        assertThat(d.completeTimeoutSeconds()).isEqualTo(900);
        assertThat(d.stagingExpiryDays()).isEqualTo(14);
        assertThat(d.rejectedExpiryDays()).isEqualTo(30);
        assertThat(d.pollRateMinutes()).isEqualTo(1);
        assertThat(d.streamRetryAttempts()).isEqualTo(5);
        assertThat(d.eventBusName()).isEqualTo("batchlane");
        assertThat(d.removalPolicy()).isEqualTo(RemovalPolicy.RETAIN);
        assertThat(d.functionZip()).isEqualTo("functions/target/function.zip");
        assertThat(d.alarmEmail()).isEmpty();
        assertThat(
                        d.keySecretArn(
                                BatchlaneProps.catalogue()
                                        .find("openai")
                                        .orElseThrow()
                                        .descriptor()))
                .isEmpty();
    }

    @Test
    void everySetting_isReadFromContextByItsOwnName() {
        assertThat(OVERRIDES.keySet())
                .as("one override per record component")
                .isEqualTo(values(BatchlaneProps.defaults()).keySet());
        BatchlaneProps read =
                BatchlaneProps.from(new HashMap<String, Object>(OVERRIDES)::get, Map.of());
        assertThat(values(read)).isEqualTo(OVERRIDES);
    }

    @Test
    void everySetting_isReadFromTheEnvironmentUnderBatchlaneCdkPrefix() {
        Map<String, String> environment =
                OVERRIDES.entrySet().stream()
                        .collect(
                                Collectors.toMap(
                                        e -> BatchlaneProps.environmentVariable(e.getKey()),
                                        Map.Entry::getValue));
        assertThat(environment)
                .containsKey("BATCHLANE_CDK_INGEST_MEMORY_MB")
                .containsKey("BATCHLANE_CDK_OPEN_AI_API_KEY_SECRET_ARN");
        assertThat(values(BatchlaneProps.from(key -> null, environment))).isEqualTo(OVERRIDES);
    }

    @Test
    void context_winsOverEnvironment_whichWinsOverDefault() {
        BatchlaneProps props =
                BatchlaneProps.from(
                        Map.<String, Object>of("ingestMemoryMb", 3008)::get,
                        Map.of(
                                "BATCHLANE_CDK_INGEST_MEMORY_MB",
                                "2048",
                                "BATCHLANE_CDK_STAGING_EXPIRY_DAYS",
                                "3"));
        assertThat(props.ingestMemoryMb()).isEqualTo(3008);
        assertThat(props.stagingExpiryDays()).isEqualTo(3);
        assertThat(props.rejectedExpiryDays()).isEqualTo(30);
    }

    @Test
    void memoryMb_theFormerSingleSetting_stillSetsEveryFunctionsMemory_unlessItsOwnIsSet() {
        BatchlaneProps props =
                BatchlaneProps.from(
                        Map.<String, Object>of("memoryMb", 2048, "pollMemoryMb", 512)::get,
                        Map.of());
        assertThat(props.ingestMemoryMb()).isEqualTo(2048);
        assertThat(props.completeMemoryMb()).isEqualTo(2048);
        assertThat(props.pollMemoryMb()).isEqualTo(512);
        assertThat(
                        BatchlaneProps.from(key -> null, Map.of("BATCHLANE_CDK_MEMORY_MB", "1536"))
                                .ingestMemoryMb())
                .isEqualTo(1536);
    }

    @Test
    void invalidNumber_isRejectedNamingTheSettingTheValueAndWhereToSetIt() {
        assertThatThrownBy(
                        () ->
                                BatchlaneProps.from(
                                        Map.<String, Object>of("pollMemoryMb", "64")::get,
                                        Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pollMemoryMb must be 128..10240")
                .hasMessageContaining("was 64")
                .hasMessageContaining("BATCHLANE_CDK_POLL_MEMORY_MB");
        assertThatThrownBy(
                        () ->
                                BatchlaneProps.from(
                                        Map.<String, Object>of("ephemeralStorageMb", "1024")::get,
                                        Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(
                        "ephemeralStorageMb must be 512..512 (the most SnapStart allows");
        assertThatThrownBy(
                        () ->
                                BatchlaneProps.from(
                                        key -> null,
                                        Map.of("BATCHLANE_CDK_POLL_RATE_MINUTES", "often")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pollRateMinutes must be a whole number, was 'often'");
    }

    @Test
    void timeouts_areCappedAtLambdasFifteenMinutes() {
        assertThatThrownBy(
                        () ->
                                BatchlaneProps.from(
                                        Map.<String, Object>of("ingestTimeoutSeconds", "901")::get,
                                        Map.of()))
                .hasMessageContaining("ingestTimeoutSeconds must be 1..900");
    }

    @Test
    void streamRetries_mustBeBounded() {
        assertThatThrownBy(
                        () ->
                                BatchlaneProps.from(
                                        Map.<String, Object>of("streamRetryAttempts", "-1")::get,
                                        Map.of()))
                .hasMessageContaining("streamRetryAttempts must be 0..10000");
    }

    @Test
    void removalPolicy_isRetainOrDestroy() {
        assertThat(
                        BatchlaneProps.from(
                                        Map.<String, Object>of("removalPolicy", "destroy")::get,
                                        Map.of())
                                .removalPolicy())
                .isEqualTo(RemovalPolicy.DESTROY);
        assertThatThrownBy(
                        () ->
                                BatchlaneProps.from(
                                        Map.<String, Object>of("removalPolicy", "SNAPSHOT")::get,
                                        Map.of()))
                .hasMessageContaining("removalPolicy must be RETAIN or DESTROY");
        assertThatThrownBy(
                        () ->
                                BatchlaneProps.from(
                                        Map.<String, Object>of("removalPolicy", "keep")::get,
                                        Map.of()))
                .hasMessageContaining("removalPolicy must be RETAIN or DESTROY, was 'keep'");
    }

    @Test
    void existingSecret_mustBeGivenByItsCompleteArn() {
        assertThatThrownBy(
                        () ->
                                BatchlaneProps.from(
                                        Map.<String, Object>of(
                                                        "openAiApiKeySecretArn", "openai-key")
                                                ::get,
                                        Map.of()))
                .hasMessageContaining("openAiApiKeySecretArn must be the complete ARN");
    }

    @Test
    void pollStalledAlarm_mustWaitLongerThanOnePollPeriod() {
        assertThatThrownBy(
                        () ->
                                BatchlaneProps.from(
                                        Map.<String, Object>of(
                                                        "pollRateMinutes",
                                                        "5",
                                                        "pollStalledMinutes",
                                                        "5")
                                                ::get,
                                        Map.of()))
                .hasMessageContaining("pollStalledMinutes must be 6..1440");
    }

    @Test
    void logRetention_mustBeOneCloudWatchAccepts() {
        assertThatThrownBy(
                        () ->
                                BatchlaneProps.from(
                                        Map.<String, Object>of("logRetentionDays", "31")::get,
                                        Map.of()))
                .hasMessageContaining(
                        "logRetentionDays must be one of CloudWatch Logs' retentions");
    }

    @Test
    void providers_byDefault_everyProviderOfTheCatalogue() {
        assertThat(BatchlaneProps.defaults().providers())
                .isEqualTo(BatchlaneProps.catalogue().names())
                .contains("openai", "anthropic", "bedrock");
    }

    @Test
    void providers_areReadAsACommaSeparatedListOrAContextArray() {
        assertThat(
                        BatchlaneProps.from(
                                        key -> null,
                                        Map.of("BATCHLANE_CDK_PROVIDERS", " openai , anthropic"))
                                .providers())
                .containsExactly("openai", "anthropic");
        BatchlaneProps fromArray =
                BatchlaneProps.from(
                        Map.<String, Object>of("providers", java.util.List.of("gemini", "openai"))
                                ::get,
                        Map.of());
        assertThat(fromArray.providers()).containsExactly("gemini", "openai");
        assertThat(fromArray.enabledProviders())
                .extracting(d -> d.name())
                .as("in the catalogue's order")
                .containsExactly("gemini", "openai");
    }

    @Test
    void providers_anUnknownName_isRejectedNamingItAndTheKnownOnes() {
        assertThatThrownBy(
                        () ->
                                BatchlaneProps.from(
                                        Map.<String, Object>of("providers", "openai,opnai")::get,
                                        Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'opnai' is none")
                .hasMessageContaining(BatchlaneProps.catalogue().names().toString())
                .hasMessageContaining("BATCHLANE_CDK_PROVIDERS");
    }

    @Test
    void providers_aRepeatedName_isRejected() {
        assertThatThrownBy(
                        () ->
                                BatchlaneProps.from(
                                        Map.<String, Object>of("providers", "openai,openai")::get,
                                        Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("providers must be names without repeats");
    }

    @Test
    void providers_aKeySecretForAProviderLeftOut_isRejected() {
        assertThatThrownBy(
                        () ->
                                BatchlaneProps.from(
                                        Map.<String, Object>of(
                                                        "providers",
                                                        "openai",
                                                        "anthropicApiKeySecretArn",
                                                        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:anthropic-XyZ789")
                                                ::get,
                                        Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(
                        "anthropicApiKeySecretArn must be unset while 'anthropic' is not among"
                                + " providers [openai]");
    }
}
