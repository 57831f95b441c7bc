package dev.batchlane.infra;

import static dev.batchlane.infra.SynthesizedLane.allStatements;
import static dev.batchlane.infra.SynthesizedLane.object;
import static dev.batchlane.infra.SynthesizedLane.onlyResource;
import static dev.batchlane.infra.SynthesizedLane.properties;
import static dev.batchlane.infra.SynthesizedLane.roleId;
import static dev.batchlane.infra.SynthesizedLane.statements;
import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.infra.BatchlaneContract.Handler;
import dev.batchlane.infra.SynthesizedLane.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Least privilege, per function: what each role may do, and above all what it may not. */
class LanePermissionsTest {

    private static final List<String> OBJECT_WRITES =
            List.of(
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:DeleteObjectVersion",
                    "s3:PutObjectAcl",
                    "s3:RestoreObject");

    private static boolean anyAllows(Handler handler, String action, String resource) {
        return statements(handler).stream().anyMatch(s -> s.allows(action, resource));
    }

    private static String table() {
        return "${" + onlyResource("AWS::DynamoDB::Table") + ".Arn}";
    }

    private static String key() {
        return "${" + onlyResource("AWS::KMS::Key") + ".Arn}";
    }

    @Test
    void pollRole_putsObjectsOnlyUnderTheBedrockPrefixes_stagingAndTheQueueLanes() {
        // Poll submits held-back Bedrock shards (a copy to bedrock/input/) and runs small ones on
        // demand (their output under bedrock/output/); of the lane's own objects it rewrites only
        // staged shards, in place, so they outlive the bucket's expiry while their job runs. Its
        // queue share writes flushes (their record, their inbox file under queued/) and answers.
        assertThat(statements(Handler.POLL))
                .isNotEmpty()
                .filteredOn(s -> s.allows("s3:PutObject"))
                .allSatisfy(
                        s ->
                                assertThat(s.resources())
                                        .allMatch(
                                                r ->
                                                        r.matches(
                                                                ".*/(bedrock/(input|output)|staging|inbox/\\*/queued|queue-flushes|answers)/\\*")));
    }

    @Test
    void pollRole_rewritesStagedShards_butDeletesNoneAndWritesNoOtherLanePrefix() {
        String staged = object("staging/job-1/shard-00000.jsonl");
        assertThat(anyAllows(Handler.POLL, "s3:PutObject", staged)).isTrue();
        assertThat(anyAllows(Handler.POLL, "s3:GetObject", staged))
                .as("a copy reads its source")
                .isTrue();
        assertThat(anyAllows(Handler.POLL, "kms:GenerateDataKey", key())).isTrue();
        for (String action :
                List.of("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload")) {
            assertThat(anyAllows(Handler.POLL, action, staged)).as(action).isFalse();
        }
        for (String other :
                List.of(
                        "inbox/openai/x.jsonl",
                        "results/job-1/manifest.json",
                        "rejected/x/report.json",
                        "cancel/job-1")) {
            assertThat(anyAllows(Handler.POLL, "s3:PutObject", object(other))).as(other).isFalse();
        }
    }

    @Test
    void pollRole_readsStagingAndCancel_butNoDrop() {
        assertThat(
                        anyAllows(
                                Handler.POLL,
                                "s3:GetObject",
                                object("staging/job-1/shard-00000.jsonl")))
                .isTrue();
        assertThat(anyAllows(Handler.POLL, "s3:GetObject", object("cancel/job-1"))).isTrue();
        // results/ and rejected/ it reads to answer queued requests (see
        // pollRole_writesTheInboxOnlyUnderQueued_andReadsWhatAnsweringNeeds).
        for (String other : List.of("inbox/openai/x.jsonl", "queue/openai/t/f.jsonl")) {
            assertThat(anyAllows(Handler.POLL, "s3:GetObject", object(other))).as(other).isFalse();
        }
    }

    @Test
    void pollRole_queriesTheDueIndexAndAJobsShards_withoutScanning() {
        assertThat(
                        anyAllows(
                                Handler.POLL,
                                "dynamodb:Query",
                                table() + "/index/" + BatchlaneContract.DUE_INDEX))
                .isTrue();
        assertThat(statements(Handler.POLL)).noneMatch(s -> s.allows("dynamodb:Scan"));
        // The due shards are read with BatchGetItem after the index query.
        assertThat(anyAllows(Handler.POLL, "dynamodb:BatchGetItem", table())).isTrue();
        // A job's own shards (one partition), when poll reconciles a creation whose answer was
        // lost.
        assertThat(anyAllows(Handler.POLL, "dynamodb:Query", table()))
                .as("poll reads a job's shards")
                .isTrue();
    }

