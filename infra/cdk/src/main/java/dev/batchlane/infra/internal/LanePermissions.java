package dev.batchlane.infra.internal;

import static dev.batchlane.infra.BatchlaneContract.DUE_INDEX;
import static dev.batchlane.infra.BatchlaneContract.EVENT_JOB_COMPLETED;
import static dev.batchlane.infra.BatchlaneContract.EVENT_REQUEST_ANSWERED;
import static dev.batchlane.infra.BatchlaneContract.EVENT_SOURCE;
import static dev.batchlane.infra.BatchlaneContract.INBOX_QUEUED;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_ANSWERS;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_CANCEL;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_INBOX;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_QUEUE;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_QUEUE_BODIES;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_QUEUE_FLUSHES;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_REJECTED;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_RESULTS;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_STAGING;

import dev.batchlane.infra.BatchlaneContract.Handler;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.iam.IRole;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.logs.ILogGroup;

/**
 * Every permission a function's own role gets, in one place, so a review reads who may do what here
 * and nowhere else. Object permissions are per prefix; KMS is decrypt for readers and
 * encrypt/GenerateDataKey for writers, and only through S3; DynamoDB is the table and its due
 * index. Stream and dead-letter permissions of complete come from its event source mapping.
 */
final class LanePermissions {

    private LanePermissions() {}

    static void grant(
            Handler handler,
            IRole role,
            LaneState state,
            ILogGroup logs,
            List<String> replyQueues) {
        // Its own log group only; the embedded metric format rides on these writes, so metrics need
        // no cloudwatch:PutMetricData (which would have to be on "*").
        logs.grantWrite(role);
        if (callsProviders(handler)) {
            // The enabled providers' keys only (LaneState makes no secret for the others).
            state.providerKeys().values().forEach(secret -> secret.grantRead(role));
        }
        if (answers(handler)) {
            grantAnswers(role, state, replyQueues);
        }
        switch (handler) {
            case INGEST -> {
                // Reads a drop pinned to its version (GetObjectVersion), and cancellations.
                role.addToPrincipalPolicy(
                        objects(
                                state,
                                List.of("s3:GetObject", "s3:GetObjectVersion"),
                                PREFIX_INBOX,
                                PREFIX_CANCEL));
                // Shards and error lists are streamed as multipart uploads: PutObject covers the
                // parts,
                // AbortMultipartUpload the discarding of one that failed or was cut short by a bad
                // line.
                role.addToPrincipalPolicy(
                        objects(
                                state,
                                List.of("s3:PutObject", "s3:AbortMultipartUpload"),
                                PREFIX_STAGING,
                                PREFIX_REJECTED));
                // Submission uploads each staged shard to the provider, so ingest reads staging/;
                // and
                // the shards of a file found bad late in the pass are deleted, so nothing can
                // submit them.
                role.addToPrincipalPolicy(
                        objects(state, List.of("s3:GetObject", "s3:DeleteObject"), PREFIX_STAGING));
                role.addToPrincipalPolicy(decrypt(state));
                role.addToPrincipalPolicy(encrypt(state));
                items(
                        role,
                        state,
                        "dynamodb:GetItem",
                        "dynamodb:PutItem",
                        "dynamodb:UpdateItem",
                        "dynamodb:Query");
            }
            case POLL -> {
                // Poll submits shards a provider held back with a rate limit (429, enqueued-token
                // limit):
                // submitting uploads the staged shard, so it reads staging/.
                role.addToPrincipalPolicy(
                        objects(state, List.of("s3:GetObject"), PREFIX_STAGING, PREFIX_CANCEL));
                role.addToPrincipalPolicy(decrypt(state));
                // A job can outlive the bucket's expiry of staging/; poll then copies its staged
                // shards onto themselves (CopyObject, same key) so their age starts again. The copy
                // is a write of staging/ only (no delete, no multipart), encrypted with the
                // bucket's
                // key, hence PutObject there and encrypt/GenerateDataKey through S3.
                role.addToPrincipalPolicy(objects(state, List.of("s3:PutObject"), PREFIX_STAGING));
                role.addToPrincipalPolicy(encrypt(state));
                // BatchGetItem: the due shards found on the index are then read consistently, 100 a
                // call;
                // the local stack's IAM enforcement found it missing (every poll cycle was denied).
                // Query on the table: before poll creates again after a creation whose answer was
                // lost,
                // it reads the job's shards (one partition) for the batches they already hold; the
                // fault suite under enforcement found it missing (every such reconciliation was
                // denied).
                items(
                        role,
                        state,
                        "dynamodb:GetItem",
                        "dynamodb:BatchGetItem",
                        "dynamodb:PutItem",
                        "dynamodb:UpdateItem",
                        "dynamodb:Query");
                // Due shards are found on the sparse index, never by a scan.
                role.addToPrincipalPolicy(
                        PolicyStatement.Builder.create()
                                .actions(List.of("dynamodb:Query"))
                                .resources(
                                        List.of(
                                                state.table().getTableArn()
                                                        + "/index/"
                                                        + DUE_INDEX))
                                .build());
                grantQueueShare(role, state);
            }
            case COMPLETE -> {
                role.addToPrincipalPolicy(objects(state, List.of("s3:GetObject"), PREFIX_STAGING));
                // results/ for joined parts and the manifest; staging/ for re-queued child shards.
                role.addToPrincipalPolicy(
                        objects(
                                state,
                                List.of("s3:PutObject", "s3:AbortMultipartUpload"),
                                PREFIX_RESULTS,
                                PREFIX_STAGING));
                role.addToPrincipalPolicy(decrypt(state));
                role.addToPrincipalPolicy(encrypt(state));
                // TransactWriteItems is authorized as its PutItem, UpdateItem and
                // ConditionCheckItem parts.
                items(
                        role,
                        state,
                        "dynamodb:GetItem",
                        "dynamodb:PutItem",
                        "dynamodb:UpdateItem",
                        "dynamodb:Query",
                        "dynamodb:ConditionCheckItem");
                role.addToPrincipalPolicy(
                        PolicyStatement.Builder.create()
                                .actions(List.of("events:PutEvents"))
                                .resources(List.of(state.eventBus().getEventBusArn()))
                                // Only the completion event, so this role cannot impersonate
                                // another source.
                                // Sorted: Map.of's order changes from JVM to JVM, and so would the
                                // policy.
                                .conditions(
                                        Map.of(
                                                "StringEquals",
                                                new TreeMap<>(
                                                        Map.of(
                                                                "events:source", EVENT_SOURCE,
                                                                "events:detail-type",
                                                                        EVENT_JOB_COMPLETED))))
                                .build());
            }
            case ENQUEUE -> {
                // A queue file is read, then deleted once every line is kept or answered.
                role.addToPrincipalPolicy(
                        objects(state, List.of("s3:GetObject", "s3:DeleteObject"), PREFIX_QUEUE));
                // Answers to refused requests, and requests too big for the table's items (a
                // duplicate delivery removes the copy it wrote itself).
                role.addToPrincipalPolicy(
                        objects(
                                state,
                                List.of("s3:PutObject", "s3:AbortMultipartUpload"),
                                PREFIX_ANSWERS,
                                PREFIX_QUEUE_BODIES));
                role.addToPrincipalPolicy(
                        objects(state, List.of("s3:DeleteObject"), PREFIX_QUEUE_BODIES));
                // A queue file delivered again after it was taken is gone: a 404, not a 403.
                role.addToPrincipalPolicy(listKeys(state));
                role.addToPrincipalPolicy(decrypt(state));
                role.addToPrincipalPolicy(encrypt(state));
                // The buffer's id record and waiting entry are written together
                // (TransactWriteItems, authorized as its parts); GetItem and Query read the
                // queue limits the request checks use.
                items(role, state, QUEUE_BUFFER_ACTIONS);
            }
        }
    }

