package dev.batchlane.infra;

import dev.batchlane.core.catalogue.ProviderCatalogue;
import dev.batchlane.core.catalogue.ProviderDescriptor;
import dev.batchlane.core.queue.QueuePolicies;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import software.amazon.awscdk.RemovalPolicy;

/**
 * Every setting of a Batchlane deployment, read once. Each component's name is its CDK context key
 * ({@code cdk synth -c ingestMemoryMb=2048}) and, upper-snake-cased behind {@code BATCHLANE_CDK_},
 * its environment variable ({@code BATCHLANE_CDK_INGEST_MEMORY_MB=2048}); context wins over the
 * environment, the environment over the default. One name per setting, so app, context and docs
 * cannot drift.
 *
 * @param stackName the CloudFormation stack the app deploys
 * @param functionZip the Quarkus function.zip; relative paths are resolved by the app against the
 *     repository root
 * @param ingestMemoryMb memory of ingest; 3538 MB is where Lambda gives a function two vCPUs, and
 *     ingest's validation and token counting are CPU-bound (a benchmark may move it)
 * @param pollMemoryMb memory of poll, which waits on provider and DynamoDB calls
 * @param completeMemoryMb memory of complete, which streams a provider's output into parts
 * @param ephemeralStorageMb /tmp of each function: Lambda's default 512 MB, which the functions are
 *     built to fit (shards and parts are cut there one at a time), and the most SnapStart allows; a
 *     setting so that it is stated, synthesized and read by the local stack, not assumed
 * @param ingestTimeoutSeconds ingest streams and shards a whole drop, hence Lambda's maximum
 * @param pollTimeoutSeconds one poll cycle over the due shards
 * @param completeTimeoutSeconds complete streams a provider's output and writes the joined parts
 * @param stagingExpiryDays staged shards are needed only until their job completes; poll is told
 *     this lifetime and refreshes the staged shards of a job that lives that long
 * @param rejectedExpiryDays rejection reports are for the person who dropped the file
 * @param pollRateMinutes how often the poll schedule fires
 * @param streamBatchSize stream records per complete invocation
 * @param streamRetryAttempts retries of a failing stream batch before it goes to the dead-letter
 *     queue
 * @param eventBusName the bus the completion event is put on
 * @param removalPolicy what happens to the key, bucket, table, secrets, bus and queue when the
 *     stack is deleted
 * @param logRetentionDays retention of each function's log group (a CloudWatch Logs value)
 * @param alarmEmail optional address subscribed to the alarm topic
 * @param pollStalledMinutes alarm when no poll cycle succeeded for this long
 * @param oldestInFlightShardHours alarm when a shard has been in flight for longer (providers
 *     promise 24 h)
 * @param batchesFailedThreshold alarm when at least this many batches failed in five minutes
 * @param batchesExpiredThreshold alarm when at least this many batches expired in five minutes
 * @param requestFailureRatePercent alarm when this share of finished requests failed in an hour
 * @param providerSettings the props each provider of the catalogue declares, by prop name: for a
 *     provider with a key, {@code <provider>ApiKeySecretArn} (optional complete ARN of an existing
 *     secret holding its key; a new empty-valued secret is created when absent), and its deployment
 *     settings (e.g. the models a provider may invoke), defaults applied
 * @param providers the providers this deployment runs, by catalogue name ({@code -c
 *     providers=openai,anthropic}); by default every provider of the catalogue. Only these get a
 *     key secret, their grants and their settings, and the functions build only these
 * @param enqueueMemoryMb memory of enqueue, which checks one request at a time
 * @param enqueueTimeoutSeconds enqueue handles one SQS batch of at most ten requests, or one small
 *     file under queue/; the intake queue's visibility timeout is six times this
 * @param intakeMaxReceiveCount deliveries of an intake message that failed (its answer could not be
 *     sent, the table refused) before it moves to the intake dead-letter queue
 * @param queues the queue policies, one JSON object of {@code provider/name} (or {@code default})
 *     to policy, e.g. {@code
 *     {"default":{"max-wait":"PT1H"},"openai/tickets":{"max-requests":500}}}; checked at synth as
 *     the functions read it (a bad policy fails the synth with its queue and key), and set on
 *     enqueue and poll as BATCHLANE_QUEUES. Empty: every queue has the defaults
 * @param replyQueueArns the SQS queues answers may be sent to (a request's {@code reply-to}), as
 *     ARNs or ARN patterns ({@code *} and {@code ?}); enqueue and poll may send to these and no
 *     other. Empty: {@code arn:aws:sqs:<region>:<account>:batchlane-replies-*}, the lane's region
 *     and account, so reply queues are named {@code batchlane-replies-<anything>}
 */
