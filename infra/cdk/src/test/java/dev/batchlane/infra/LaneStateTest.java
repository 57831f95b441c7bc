package dev.batchlane.infra;

import static dev.batchlane.infra.SynthesizedLane.onlyResource;
import static dev.batchlane.infra.SynthesizedLane.properties;
import static dev.batchlane.infra.SynthesizedLane.resources;
import static dev.batchlane.infra.SynthesizedLane.template;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awscdk.assertions.Match;

/** The stateful half: key, bucket, table, secrets, bus and dead-letter queue. */
class LaneStateTest {

    @Test
    void bucket_isEncryptedWithTheLanesCustomerManagedKey() {
        String key = onlyResource("AWS::KMS::Key");
        template()
                .hasResourceProperties(
                        "AWS::S3::Bucket",
                        Map.of(
                                "BucketEncryption",
                                Map.of(
                                        "ServerSideEncryptionConfiguration",
                                        List.of(
                                                Map.of(
                                                        "ServerSideEncryptionByDefault",
                                                        Map.of(
                                                                "SSEAlgorithm",
                                                                "aws:kms",
                                                                "KMSMasterKeyID",
                                                                Map.of(
                                                                        "Fn::GetAtt",
                                                                        List.of(key, "Arn"))))))));
        template().hasResourceProperties("AWS::KMS::Key", Map.of("EnableKeyRotation", true));
    }

    @Test
    void bucket_blocksPublicAccess_ownsItsObjects_andKeepsVersions() {
        template()
                .hasResourceProperties(
                        "AWS::S3::Bucket",
                        Map.of(
                                "PublicAccessBlockConfiguration",
                                        Map.of(
                                                "BlockPublicAcls",
                                                true,
                                                "BlockPublicPolicy",
                                                true,
                                                "IgnorePublicAcls",
                                                true,
                                                "RestrictPublicBuckets",
                                                true),
                                "OwnershipControls",
                                        Map.of(
                                                "Rules",
                                                List.of(
                                                        Map.of(
                                                                "ObjectOwnership",
                                                                "BucketOwnerEnforced"))),
                                "VersioningConfiguration", Map.of("Status", "Enabled")));
    }

    @Test
    void bucketPolicy_deniesEveryRequestWithoutTls() {
        String bucket = onlyResource("AWS::S3::Bucket");
        template()
                .hasResourceProperties(
                        "AWS::S3::BucketPolicy",
                        Map.of(
                                "Bucket", Map.of("Ref", bucket),
                                "PolicyDocument",
                                        Map.of(
                                                "Statement",
                                                Match.arrayWith(
                                                        List.of(
                                                                Match.objectLike(
                                                                        Map.of(
                                                                                "Effect",
                                                                                "Deny",
                                                                                "Action",
                                                                                "s3:*",
                                                                                "Principal",
                                                                                Map.of("AWS", "*"),
                                                                                "Condition",
                                                                                Map.of(
                                                                                        "Bool",
                                                                                        Map.of(
                                                                                                "aws:SecureTransport",
                                                                                                "false")))))))));
    }

    @Test
    void bucket_expiresStagingAndRejectedAfterTheConfiguredDays() {
        BatchlaneProps props = SynthesizedLane.props();
        template()
                .hasResourceProperties(
                        "AWS::S3::Bucket",
                        Map.of(
                                "LifecycleConfiguration",
                                Map.of(
                                        "Rules",
                                        Match.arrayWith(
                                                List.of(
                                                        Match.objectLike(
                                                                Map.of(
                                                                        "Prefix",
                                                                        "staging/",
                                                                        "Status",
                                                                        "Enabled",
                                                                        "ExpirationInDays",
                                                                        props.stagingExpiryDays())),
                                                        Match.objectLike(
                                                                Map.of(
                                                                        "Prefix",
                                                                        "rejected/",
                                                                        "Status",
                                                                        "Enabled",
                                                                        "ExpirationInDays",
                                                                        props
                                                                                .rejectedExpiryDays())))))));
        assertThat(props.stagingExpiryDays()).isEqualTo(14);
        assertThat(props.rejectedExpiryDays()).isEqualTo(30);
    }

    @Test
    @SuppressWarnings("unchecked")
    void bucket_neverExpiresInboxOrResults() {
        Map<String, Object> lifecycle =
                (Map<String, Object>)
                        properties(onlyResource("AWS::S3::Bucket")).get("LifecycleConfiguration");
        for (Object o : (List<Object>) lifecycle.get("Rules")) {
            Map<String, Object> rule = (Map<String, Object>) o;
            if (rule.containsKey("ExpirationInDays")) {
                assertThat(rule.get("Prefix")).isIn("staging/", "rejected/");
            }
        }
    }