    @Test
    void ingestRole_cannotPutObjectUnderResults() {
        assertThat(statements(Handler.INGEST))
                .isNotEmpty()
                .noneMatch(s -> s.allows("s3:PutObject", object("results/job-1/part-00000.jsonl")))
                .noneMatch(s -> s.allows("s3:PutObject", object("results/job-1/manifest.json")));
    }

    @Test
    void ingestRole_readsInboxPinnedToVersion_andWritesStagingAndRejected() {
        assertThat(anyAllows(Handler.INGEST, "s3:GetObject", object("inbox/openai/x.jsonl")))
                .isTrue();
        assertThat(anyAllows(Handler.INGEST, "s3:GetObjectVersion", object("inbox/openai/x.jsonl")))
                .isTrue();
        assertThat(
                        anyAllows(
                                Handler.INGEST,
                                "s3:PutObject",
                                object("staging/job-1/shard-00000.jsonl")))
                .isTrue();
        assertThat(anyAllows(Handler.INGEST, "s3:PutObject", object("rejected/x/report.json")))
                .isTrue();
        assertThat(anyAllows(Handler.INGEST, "s3:PutObject", object("inbox/openai/y.jsonl")))
                .as("ingest must not write where it is triggered")
                .isFalse();
    }

    /**
     * Ingest submits the shards it staged (reading them back), streams them and the error list as
     * multipart uploads it may have to abort, and deletes the shards of a file found bad late in
     * the pass. Before this, the role could write staging/ but not read it: every submission from
     * ingest would have failed with 403 on AWS.
     */
    @Test
    void ingestRole_readsAndDeletesItsStagedShards_andAbortsItsUploads() {
        assertThat(
                        anyAllows(
                                Handler.INGEST,
                                "s3:GetObject",
                                object("staging/job-1/shard-00001.jsonl")))
                .isTrue();
        assertThat(
                        anyAllows(
                                Handler.INGEST,
                                "s3:DeleteObject",
                                object("staging/job-1/shard-00001.jsonl")))
                .isTrue();
        assertThat(
                        anyAllows(
                                Handler.INGEST,
                                "s3:AbortMultipartUpload",
                                object("staging/job-1/shard-00001.jsonl")))
                .isTrue();
        assertThat(
                        anyAllows(
                                Handler.INGEST,
                                "s3:AbortMultipartUpload",
                                object("rejected/x/errors.jsonl")))
                .isTrue();
        assertThat(anyAllows(Handler.INGEST, "s3:DeleteObject", object("inbox/openai/x.jsonl")))
                .as("a drop is the owner's; ingest never deletes it")
                .isFalse();
        assertThat(
                        anyAllows(
                                Handler.COMPLETE,
                                "s3:AbortMultipartUpload",
                                object("results/job-1/part-00001.jsonl")))
                .isTrue();
    }