public record BatchlaneProps(
        String stackName,
        String functionZip,
        int ingestMemoryMb,
        int pollMemoryMb,
        int completeMemoryMb,
        int ephemeralStorageMb,
        int ingestTimeoutSeconds,
        int pollTimeoutSeconds,
        int completeTimeoutSeconds,
        int stagingExpiryDays,
        int rejectedExpiryDays,
        int pollRateMinutes,
        int streamBatchSize,
        int streamRetryAttempts,
        String eventBusName,
        RemovalPolicy removalPolicy,
        int logRetentionDays,
        Optional<String> alarmEmail,
        int pollStalledMinutes,
        int oldestInFlightShardHours,
        int batchesFailedThreshold,
        int batchesExpiredThreshold,
        int requestFailureRatePercent,
        Map<String, String> providerSettings,
        List<String> providers,
        int enqueueMemoryMb,
        int enqueueTimeoutSeconds,
        int intakeMaxReceiveCount,
        String queues,
        List<String> replyQueueArns) {

    /**
     * The prefix of the environment variables; apart from the functions' own {@code BATCHLANE_*}.
     */
    public static final String ENVIRONMENT_PREFIX = "BATCHLANE_CDK_";

    /** Where Lambda gives a function its second vCPU (1769 MB is one). */
    public static final int DEFAULT_INGEST_MEMORY_MB = 3538;

    /** The values CloudWatch Logs accepts as a retention. */
    static final Set<Integer> LOG_RETENTION_DAYS =
            Set.of(
                    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                    2557, 2922, 3288, 3653);

    /** The reply queues when none are named: {@code batchlane-replies-*} in the lane's account. */
    public static final String DEFAULT_REPLY_QUEUE_NAME = "batchlane-replies-*";

    /** An SQS queue ARN, or a pattern of them ({@code *}, {@code ?} within each part). */
    private static final Pattern SQS_ARN =
            Pattern.compile(
                    "arn:aws[a-z-]*:sqs:[a-z0-9*?-]+:(\\d{12}|[*?0-9]+):[A-Za-z0-9_*?-]+(\\.fifo)?");

    private static final Pattern EVENT_BUS_NAME = Pattern.compile("[A-Za-z0-9._\\-]{1,256}");
    private static final Pattern STACK_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9-]{0,127}");
    private static final Pattern SECRET_COMPLETE_ARN =
            Pattern.compile(
                    "arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\\d{12}:secret:.+-[A-Za-z0-9]{6}");

    public BatchlaneProps {
        require(
                stackName != null && STACK_NAME.matcher(stackName).matches(),
                "stackName",
                "a CloudFormation stack name (letters, digits, hyphens, starting with a letter)",
                stackName);
        require(
                functionZip != null && !functionZip.isBlank(),
                "functionZip",
                "a path to function.zip",
                functionZip);
        range("ingestMemoryMb", ingestMemoryMb, 128, 10240, "Lambda's memory range in MB");
        range("pollMemoryMb", pollMemoryMb, 128, 10240, "Lambda's memory range in MB");
        range("completeMemoryMb", completeMemoryMb, 128, 10240, "Lambda's memory range in MB");
        // Lambda offers 512..10240 MB, but SnapStart (on for every function) takes no more than
        // 512.
        range(
                "ephemeralStorageMb",
                ephemeralStorageMb,
                512,
                512,
                "the most SnapStart allows, in MB");
        range("ingestTimeoutSeconds", ingestTimeoutSeconds, 1, 900, "Lambda's timeout range");
        range("pollTimeoutSeconds", pollTimeoutSeconds, 1, 900, "Lambda's timeout range");
        range("completeTimeoutSeconds", completeTimeoutSeconds, 1, 900, "Lambda's timeout range");
        range("stagingExpiryDays", stagingExpiryDays, 1, 3650, "days");
        range("rejectedExpiryDays", rejectedExpiryDays, 1, 3650, "days");
        range("pollRateMinutes", pollRateMinutes, 1, 1440, "minutes, at most a day");
        range("streamBatchSize", streamBatchSize, 1, 10000, "the DynamoDB stream batch range");
        // -1 (retry forever) is allowed by Lambda but would block the shard's stream partition.
        range("streamRetryAttempts", streamRetryAttempts, 0, 10000, "a bounded number of retries");
        require(
                eventBusName != null
                        && EVENT_BUS_NAME.matcher(eventBusName).matches()
                        && !"default".equals(eventBusName),
                "eventBusName",
                "an event bus name other than 'default' (letters, digits, . _ -)",
                eventBusName);
        // SNAPSHOT is not offered: the bucket, key, secrets, bus and queue cannot be snapshotted.
        require(
                removalPolicy == RemovalPolicy.RETAIN || removalPolicy == RemovalPolicy.DESTROY,
                "removalPolicy",
                "RETAIN or DESTROY",
                removalPolicy);
        require(
                LOG_RETENTION_DAYS.contains(logRetentionDays),
                "logRetentionDays",
                "one of CloudWatch Logs' retentions " + new java.util.TreeSet<>(LOG_RETENTION_DAYS),
                logRetentionDays);
        require(
                alarmEmail != null
                        && alarmEmail.map(e -> e.matches("[^@\\s]+@[^@\\s]+")).orElse(true),
                "alarmEmail",
                "an email address",
                alarmEmail);
        range(
                "pollStalledMinutes",
                pollStalledMinutes,
                pollRateMinutes + 1,
                1440,
                "minutes, longer than pollRateMinutes (" + pollRateMinutes + ") and at most a day");
        range("oldestInFlightShardHours", oldestInFlightShardHours, 1, 24 * 14, "hours");
        range("batchesFailedThreshold", batchesFailedThreshold, 1, Integer.MAX_VALUE, "batches");
        range("batchesExpiredThreshold", batchesExpiredThreshold, 1, Integer.MAX_VALUE, "batches");
        range("requestFailureRatePercent", requestFailureRatePercent, 1, 100, "percent");
        require(providerSettings != null, "providerSettings", "a map", providerSettings);
        providerSettings = java.util.Collections.unmodifiableMap(new TreeMap<>(providerSettings));
        require(
                providers != null && !providers.isEmpty(),
                "providers",
                "at least one provider of the catalogue " + CATALOGUE.names(),
                providers);
        providers = List.copyOf(providers);
        for (String name : providers) {
            require(
                    CATALOGUE.find(name).isPresent(),
                    "providers",
                    "names of the catalogue's providers "
                            + CATALOGUE.names()
                            + "; '"
                            + name
                            + "' is none",
                    providers);
        }
        require(
                providers.stream().distinct().count() == providers.size(),
                "providers",
                "names without repeats",
                providers);
        checkProviderSettings(providerSettings, providers);
        range("enqueueMemoryMb", enqueueMemoryMb, 128, 10240, "Lambda's memory range in MB");
        // Six times this is the intake queue's visibility timeout, which SQS caps at 12 hours.
        range("enqueueTimeoutSeconds", enqueueTimeoutSeconds, 1, 900, "Lambda's timeout range");
        range("intakeMaxReceiveCount", intakeMaxReceiveCount, 1, 1000, "SQS's redrive range");
        queues = queues == null ? "" : queues.trim();
        try {
            QueuePolicies.parse(queues);
        } catch (IllegalArgumentException e) {
            require(
                    false,
                    "queues",
                    "a JSON object of queue policies (" + e.getMessage() + ")",
                    queues);
        }
        require(replyQueueArns != null, "replyQueueArns", "a list of SQS ARNs", replyQueueArns);
        replyQueueArns = List.copyOf(replyQueueArns);
        for (String arn : replyQueueArns) {
            require(
                    SQS_ARN.matcher(arn).matches(),
                    "replyQueueArns",
                    "SQS queue ARNs or ARN patterns, e.g. arn:aws:sqs:us-east-1:123456789012:"
                            + DEFAULT_REPLY_QUEUE_NAME
                            + "; '"
                            + arn
                            + "' is none",
                    replyQueueArns);
        }
    }

    /** The catalogue the construct iterates: every provider registered on its class path. */
    public static ProviderCatalogue catalogue() {
        return CATALOGUE;
    }

    private static final ProviderCatalogue CATALOGUE = ProviderCatalogue.load();

    /** {@code <stem>ApiKeySecretArn}: the prop naming an existing secret for a provider's key. */
    public static String keySecretProp(ProviderDescriptor provider) {
        return provider.propStem() + "ApiKeySecretArn";
    }

    /** Every provider prop the catalogue declares, with its default (null: none). */
    private static Map<String, String> providerProps() {
        Map<String, String> props = new TreeMap<>();
        for (ProviderDescriptor d : CATALOGUE.descriptors()) {
            if (d.hasKey()) {
                props.put(keySecretProp(d), null);
            }
            for (ProviderDescriptor.DeploySetting s : d.deployment().settings()) {
                props.put(s.prop(), s.defaultValue());
            }
        }
        return props;
    }

    private static void checkProviderSettings(Map<String, String> settings, List<String> enabled) {
        Map<String, String> declared = providerProps();
        for (String name : settings.keySet()) {
            require(
                    declared.containsKey(name),
                    name,
                    "a setting some provider declares (" + declared.keySet() + ")",
                    settings.get(name));
        }
        for (ProviderDescriptor d : CATALOGUE.descriptors()) {
            if (d.hasKey()) {
                String prop = keySecretProp(d);
                String arn = settings.get(prop);
                require(
                        arn == null || SECRET_COMPLETE_ARN.matcher(arn).matches(),
                        prop,
                        "the complete ARN of a Secrets Manager secret (ending in -XXXXXX)",
                        arn);
                // A key for a provider left out would be granted to no one: say so rather than
                // deploy a lane that ignores it.
                require(
                        arn == null || enabled.contains(d.name()),
                        prop,
                        "unset while '" + d.name() + "' is not among providers " + enabled,
                        arn);
            }
            for (ProviderDescriptor.DeploySetting s : d.deployment().settings()) {
                List<String> items = items(settings.get(s.prop()));
                require(
                        !items.isEmpty()
                                && items.stream().allMatch(m -> s.item().matcher(m).matches()),
                        s.prop(),
                        s.expected(),
                        items);
            }
        }
    }

    private static List<String> items(String value) {
        if (value == null) {
            return List.of();
        }
        return java.util.Arrays.stream(value.split(","))
                .map(String::trim)
                .filter(m -> !m.isEmpty())
                .toList();
    }

    /** The descriptors of the enabled providers, in the catalogue's order. */
    public List<ProviderDescriptor> enabledProviders() {
        return CATALOGUE.descriptors().stream().filter(d -> providers.contains(d.name())).toList();
    }

    /** The existing secret named for {@code provider}'s key, if any. */
    public Optional<String> keySecretArn(ProviderDescriptor provider) {
        return Optional.ofNullable(providerSettings.get(keySecretProp(provider)));
    }

    /** The items of the provider prop {@code prop} (a comma-separated list). */
    public List<String> providerValues(String prop) {
        return items(providerSettings.get(prop));
    }

    /** Every default, for a function.zip at the repository's usual place. */
    public static BatchlaneProps defaults() {
        return from(key -> null, Map.of());
    }

    /**
     * Reads every setting by its name from CDK context (for example {@code
     * app.getNode()::tryGetContext}), then from the environment, then the default.
     */
    public static BatchlaneProps from(
            Function<String, Object> context, Map<String, String> environment) {
        Source s = new Source(context, environment);
        return new BatchlaneProps(
                s.text("stackName", "Batchlane"),
                s.text("functionZip", "functions/target/function.zip"),
                // memoryMb (the one setting before memory was per function) still sets all three.
                s.integer("ingestMemoryMb", s.integer("memoryMb", DEFAULT_INGEST_MEMORY_MB)),
                s.integer("pollMemoryMb", s.integer("memoryMb", 1024)),
                s.integer("completeMemoryMb", s.integer("memoryMb", 1024)),
                s.integer("ephemeralStorageMb", 512),
                s.integer("ingestTimeoutSeconds", 900),
                s.integer("pollTimeoutSeconds", 300),
                s.integer("completeTimeoutSeconds", 900),
                s.integer("stagingExpiryDays", 14),
                s.integer("rejectedExpiryDays", 30),
                s.integer("pollRateMinutes", 1),
                s.integer("streamBatchSize", 10),
                s.integer("streamRetryAttempts", 5),
                s.text("eventBusName", "batchlane"),
                s.removalPolicy("removalPolicy", RemovalPolicy.RETAIN),
                s.integer("logRetentionDays", 30),
                s.optional("alarmEmail"),
                s.integer("pollStalledMinutes", 10),
                s.integer("oldestInFlightShardHours", 25),
                s.integer("batchesFailedThreshold", 1),
                s.integer("batchesExpiredThreshold", 1),
                s.integer("requestFailureRatePercent", 10),
                s.providers(),
                s.list("providers", CATALOGUE.names()),
                s.integer("enqueueMemoryMb", 1024),
                s.integer("enqueueTimeoutSeconds", 60),
                s.integer("intakeMaxReceiveCount", 5),
                s.json("queues"),
                s.list("replyQueueArns", List.of()));
    }

    /**
     * The same settings with the function.zip at another path (the app resolves it; tests use a
     * placeholder).
     */
    public BatchlaneProps withFunctionZip(String path) {
        return new BatchlaneProps(
                stackName,
                path,
                ingestMemoryMb,
                pollMemoryMb,
                completeMemoryMb,
                ephemeralStorageMb,
                ingestTimeoutSeconds,
                pollTimeoutSeconds,
                completeTimeoutSeconds,
                stagingExpiryDays,
                rejectedExpiryDays,
                pollRateMinutes,
                streamBatchSize,
                streamRetryAttempts,
                eventBusName,
                removalPolicy,
                logRetentionDays,
                alarmEmail,
                pollStalledMinutes,
                oldestInFlightShardHours,
                batchesFailedThreshold,
                batchesExpiredThreshold,
                requestFailureRatePercent,
                providerSettings,
                providers,
                enqueueMemoryMb,
                enqueueTimeoutSeconds,
                intakeMaxReceiveCount,
                queues,
                replyQueueArns);
    }

    /** {@code ingestMemoryMb} → {@code BATCHLANE_CDK_INGEST_MEMORY_MB}. */
    public static String environmentVariable(String setting) {
        return ENVIRONMENT_PREFIX
                + setting.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    private static void range(String name, int value, int min, int max, String meaning) {
        require(value >= min && value <= max, name, min + ".." + max + " (" + meaning + ")", value);
    }

    private static void require(boolean ok, String name, String expected, Object actual) {
        if (!ok) {
            throw new IllegalArgumentException(
                    name
                            + " must be "
                            + expected
                            + ", was "
                            + actual
                            + " (set it with -c "
                            + name
                            + "=… or "
                            + environmentVariable(name)
                            + ")");
        }
    }

    private record Source(Function<String, Object> context, Map<String, String> environment) {

        Optional<String> optional(String name) {
            Object fromContext = context.apply(name);
            String value =
                    fromContext != null
                            ? String.valueOf(fromContext)
                            : environment.get(environmentVariable(name));
            return Optional.ofNullable(value).map(String::trim).filter(v -> !v.isEmpty());
        }

        /** Every prop the catalogue's providers declare, as given or defaulted. */
        Map<String, String> providers() {
            Map<String, String> values = new TreeMap<>();
            providerProps()
                    .forEach(
                            (name, fallback) -> {
                                String v = optional(name).orElse(fallback);
                                if (v != null) {
                                    values.put(name, v);
                                }
                            });
            return values;
        }

        /**
         * A list setting: a JSON array in cdk.json's context, else comma-separated ({@code -c
         * providers=openai,anthropic}, {@code BATCHLANE_CDK_PROVIDERS=openai}).
         */
        List<String> list(String name, List<String> fallback) {
            Object fromContext = context.apply(name);
            if (fromContext instanceof List<?> items) {
                return items.stream().map(i -> String.valueOf(i).trim()).toList();
            }
            return optional(name).map(BatchlaneProps::items).orElse(fallback);
        }

        /**
         * A JSON setting: an object in cdk.json's context, else its text ({@code -c
         * queues='{"default":{"max-wait":"PT30M"}}'}); empty when unset.
         */
        String json(String name) {
            Object fromContext = context.apply(name);
            if (fromContext instanceof Map<?, ?> object) {
                try {
                    return new com.fasterxml.jackson.databind.ObjectMapper()
                            .writeValueAsString(object);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalArgumentException(name + " is not JSON: " + e.getMessage(), e);
                }
            }
            return optional(name).orElse("");
        }

        String text(String name, String fallback) {
            return optional(name).orElse(fallback);
        }

        int integer(String name, int fallback) {
            Optional<String> raw = optional(name);
            try {
                return raw.map(Integer::parseInt).orElse(fallback);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        name
                                + " must be a whole number, was '"
                                + raw.get()
                                + "' (set it with -c "
                                + name
                                + "=… or "
                                + environmentVariable(name)
                                + ")",
                        e);
            }
        }

        RemovalPolicy removalPolicy(String name, RemovalPolicy fallback) {
            Optional<String> raw = optional(name);
            try {
                return raw.map(v -> RemovalPolicy.valueOf(v.toUpperCase(Locale.ROOT)))
                        .orElse(fallback);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        name
                                + " must be RETAIN or DESTROY, was '"
                                + raw.get()
                                + "' (set it with -c "
                                + name
                                + "=… or "
                                + environmentVariable(name)
                                + ")",
                        e);
            }
        }
    }
}
