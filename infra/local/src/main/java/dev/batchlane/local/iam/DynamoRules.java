package dev.batchlane.local.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * DynamoDB and DynamoDB Streams (both sign as {@code dynamodb}): the operation from {@code
 * X-Amz-Target}, the resource from the body — the table, or {@code table/T/index/I} for a Query or
 * Scan of an index; BatchGetItem and BatchWriteItem once per table they name; TransactWriteItems
 * and TransactGetItems as the PutItem, UpdateItem, DeleteItem, ConditionCheckItem and GetItem of
 * each part, as DynamoDB authorizes them. A stream call is on the stream's ARN; GetRecords names
 * only a shard iterator, so the stream of each iterator is remembered from the answers that handed
 * it out.
 */
public final class DynamoRules implements ServiceRules {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STREAMS = "DynamoDBStreams_20120810";
    private final String region;
    private final String account;
    private final Map<String, String> iteratorStreams = new ConcurrentHashMap<>();

    public DynamoRules(String region, String account) {
        this.region = region;
        this.account = account;
    }

    @Override
    public String signingName() {
        return "dynamodb";
    }

    private String table(String name) {
        return name.startsWith("arn:")
                ? name
                : "arn:aws:dynamodb:" + region + ":" + account + ":table/" + name;
    }

    /**
     * DynamoDB Local names its region "ddblocal" in stream ARNs; the policies name the
     * deployment's.
     */
    public static String normalizeStreamArn(String arn, String region) {
        return arn == null ? null : arn.replace(":ddblocal:", ":" + region + ":");
    }

    @Override
    public List<AccessRequest> authorizations(Call call) {
        String op = call.targetOperation();
        if (op == null) {
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
        List<AccessRequest> out = new ArrayList<>();
        if (STREAMS.equals(call.targetPrefix())) {
            switch (op) {
                case "ListStreams" -> out.add(AccessRequest.of("dynamodb:ListStreams", "*"));
                case "DescribeStream", "GetShardIterator" ->
                        out.add(
                                AccessRequest.of(
                                        "dynamodb:" + op,
                                        normalizeStreamArn(
                                                body.path("StreamArn").asText(), region)));
                case "GetRecords" -> {
                    String stream = iteratorStreams.get(body.path("ShardIterator").asText());
                    // An iterator this proxy did not hand out names no stream it could check.
                    out.add(
                            AccessRequest.of(
                                    "dynamodb:GetRecords",
                                    stream != null
                                            ? stream
                                            : "arn:aws:dynamodb:"
                                                    + region
                                                    + ":"
                                                    + account
                                                    + ":table/unknown/stream/unknown"));
                }
                default -> {
                    return List.of();
                }
            }
            return out;
        }
        switch (op) {
            case "BatchGetItem", "BatchWriteItem" ->
                    body.path("RequestItems")
                            .fieldNames()
                            .forEachRemaining(
                                    t -> out.add(AccessRequest.of("dynamodb:" + op, table(t))));
            case "TransactWriteItems", "TransactGetItems" -> {
                for (JsonNode item : body.path("TransactItems")) {
                    var f = item.fields().next();
                    String action =
                            switch (f.getKey()) {
                                case "Put" -> "dynamodb:PutItem";
                                case "Update" -> "dynamodb:UpdateItem";
                                case "Delete" -> "dynamodb:DeleteItem";
                                case "ConditionCheck" -> "dynamodb:ConditionCheckItem";
                                case "Get" -> "dynamodb:GetItem";
                                default -> null;
                            };
                    if (action == null) {
                        return List.of();
                    }
                    out.add(
                            AccessRequest.of(
                                    action, table(f.getValue().path("TableName").asText())));
                }
            }
            case "ListTables", "DescribeLimits", "DescribeEndpoints" ->
                    out.add(AccessRequest.of("dynamodb:" + op, "*"));
            default -> {
                String t = body.path("TableName").asText(null);
                if (t == null) {
                    t = body.path("TableArn").asText(null);
                }
                if (t == null) {
                    return List.of();
                }
                String resource = table(t);
                if (("Query".equals(op) || "Scan".equals(op)) && body.hasNonNull("IndexName")) {
                    resource += "/index/" + body.path("IndexName").asText();
                }
                out.add(AccessRequest.of("dynamodb:" + op, resource));
            }
        }
        return out;
    }

    @Override
    public boolean needsResponseBody(Call call) {
        return STREAMS.equals(call.targetPrefix());
    }

    @Override
    public Optional<Answer> afterResponse(
            Call call, int status, byte[] body, Authorizer authorizer) {
        if (status != 200 || !STREAMS.equals(call.targetPrefix())) {
            return Optional.empty();
        }
        try {
            JsonNode request = JSON.readTree(call.body());
            JsonNode answer = JSON.readTree(body);
            String stream =
                    "GetShardIterator".equals(call.targetOperation())
                            ? normalizeStreamArn(request.path("StreamArn").asText(), region)
                            : iteratorStreams.get(request.path("ShardIterator").asText());
            for (String field : List.of("ShardIterator", "NextShardIterator")) {
                if (stream != null && answer.hasNonNull(field)) {
                    iteratorStreams.put(answer.path(field).asText(), stream);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not an answer that hands out iterators
        }
        return Optional.empty();
    }

    @Override
    public Answer denied(Call call, String message) {
        // DynamoDB answers a denial with HTTP 400 and AccessDeniedException in its JSON error
        // shape.
        return Answer.json(
                400,
                "application/x-amz-json-1.0",
                null,
                "{\"__type\":\"com.amazonaws.dynamodb.v20120810#AccessDeniedException\",\"message\":"
                        + ServiceRules.quote(message)
                        + "}");
    }
}