    @Test
    void completeRole_readsStaging_writesResultsAndRequeuedShards_andNothingElse() {
        assertThat(
                        anyAllows(
                                Handler.COMPLETE,
                                "s3:GetObject",
                                object("staging/job-1/shard-00000.jsonl")))
                .isTrue();
        assertThat(
                        anyAllows(
                                Handler.COMPLETE,
                                "s3:PutObject",
                                object("results/job-1/part-00000.jsonl")))
                .isTrue();
        assertThat(
                        anyAllows(
                                Handler.COMPLETE,
                                "s3:PutObject",
                                object("staging/job-1/shard-00001.jsonl")))
                .isTrue();
        for (String other :
                List.of("inbox/openai/x.jsonl", "rejected/x/report.json", "cancel/job-1")) {
            assertThat(anyAllows(Handler.COMPLETE, "s3:PutObject", object(other)))
                    .as(other)
                    .isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(Handler.class)
    void noFunction_writesOrDeletesOutsideItsOwnPrefixes(Handler handler) {
        Set<String> own =
                switch (handler) {
                    case INGEST -> Set.of("staging/", "rejected/");
                    // staging/ is checked by pollRole_rewritesStagedShards_butDeletesNone...; its
                    // inbox/ writes only under inbox/<provider>/queued/ (see
                    // pollRole_writesTheInboxOnlyUnderQueued), which inbox/some/key is not.
                    case POLL -> Set.of("staging/", "answers/", "queue-flushes/", "queue-bodies/");
                    case COMPLETE -> Set.of("results/", "staging/");
                    case ENQUEUE -> Set.of("queue/", "answers/", "queue-bodies/");
                };
        for (String prefix :
                List.of(
                        "inbox/",
                        "staging/",
                        "rejected/",
                        "results/",
                        "cancel/",
                        "queue/",
                        "answers/",
                        "queue-flushes/",
                        "queue-bodies/",
                        "elsewhere/")) {
            if (own.contains(prefix)) {
                continue;
            }
            for (String action : OBJECT_WRITES) {
                assertThat(anyAllows(handler, action, object(prefix + "some/key")))
                        .as(action + " on " + prefix)
                        .isFalse();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Handler.class)
    void s3Statements_areScopedToObjectsUnderLanePrefixes(Handler handler) {
        List<Statement> s3 =
                statements(handler).stream()
                        .filter(s -> s.actions().stream().anyMatch(a -> a.startsWith("s3:")))
                        .toList();
        assertThat(s3)
                .isNotEmpty()
                .allSatisfy(
                        s ->
                                assertThat(s.resources())
                                        .allMatch(
                                                r ->
                                                        r.matches(
                                                                        "\\$\\{\\w+\\.Arn\\}/(inbox|staging|rejected|results|cancel|bedrock/input|bedrock/output|queue|answers|queue-flushes|queue-bodies|inbox/\\*/queued)/\\*")
                                                                // Listing is on the bucket, limited
                                                                // to the Bedrock prefixes by
                                                                // s3:prefix, except for the queue's
                                                                // two roles (next test).
                                                                || s.actions()
                                                                                .equals(
                                                                                        List.of(
                                                                                                "s3:ListBucket"))
                                                                        && r.matches(
                                                                                "\\$\\{\\w+\\.Arn\\}")
                                                                        && (String.valueOf(
                                                                                                s
                                                                                                        .condition())
                                                                                        .contains(
                                                                                                "s3:prefix")
                                                                                || handler
                                                                                        == Handler
                                                                                                .POLL
                                                                                || handler
                                                                                        == Handler
                                                                                                .ENQUEUE),
                                                "a prefix"));
    }

    /**
     * The queue's steps ask whether an object exists and S3 answers 404 (not 403) only to a caller
     * with s3:ListBucket on the bucket, evaluated without a prefix: poll and enqueue list the whole
     * bucket's keys, ingest and complete only Bedrock's prefixes.
     */
    @ParameterizedTest
    @EnumSource(Handler.class)
    void listingTheWholeBucket_isPollsAndEnqueuesOnly(Handler handler) {
        boolean unconditional =
                statements(handler).stream()
                        .anyMatch(
                                s ->
                                        s.actions().equals(List.of("s3:ListBucket"))
                                                && !String.valueOf(s.condition())
                                                        .contains("s3:prefix"));
        assertThat(unconditional)
                .as(handler + " lists every key")
                .isEqualTo(handler == Handler.POLL || handler == Handler.ENQUEUE);
    }

    @Test
    void kms_decryptForReaders_encryptAndGenerateDataKeyOnlyForWriters() {
        for (Handler handler : Handler.values()) {
            assertThat(anyAllows(handler, "kms:Decrypt", key())).as(handler + " decrypts").isTrue();
        }
        assertThat(allStatements())
                .noneMatch(s -> s.allowsAnyOf("kms:ReEncryptTo", "kms:ReEncryptFrom"));
        // Poll writes only Bedrock's prefixes and staged shards in place (see
        // pollRole_putsObjectsOnlyUnderTheBedrockPrefixes_andStaging), but writes.
        for (Handler writer : Handler.values()) {
            assertThat(anyAllows(writer, "kms:Encrypt", key())).isTrue();
            assertThat(anyAllows(writer, "kms:GenerateDataKey", key())).isTrue();
        }
    }

    @Test
    void kms_isUsableOnlyThroughS3_onTheLaneKey() {
        List<Statement> kms =
                allStatements().stream()
                        .filter(s -> s.actions().stream().anyMatch(a -> a.startsWith("kms:")))
                        .toList();
        assertThat(kms)
                .isNotEmpty()
                .allSatisfy(
                        s -> {
                            assertThat(s.resources()).containsExactly(key());
                            assertThat(
                                            SynthesizedLane.render(
                                                    ((Map<?, ?>) s.condition().get("StringEquals"))
                                                            .get("kms:ViaService")))
                                    .isEqualTo("s3.${AWS::Region}.amazonaws.com");
                        });
    }

    @ParameterizedTest
    @EnumSource(Handler.class)
    void dynamodb_isScopedToTheTableItsDueIndexAndItsStream(Handler handler) {
        Set<String> allowed =
                Set.of(
                        table(),
                        table() + "/index/" + BatchlaneContract.DUE_INDEX,
                        "${" + onlyResource("AWS::DynamoDB::Table") + ".StreamArn}");
        List<Statement> dynamo =
                statements(handler).stream()
                        .filter(s -> s.actions().stream().anyMatch(a -> a.startsWith("dynamodb:")))
                        .toList();
        assertThat(dynamo)
                .isNotEmpty()
                .allSatisfy(
                        s -> {
                            if (s.actions().equals(List.of("dynamodb:ListStreams"))) {
                                return; // the documented exception, see
                                // iamStatements_haveNoWildcardResource_exceptListStreams
                            }
                            assertThat(s.resources()).isSubsetOf(allowed);
                            assertThat(s.actions()).noneMatch(a -> a.contains("*"));
                        });
        assertThat(dynamo)
                .noneMatch(
                        s ->
                                s.allowsAnyOf(
                                        "dynamodb:Scan",
                                        "dynamodb:BatchWriteItem",
                                        "dynamodb:DeleteTable",
                                        "dynamodb:UpdateTable"));
        // Deletes only of the queue buffer's waiting entries and unanswered markers, by poll.
        assertThat(dynamo.stream().filter(s -> s.allows("dynamodb:DeleteItem")))
                .allSatisfy(
                        s -> {
                            assertThat(handler).isEqualTo(Handler.POLL);
                            assertThat(s.actions()).containsExactly("dynamodb:DeleteItem");
                            assertThat(s.condition())
                                    .isEqualTo(
                                            Map.of(
                                                    "ForAllValues:StringLike",
                                                    Map.of(
                                                            "dynamodb:LeadingKeys",
                                                            List.of("QWAIT#*", "QUNANSWERED"))));
                        });
        assertThat(anyAllows(handler, "dynamodb:GetItem", table())).isTrue();
        assertThat(anyAllows(handler, "dynamodb:PutItem", table()))
                .as("conditional writes")
                .isTrue();
    }

    @Test
    void completeRole_mayWriteTransactions_andReadTheTableStream() {
        String stream = "${" + onlyResource("AWS::DynamoDB::Table") + ".StreamArn}";
        assertThat(anyAllows(Handler.COMPLETE, "dynamodb:ConditionCheckItem", table())).isTrue();
        assertThat(anyAllows(Handler.COMPLETE, "dynamodb:UpdateItem", table())).isTrue();
        assertThat(anyAllows(Handler.COMPLETE, "dynamodb:GetRecords", stream)).isTrue();
        assertThat(anyAllows(Handler.INGEST, "dynamodb:GetRecords", stream)).isFalse();
        assertThat(anyAllows(Handler.POLL, "dynamodb:GetRecords", stream)).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Handler.class)
    void eachFunction_readsExactlyTheProviderKeySecrets(Handler handler) {
        Set<String> secrets =
                SynthesizedLane.resources("AWS::SecretsManager::Secret").keySet().stream()
                        .map(id -> "${" + id + "}")
                        .collect(Collectors.toSet());
        Set<String> readable =
                statements(handler).stream()
                        .filter(s -> s.allows("secretsmanager:GetSecretValue"))
                        .flatMap(s -> s.resources().stream())
                        .collect(Collectors.toSet());
        assertThat(secrets).hasSize(7);
        // Enqueue checks requests by each provider's rules but never calls one: no key.
        assertThat(readable).isEqualTo(handler == Handler.ENQUEUE ? Set.of() : secrets);
        assertThat(statements(handler))
                .noneMatch(
                        s ->
                                s.allowsAnyOf(
                                        "secretsmanager:PutSecretValue",
                                        "secretsmanager:UpdateSecret",
                                        "secretsmanager:DeleteSecret"));
    }

    @Test
    void completeRole_putsEventsOnlyOnTheLaneBus_asBatchlaneJobCompleted() {
        String bus = "${" + onlyResource("AWS::Events::EventBus") + ".Arn}";
        List<Statement> put =
                statements(Handler.COMPLETE).stream()
                        .filter(s -> s.allows("events:PutEvents"))
                        .toList();
        assertThat(put)
                .singleElement()
                .satisfies(
                        s -> {
                            assertThat(s.resources()).containsExactly(bus);
                            assertThat(s.condition())
                                    .isEqualTo(
                                            Map.of(
                                                    "StringEquals",
                                                    Map.of(
                                                            "events:source",
                                                                    BatchlaneContract.EVENT_SOURCE,
                                                            "events:detail-type",
                                                                    BatchlaneContract
                                                                            .EVENT_JOB_COMPLETED)));
                        });
        assertThat(statements(Handler.INGEST)).noneMatch(s -> s.allows("events:PutEvents"));
    }

    @ParameterizedTest
    @EnumSource(
            value = Handler.class,
            names = {"POLL", "ENQUEUE"})
    void answeringRoles_putEventsOnlyOnTheLaneBus_asBatchlaneRequestAnswered(Handler handler) {
        String bus = "${" + onlyResource("AWS::Events::EventBus") + ".Arn}";
        assertThat(statements(handler).stream().filter(s -> s.allows("events:PutEvents")))
                .singleElement()
                .satisfies(
                        s -> {
                            assertThat(s.resources()).containsExactly(bus);
                            assertThat(s.condition())
                                    .isEqualTo(
                                            Map.of(
                                                    "StringEquals",
                                                    Map.of(
                                                            "events:source",
                                                                    BatchlaneContract.EVENT_SOURCE,
                                                            "events:detail-type",
                                                                    BatchlaneContract
                                                                            .EVENT_REQUEST_ANSWERED)));
                        });
    }

    @Test
    void answeringRoles_sendOnlyToTheReplyQueues_batchlaneRepliesInTheLanesAccount() {
        String replies =
                "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:batchlane-replies-*";
        for (Handler handler : List.of(Handler.POLL, Handler.ENQUEUE)) {
            assertThat(statements(handler).stream().filter(s -> s.allows("sqs:SendMessage")))
                    .as(handler + " sends answers")
                    .anySatisfy(s -> assertThat(s.resources()).containsExactly(replies));
            String tickets =
                    "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:batchlane-replies-tickets";
            assertThat(anyAllows(handler, "sqs:SendMessage", tickets)).isTrue();
            String other =
                    "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:payroll-jobs";
            assertThat(anyAllows(handler, "sqs:SendMessage", other)).as(handler.name()).isFalse();
        }
        for (Handler handler : List.of(Handler.INGEST, Handler.COMPLETE)) {
            assertThat(
                            statements(handler).stream()
                                    .filter(s -> s.allows("sqs:SendMessage"))
                                    .flatMap(s -> s.resources().stream()))
                    .as(handler + " sends only to its own failure queue")
                    .noneMatch(r -> r.contains("batchlane-replies"));
        }
    }

    @Test
    void pollRole_writesTheInboxOnlyUnderQueued_andReadsWhatAnsweringNeeds() {
        assertThat(
                        anyAllows(
                                Handler.POLL,
                                "s3:PutObject",
                                object("inbox/openai/queued/tickets/f-1.jsonl")))
                .isTrue();
        for (String other :
                List.of("inbox/openai/x.jsonl", "inbox/openai/nightly/x.jsonl", "inbox/queued/x")) {
            assertThat(anyAllows(Handler.POLL, "s3:PutObject", object(other))).as(other).isFalse();
        }
        assertThat(
                        anyAllows(
                                Handler.POLL,
                                "s3:PutObject",
                                object("queue-flushes/openai/t/f.jsonl")))
                .isTrue();
        assertThat(anyAllows(Handler.POLL, "s3:PutObject", object("answers/openai/t/a.json")))
                .isTrue();
        assertThat(
                        anyAllows(
                                Handler.POLL,
                                "s3:DeleteObject",
                                object("queue-bodies/openai/t/a.json")))
                .isTrue();
        for (String read :
                List.of(
                        "results/job-1/part-00001.jsonl",
                        "rejected/job-1/report.json",
                        "queue-bodies/openai/t/a.json",
                        "queue-flushes/openai/t/f.jsonl")) {
            assertThat(anyAllows(Handler.POLL, "s3:GetObject", object(read))).as(read).isTrue();
        }
    }

    @Test
    void enqueueRole_takesQueueFiles_writesAnswersAndBodies_andCannotWriteTheInbox() {
        assertThat(anyAllows(Handler.ENQUEUE, "s3:GetObject", object("queue/openai/t/f.jsonl")))
                .isTrue();
        assertThat(anyAllows(Handler.ENQUEUE, "s3:DeleteObject", object("queue/openai/t/f.jsonl")))
                .isTrue();
        assertThat(anyAllows(Handler.ENQUEUE, "s3:PutObject", object("answers/openai/t/a.json")))
                .isTrue();
        assertThat(
                        anyAllows(
                                Handler.ENQUEUE,
                                "s3:PutObject",
                                object("queue-bodies/openai/t/a.json")))
                .isTrue();
        for (String other :
                List.of(
                        "inbox/openai/queued/t/f.jsonl",
                        "inbox/openai/x.jsonl",
                        "results/job-1/part-00001.jsonl",
                        "queue-flushes/openai/t/f.jsonl")) {
            assertThat(anyAllows(Handler.ENQUEUE, "s3:PutObject", object(other)))
                    .as(other)
                    .isFalse();
            assertThat(anyAllows(Handler.ENQUEUE, "s3:GetObject", object(other)))
                    .as(other)
                    .isFalse();
        }
        // Requests are checked by the providers' rules, never sent to one.
        assertThat(statements(Handler.ENQUEUE))
                .noneMatch(s -> s.actions().stream().anyMatch(a -> a.startsWith("bedrock:")));
    }

    @ParameterizedTest
    @EnumSource(Handler.class)
    void eachFunction_writesLogsOnlyToItsOwnLogGroup_andNeedsNoPutMetricData(Handler handler) {
        @SuppressWarnings("unchecked")
        Map<String, Object> logging =
                (Map<String, Object>)
                        properties(SynthesizedLane.functionId(handler)).get("LoggingConfig");
        String ownGroup = SynthesizedLane.render(logging.get("LogGroup")).replace("}", ".Arn}");
        List<Statement> logs =
                statements(handler).stream()
                        .filter(s -> s.actions().stream().anyMatch(a -> a.startsWith("logs:")))
                        .toList();
        assertThat(logs)
                .singleElement()
                .satisfies(s -> assertThat(s.resources()).containsExactly(ownGroup));
        assertThat(statements(handler)).noneMatch(s -> s.allows("cloudwatch:PutMetricData"));
    }

    @Test
    void iamStatements_haveNoWildcardResource_exceptListStreams() {
        // The exceptions: Lambda checks complete's role for dynamodb:ListStreams when it creates
        // the
        // stream mapping, and bedrock:ListModelInvocationJobs (ingest and poll pace jobs against
        // the
        // concurrency quota); neither takes a resource-level permission (see LaneFunctions,
        // LaneBedrock).
        List<Statement> wildcard =
                allStatements().stream().filter(s -> s.resources().contains("*")).toList();
        assertThat(wildcard)
                .hasSize(3)
                .allSatisfy(
                        s -> {
                            if (s.actions().equals(List.of("bedrock:ListModelInvocationJobs"))) {
                                assertThat(s.roles())
                                        .singleElement()
                                        .isIn(
                                                "${" + roleId(Handler.INGEST) + "}",
                                                "${" + roleId(Handler.POLL) + "}");
                                return;
                            }
                            assertThat(s.actions()).containsExactly("dynamodb:ListStreams");
                            assertThat(s.roles())
                                    .containsExactly("${" + roleId(Handler.COMPLETE) + "}");
                        });
        assertThat(allStatements())
                .noneMatch(Statement::negated)
                .noneMatch(
                        s ->
                                s.actions().contains("*")
                                        || s.actions().stream().anyMatch(a -> a.endsWith(":*")));
    }

    @Test
    void functionRoles_areDistinct_trustOnlyLambda_andCarryNoManagedPolicies() {
        Set<String> roles =
                Arrays.stream(Handler.values())
                        .map(SynthesizedLane::roleId)
                        .collect(Collectors.toSet());
        assertThat(roles).hasSize(4);
        for (String role : roles) {
            Map<String, Object> p = properties(role);
            // AWSLambdaBasicExecutionRole would grant logs on "*"; each role names its own log
            // group instead.
            assertThat(p).doesNotContainKey("ManagedPolicyArns");
            assertThat(SynthesizedLane.render(p.get("AssumeRolePolicyDocument")))
                    .contains("lambda.amazonaws.com")
                    .doesNotContain("AWS=");
        }
    }
}
