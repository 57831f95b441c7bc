package dev.batchlane.local.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * SQS in its JSON protocol ({@code X-Amz-Target: AmazonSQS.<Operation>}, what the AWS SDK for Java
 * 2.x sends): the queue is the {@code QueueUrl} of the body (or {@code QueueName} for CreateQueue
 * and GetQueueUrl), its ARN {@code arn:aws:sqs:<region>:<account>:<name>} taken from the URL's path
 * {@code /<account>/<name>}. A batch operation is authorized as its single one, as SQS does:
 * SendMessageBatch needs {@code sqs:SendMessage}, DeleteMessageBatch {@code sqs:DeleteMessage},
 * ChangeMessageVisibilityBatch {@code sqs:ChangeMessageVisibility}.
 */
public final class SqsRules implements ServiceRules {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TARGET_PREFIX = "AmazonSQS";

    /** Operation → the IAM action it needs; an operation not here is denied as unknown. */
    private static final Map<String, String> ACTIONS =
            Map.ofEntries(
                    Map.entry("SendMessage", "sqs:SendMessage"),
                    Map.entry("SendMessageBatch", "sqs:SendMessage"),
                    Map.entry("ReceiveMessage", "sqs:ReceiveMessage"),
                    Map.entry("DeleteMessage", "sqs:DeleteMessage"),
                    Map.entry("DeleteMessageBatch", "sqs:DeleteMessage"),
                    Map.entry("ChangeMessageVisibility", "sqs:ChangeMessageVisibility"),
                    Map.entry("ChangeMessageVisibilityBatch", "sqs:ChangeMessageVisibility"),
                    Map.entry("GetQueueAttributes", "sqs:GetQueueAttributes"),
                    Map.entry("SetQueueAttributes", "sqs:SetQueueAttributes"),
                    Map.entry("GetQueueUrl", "sqs:GetQueueUrl"),
                    Map.entry("CreateQueue", "sqs:CreateQueue"),
                    Map.entry("DeleteQueue", "sqs:DeleteQueue"),
                    Map.entry("PurgeQueue", "sqs:PurgeQueue"),
                    Map.entry("ListQueueTags", "sqs:ListQueueTags"),
                    Map.entry("ListQueues", "sqs:ListQueues"));

    private final String region;
    private final String account;

    /**
     * @param region the region of a queue whose URL does not name one (a local server's URL)
     * @param account the account of a queue named without one (CreateQueue, GetQueueUrl)
     */
    public SqsRules(String region, String account) {
        this.region = region;
        this.account = account;
    }

    @Override
    public String signingName() {
        return "sqs";
    }

    @Override
    public List<AccessRequest> authorizations(Call call) {
        String action = ACTIONS.get(call.targetOperation());
        if (action == null || !TARGET_PREFIX.equals(call.targetPrefix())) {
            return List.of();
        }
        JsonNode body;
        try {
            body =
                    call.body() == null || call.body().length == 0
                            ? JSON.createObjectNode()
                            : JSON.readTree(call.body());
        } catch (IOException e) {
            return List.of();
        }
        String resource;
        switch (call.targetOperation()) {
            // SQS authorizes ListQueues on no queue: only a statement for every resource allows it.
            case "ListQueues" -> resource = "*";
            case "CreateQueue", "GetQueueUrl" -> {
                String name = body.path("QueueName").asText("");
                if (name.isEmpty()) {
                    return List.of();
                }
                resource =
                        queueArn(region, body.path("QueueOwnerAWSAccountId").asText(account), name);
            }
            default -> {
                Optional<String> arn = queueArn(body.path("QueueUrl").asText(""));
                if (arn.isEmpty()) {
                    return List.of();
                }
                resource = arn.get();
            }
        }
        return List.of(AccessRequest.of(action, resource));
    }

    /**
     * The ARN of the queue at {@code url}: {@code
     * https://sqs.<region>.amazonaws.com/<account>/<name>} on AWS, {@code
     * http://127.0.0.1:<port>/<account>/<name>} on a local server (whose region is the stack's);
     * empty when the URL is no queue URL.
     */
    public Optional<String> queueArn(String url) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (uri.getHost() == null || uri.getPath() == null) {
            return Optional.empty();
        }
        String[] parts = uri.getPath().replaceAll("^/+", "").split("/");
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            return Optional.empty();
        }
        String[] host = uri.getHost().split("\\.");
        String urlRegion =
                host.length >= 3 && (host[0].equals("sqs") || host[0].equals("queue"))
                        ? host[1]
                        : region;
        return Optional.of(queueArn(urlRegion, parts[0], parts[1]));
    }

    static String queueArn(String region, String account, String name) {
        return "arn:aws:sqs:" + region + ":" + account + ":" + name;
    }

    /**
     * As SQS answers a denied call in its JSON protocol: 403, the coral type, and the query error
     * code the SDK reports ({@code AccessDenied}), since SQS kept its query protocol's codes.
     */
    @Override
    public Answer denied(Call call, String message) {
        Answer a =
                Answer.json(
                        403,
                        "application/x-amz-json-1.0",
                        null,
                        "{\"__type\":\"com.amazon.coral.service#AccessDeniedException\",\"message\":"
                                + ServiceRules.quote(message)
                                + "}");
        Map<String, String> headers = new java.util.LinkedHashMap<>(a.headers());
        headers.put("x-amzn-query-error", "AccessDenied;Sender");
        return new Answer(a.status(), headers, a.body());
    }
}