    /**
     * What the buffer in the table needs to keep requests and read them back (the queue lane's
     * intake and poll's flushes and answers); its transactions are authorized as their puts and
     * updates.
     */
    private static final String[] QUEUE_BUFFER_ACTIONS = {
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"
    };

    /**
     * The only items any role may delete: a flushed request's waiting entry and a flush's
     * unanswered marker, both poll's (the buffer's keys start so; jobs and shards never do).
     */
    static final List<String> DELETABLE_KEYS = List.of("QWAIT#*", "QUNANSWERED");

    /**
     * Poll's queue share: a flush writes what it took to {@code queue-flushes/} and its file under
     * {@code inbox/<provider>/queued/} (the ordinary ingest makes the job), takes the bodies of
     * large requests from {@code queue-bodies/}; answering reads an ended job's joined results or
     * its file's rejection, and keeps each answer under {@code answers/}.
     */
    private static void grantQueueShare(IRole role, LaneState state) {
        role.addToPrincipalPolicy(
                PolicyStatement.Builder.create()
                        .actions(List.of("s3:PutObject", "s3:AbortMultipartUpload"))
                        .resources(
                                List.of(
                                        state.bucket()
                                                .arnForObjects(
                                                        PREFIX_INBOX + "*/" + INBOX_QUEUED + "*"),
                                        state.bucket().arnForObjects(PREFIX_QUEUE_FLUSHES + "*"),
                                        state.bucket().arnForObjects(PREFIX_ANSWERS + "*")))
                        .build());
        role.addToPrincipalPolicy(
                objects(state, List.of("s3:GetObject", "s3:DeleteObject"), PREFIX_QUEUE_BODIES));
        role.addToPrincipalPolicy(
                objects(
                        state,
                        List.of("s3:GetObject"),
                        PREFIX_QUEUE_FLUSHES,
                        PREFIX_RESULTS,
                        PREFIX_REJECTED,
                        PREFIX_INBOX + "*/" + INBOX_QUEUED));
        role.addToPrincipalPolicy(listKeys(state));
        items(role, state, QUEUE_BUFFER_ACTIONS);
        // Flushed requests leave the waiting list, answered flushes their marker; nothing else.
        role.addToPrincipalPolicy(
                PolicyStatement.Builder.create()
                        .actions(List.of("dynamodb:DeleteItem"))
                        .resources(List.of(state.table().getTableArn()))
                        .conditions(
                                Map.of(
                                        "ForAllValues:StringLike",
                                        Map.of("dynamodb:LeadingKeys", DELETABLE_KEYS)))
                        .build());
    }

