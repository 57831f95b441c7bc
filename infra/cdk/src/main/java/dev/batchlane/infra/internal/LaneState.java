package dev.batchlane.infra.internal;

import static dev.batchlane.infra.BatchlaneContract.DUE_INDEX;
import static dev.batchlane.infra.BatchlaneContract.DUE_INDEX_PARTITION_KEY;
import static dev.batchlane.infra.BatchlaneContract.DUE_INDEX_SORT_KEY;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_REJECTED;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_STAGING;
import static dev.batchlane.infra.BatchlaneContract.TABLE_PARTITION_KEY;
import static dev.batchlane.infra.BatchlaneContract.TABLE_SORT_KEY;
import static dev.batchlane.infra.BatchlaneContract.TABLE_TTL_ATTRIBUTE;

import dev.batchlane.infra.BatchlaneProps;
import java.util.List;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.dynamodb.Attribute;
import software.amazon.awscdk.services.dynamodb.AttributeType;
import software.amazon.awscdk.services.dynamodb.BillingMode;
import software.amazon.awscdk.services.dynamodb.GlobalSecondaryIndexProps;
import software.amazon.awscdk.services.dynamodb.PointInTimeRecoverySpecification;
import software.amazon.awscdk.services.dynamodb.ProjectionType;
import software.amazon.awscdk.services.dynamodb.StreamViewType;
import software.amazon.awscdk.services.dynamodb.Table;
import software.amazon.awscdk.services.events.EventBus;
import software.amazon.awscdk.services.kms.Key;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.amazon.awscdk.services.s3.LifecycleRule;
import software.amazon.awscdk.services.s3.ObjectOwnership;
import software.amazon.awscdk.services.secretsmanager.ISecret;
import software.amazon.awscdk.services.secretsmanager.Secret;
import software.amazon.awscdk.services.sqs.DeadLetterQueue;
import software.amazon.awscdk.services.sqs.Queue;
import software.amazon.awscdk.services.sqs.QueueEncryption;
import software.constructs.Construct;

/**
 * What must outlive any deploy: the data key, the bucket, the table, the provider keys, the event
 * bus others subscribe to, the queue lane's intake queue and the dead-letter queues. Kept apart so
 * replacing a function never touches them, and each takes the lane's removal policy.
 */
public final class LaneState extends Construct {

    /**
     * Noncurrent object versions are kept this long: versioning is there to undo an overwrite, not
     * to archive.
     */
    static final int NONCURRENT_VERSION_DAYS = 30;

    private final Key dataKey;
    private final Bucket bucket;
    private final Table table;

    /** The key secret of each enabled provider with a key, by provider name in catalogue order. */
    private final java.util.Map<String, ISecret> providerKeys = new java.util.LinkedHashMap<>();

    private final EventBus eventBus;
    private final Queue deadLetterQueue;
    private final Queue ingestFailureQueue;
    private final Queue intakeQueue;
    private final Queue intakeDeadLetterQueue;