    @Test
    void table_hasKeysDueIndexTtlStreamOnDemandAndPointInTimeRecovery() {
        template()
                .hasResourceProperties(
                        "AWS::DynamoDB::Table",
                        Map.of(
                                "KeySchema",
                                        List.of(
                                                Map.of("AttributeName", "pk", "KeyType", "HASH"),
                                                Map.of("AttributeName", "sk", "KeyType", "RANGE")),
                                "AttributeDefinitions",
                                        Match.arrayWith(
                                                List.of(
                                                        Map.of(
                                                                "AttributeName",
                                                                "pk",
                                                                "AttributeType",
                                                                "S"),
                                                        Map.of(
                                                                "AttributeName",
                                                                "sk",
                                                                "AttributeType",
                                                                "S"),
                                                        Map.of(
                                                                "AttributeName",
                                                                "dueGroup",
                                                                "AttributeType",
                                                                "S"),
                                                        Map.of(
                                                                "AttributeName",
                                                                "dueAt",
                                                                "AttributeType",
                                                                "N"))),
                                "GlobalSecondaryIndexes",
                                        List.of(
                                                Map.of(
                                                        "IndexName", "due",
                                                        "KeySchema",
                                                                List.of(
                                                                        Map.of(
                                                                                "AttributeName",
                                                                                "dueGroup",
                                                                                "KeyType",
                                                                                "HASH"),
                                                                        Map.of(
                                                                                "AttributeName",
                                                                                "dueAt",
                                                                                "KeyType",
                                                                                "RANGE")),
                                                        "Projection",
                                                                Map.of(
                                                                        "ProjectionType",
                                                                        "KEYS_ONLY"))),
                                "TimeToLiveSpecification",
                                        Map.of("AttributeName", "expiresAt", "Enabled", true),
                                "StreamSpecification",
                                        Map.of("StreamViewType", "NEW_AND_OLD_IMAGES"),
                                "BillingMode", "PAY_PER_REQUEST",
                                "PointInTimeRecoverySpecification",
                                        Map.of("PointInTimeRecoveryEnabled", true),
                                "DeletionProtectionEnabled", true));
    }

    @Test
    void statefulResources_areRetainedByDefault() {
        for (String type :
                List.of(
                        "AWS::KMS::Key",
                        "AWS::S3::Bucket",
                        "AWS::DynamoDB::Table",
                        "AWS::SecretsManager::Secret",
                        "AWS::Events::EventBus",
                        "AWS::SQS::Queue")) {
            template()
                    .allResources(
                            type,
                            Map.of("DeletionPolicy", "Retain", "UpdateReplacePolicy", "Retain"));
        }
    }

    @Test
    void providerKeySecrets_existWithoutAnyValueInTheTemplate() {
        Map<String, Map<String, Object>> secrets = resources("AWS::SecretsManager::Secret");
        assertThat(secrets).hasSize(7);
        template()
                .allResourcesProperties(
                        "AWS::SecretsManager::Secret", Map.of("SecretString", Match.absent()));
        for (String provider :
                List.of("OpenAi", "Anthropic", "Azure", "Groq", "Together", "Mistral")) {
            assertThat(secrets.keySet()).anyMatch(id -> id.contains(provider + "ApiKey"));
        }
    }

    @Test
    void eventBus_isNamedBatchlane() {
        template().hasResourceProperties("AWS::Events::EventBus", Map.of("Name", "batchlane"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"StreamDeadLetterQueue", "IngestFailureQueue"})
    void deadLetterQueues_areEncrypted_andDenyRequestsWithoutTls(String name) {
        String queue = SynthesizedLane.resource("AWS::SQS::Queue", name);
        assertThat(properties(queue)).containsEntry("SqsManagedSseEnabled", true);
        template()
                .hasResourceProperties(
                        "AWS::SQS::QueuePolicy",
                        Map.of(
                                "Queues", List.of(Map.of("Ref", queue)),
                                "PolicyDocument",
                                        Map.of(
                                                "Statement",
                                                Match.arrayWith(
                                                        List.of(
                                                                Match.objectLike(
                                                                        Map.of(
                                                                                "Effect",
                                                                                "Deny",
                                                                                "Condition",
                                                                                Map.of(
                                                                                        "Bool",
                                                                                        Map.of(
                                                                                                "aws:SecureTransport",
                                                                                                "false")))))))));
    }
}