    /**
     * Listing the bucket's keys, with no prefix condition. The queue lane's steps ask whether an
     * object exists (a flush's record or file left by a flusher that died, a rejection's error
     * list, a queue file already taken) and list a job's result parts; S3 answers a HEAD or GET of
     * a missing key with 404 only to a caller allowed {@code s3:ListBucket} on the bucket (anyone
     * else gets 403), and it evaluates that permission without the key as {@code s3:prefix}, so a
     * prefix condition would deny it. Listing shows key names only; reading stays per prefix.
     */
    private static PolicyStatement listKeys(LaneState state) {
        return PolicyStatement.Builder.create()
                .actions(List.of("s3:ListBucket"))
                .resources(List.of(state.bucket().getBucketArn()))
                .build();
    }

    /**
     * Sending answers: to the reply queues the deployment allows (a request names its own, so the
     * role may send only to these), or as a {@value
     * dev.batchlane.infra.BatchlaneContract#EVENT_REQUEST_ANSWERED} event on the lane's bus.
     * SendMessageBatch is authorized as SendMessage.
     */
    private static void grantAnswers(IRole role, LaneState state, List<String> replyQueues) {
        role.addToPrincipalPolicy(
                PolicyStatement.Builder.create()
                        .actions(List.of("sqs:SendMessage"))
                        .resources(replyQueues)
                        .build());
        role.addToPrincipalPolicy(
                PolicyStatement.Builder.create()
                        .actions(List.of("events:PutEvents"))
                        .resources(List.of(state.eventBus().getEventBusArn()))
                        .conditions(
                                Map.of(
                                        "StringEquals",
                                        new TreeMap<>(
                                                Map.of(
                                                        "events:source", EVENT_SOURCE,
                                                        "events:detail-type",
                                                                EVENT_REQUEST_ANSWERED))))
                        .build());
    }

    /** Whether {@code handler} answers queued requests (to reply queues or the bus). */
    static boolean answers(Handler handler) {
        return switch (handler) {
            case POLL, ENQUEUE -> true;
            case INGEST, COMPLETE -> false;
        };
    }

    /**
     * Whether {@code handler} builds the enabled providers (each to check requests by its rules),
     * and so is told which they are and their settings. Enqueue checks requests but never calls a
     * provider, so it reads no key.
     */
    static boolean checksRequests(Handler handler) {
        return switch (handler) {
            case INGEST, POLL, COMPLETE, ENQUEUE -> true;
        };
    }

    /**
     * Whether {@code handler}'s function calls providers, and so reads their keys. Each does today:
     * ingest submits (and cancels, on cancel/), poll follows batches and submits held-back shards,
     * complete downloads results and deletes the provider's files. Exhaustive, so a new function
     * has to say whether it needs the keys.
     */
    static boolean callsProviders(Handler handler) {
        return switch (handler) {
            case INGEST, POLL, COMPLETE -> true;
            case ENQUEUE -> false;
        };
    }

    private static PolicyStatement objects(
            LaneState state, List<String> actions, String... prefixes) {
        return PolicyStatement.Builder.create()
                .actions(actions)
                .resources(
                        Arrays.stream(prefixes)
                                .map(p -> state.bucket().arnForObjects(p + "*"))
                                .toList())
                .build();
    }

    private static PolicyStatement decrypt(LaneState state) {
        return viaS3(state, "kms:Decrypt");
    }

    private static PolicyStatement encrypt(LaneState state) {
        return viaS3(state, "kms:Encrypt", "kms:GenerateDataKey");
    }

    /** The data key serves the bucket only: a role may use it through S3, never directly. */
    private static PolicyStatement viaS3(LaneState state, String... actions) {
        String region = Stack.of(state).getRegion();
        return PolicyStatement.Builder.create()
                .actions(List.of(actions))
                .resources(List.of(state.dataKey().getKeyArn()))
                .conditions(
                        Map.of(
                                "StringEquals",
                                Map.of("kms:ViaService", "s3." + region + ".amazonaws.com")))
                .build();
    }

    private static void items(IRole role, LaneState state, String... actions) {
        role.addToPrincipalPolicy(
                PolicyStatement.Builder.create()
                        .actions(List.of(actions))
                        .resources(List.of(state.table().getTableArn()))
                        .build());
    }
}