    public LaneState(Construct scope, String id, BatchlaneProps props) {
        super(scope, id);
        RemovalPolicy removal = props.removalPolicy();

        dataKey =
                Key.Builder.create(this, "DataKey")
                        .description(
                                "Batchlane: encrypts the lane's bucket (drops, staged shards, results)")
                        .enableKeyRotation(true)
                        .removalPolicy(removal)
                        .build();

        bucket =
                Bucket.Builder.create(this, "Bucket")
                        .encryption(BucketEncryption.KMS)
                        .encryptionKey(dataKey)
                        // One data key per bucket instead of one KMS call per object: shards and
                        // parts are many.
                        .bucketKeyEnabled(true)
                        .enforceSsl(true)
                        .minimumTlsVersion(1.2)
                        .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
                        .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
                        // Ingest pins the inbox object's version, and an overwritten result can be
                        // recovered.
                        .versioned(true)
                        .lifecycleRules(
                                List.of(
                                        expire(
                                                "expire-staging",
                                                PREFIX_STAGING,
                                                props.stagingExpiryDays()),
                                        expire(
                                                "expire-rejected",
                                                PREFIX_REJECTED,
                                                props.rejectedExpiryDays()),
                                        LifecycleRule.builder()
                                                .id("noncurrent-versions-and-abandoned-uploads")
                                                .noncurrentVersionExpiration(
                                                        Duration.days(NONCURRENT_VERSION_DAYS))
                                                .abortIncompleteMultipartUploadAfter(
                                                        Duration.days(1))
                                                .build()))
                        // No autoDeleteObjects: it needs a custom resource that may empty the
                        // bucket, and
                        // DESTROY on a non-empty bucket should fail loudly rather than lose
                        // results.
                        .removalPolicy(removal)
                        .build();

        table =
                Table.Builder.create(this, "Table")
                        .partitionKey(
                                Attribute.builder()
                                        .name(TABLE_PARTITION_KEY)
                                        .type(AttributeType.STRING)
                                        .build())
                        .sortKey(
                                Attribute.builder()
                                        .name(TABLE_SORT_KEY)
                                        .type(AttributeType.STRING)
                                        .build())
                        .billingMode(BillingMode.PAY_PER_REQUEST)
                        .timeToLiveAttribute(TABLE_TTL_ATTRIBUTE)
                        // complete's filter compares the old and the new status, so both images are
                        // needed.
                        .stream(StreamViewType.NEW_AND_OLD_IMAGES)
                        .pointInTimeRecoverySpecification(
                                PointInTimeRecoverySpecification.builder()
                                        .pointInTimeRecoveryEnabled(true)
                                        .build())
                        .deletionProtection(removal == RemovalPolicy.RETAIN)
                        .removalPolicy(removal)
                        .build();
        // Sparse: only shards waiting for the poller carry dueGroup, so poll never scans.
        table.addGlobalSecondaryIndex(
                GlobalSecondaryIndexProps.builder()
                        .indexName(DUE_INDEX)
                        .partitionKey(
                                Attribute.builder()
                                        .name(DUE_INDEX_PARTITION_KEY)
                                        .type(AttributeType.STRING)
                                        .build())
                        .sortKey(
                                Attribute.builder()
                                        .name(DUE_INDEX_SORT_KEY)
                                        .type(AttributeType.NUMBER)
                                        .build())
                        .projectionType(ProjectionType.KEYS_ONLY)
                        .build());

        // Only the providers the deployment runs: a secret nobody may read is one more thing to
        // fill, rotate and audit.
        for (var provider : props.enabledProviders()) {
            if (provider.hasKey()) {
                providerKeys.put(
                        provider.name(),
                        providerKey(
                                provider.constructId() + "ApiKey",
                                provider.title(),
                                props.keySecretArn(provider).orElse(null),
                                removal));
            }
        }

        eventBus =
                EventBus.Builder.create(this, "EventBus")
                        .eventBusName(props.eventBusName())
                        .description(
                                "Batchlane: 'Batchlane Job Completed' events, source batchlane")
                        .build();
        eventBus.applyRemovalPolicy(removal);

        deadLetterQueue =
                Queue.Builder.create(this, "StreamDeadLetterQueue")
                        .encryption(QueueEncryption.SQS_MANAGED)
                        .enforceSsl(true)
                        // The longest SQS allows: a failed completion is investigated, not raced.
                        .retentionPeriod(Duration.days(14))
                        .removalPolicy(removal)
                        .build();

        // Where an S3 event lands once ingest failed it on every attempt: the job it would have
        // made
        // is visible (an alarm watches the queue) and resumable with resume/<jobId>.
        ingestFailureQueue =
                Queue.Builder.create(this, "IngestFailureQueue")
                        .encryption(QueueEncryption.SQS_MANAGED)
                        .enforceSsl(true)
                        .retentionPeriod(Duration.days(14))
                        .removalPolicy(removal)
                        .build();

        // Where an intake message lands after intakeMaxReceiveCount failed deliveries (its answer
        // could not be sent, the table refused it): kept for inspection and a redrive, watched by
        // an alarm.
        intakeDeadLetterQueue =
                Queue.Builder.create(this, "IntakeDeadLetterQueue")
                        .encryption(QueueEncryption.SQS_MANAGED)
                        .enforceSsl(true)
                        .retentionPeriod(Duration.days(14))
                        .removalPolicy(removal)
                        .build();
        // Applications send one request per message here. Six times enqueue's timeout is AWS's
        // advice for a Lambda event source: a batch a throttled or retried invocation still holds
        // is not handed to a second one meanwhile.
        intakeQueue =
                Queue.Builder.create(this, "IntakeQueue")
                        .encryption(QueueEncryption.SQS_MANAGED)
                        .enforceSsl(true)
                        .visibilityTimeout(Duration.seconds(6L * props.enqueueTimeoutSeconds()))
                        .retentionPeriod(Duration.days(4))
                        .deadLetterQueue(
                                DeadLetterQueue.builder()
                                        .queue(intakeDeadLetterQueue)
                                        .maxReceiveCount(props.intakeMaxReceiveCount())
                                        .build())
                        .removalPolicy(removal)
                        .build();
    }

    private static LifecycleRule expire(String id, String prefix, int days) {
        return LifecycleRule.builder()
                .id(id)
                .prefix(prefix)
                .expiration(Duration.days(days))
                // Expiring a versioned object only hides it; its data goes a day later.
                .noncurrentVersionExpiration(Duration.days(1))
                .build();
    }

    /**
     * An existing secret when its ARN is given, else a new one. The new one is created with a
     * random placeholder value so that no key ever passes through the template; the operator puts
     * the real key with {@code aws secretsmanager put-secret-value}.
     */
    private ISecret providerKey(
            String id, String provider, String existingArn, RemovalPolicy removal) {
        if (existingArn != null) {
            return Secret.fromSecretCompleteArn(this, id, existingArn);
        }
        return Secret.Builder.create(this, id)
                .description(
                        "Batchlane: the "
                                + provider
                                + " API key. Replace the generated placeholder with "
                                + "aws secretsmanager put-secret-value; the functions read it at run time.")
                .removalPolicy(removal)
                .build();
    }

    public Key dataKey() {
        return dataKey;
    }

    public Bucket bucket() {
        return bucket;
    }

    public Table table() {
        return table;
    }

    /**
     * The key secrets of the enabled providers with a key, by provider name, in catalogue order.
     */
    public java.util.Map<String, ISecret> providerKeys() {
        return java.util.Collections.unmodifiableMap(providerKeys);
    }

    public EventBus eventBus() {
        return eventBus;
    }

    public Queue deadLetterQueue() {
        return deadLetterQueue;
    }

    /** Where applications send requests, one per message, for the queue lane. */
    public Queue intakeQueue() {
        return intakeQueue;
    }

    /** Intake messages that failed every delivery. */
    public Queue intakeDeadLetterQueue() {
        return intakeDeadLetterQueue;
    }

    /** The on-failure destination of ingest's asynchronous (S3-triggered) invocations. */
    public Queue ingestFailureQueue() {
        return ingestFailureQueue;
    }
}
