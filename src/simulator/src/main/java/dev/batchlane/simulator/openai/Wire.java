package dev.batchlane.simulator.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * The JSON shapes of the spec's response schemas. Optional fields are always present, as {@code
 * null} when unset, because that is what the real API sends (the patched spec allows it).
 */
final class Wire {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Wire() {}

    /** {@code OpenAIFile}. */
    static ObjectNode file(StoredFile file) {
        ObjectNode node = NODES.objectNode();
        node.put("id", file.id());
        node.put("object", "file");
        node.put("bytes", file.bytes());
        node.put("created_at", file.createdAt());
        node.put("expires_at", file.expiresAt());
        node.put("filename", file.filename());
        node.put("purpose", file.purpose());
        node.put("status", "processed");
        node.putNull("status_details");
        return node;
    }

    /** {@code ListFilesResponse}. */
    static ObjectNode fileList(List<StoredFile> files, boolean hasMore) {
        ObjectNode node = NODES.objectNode();
        node.put("object", "list");
        ArrayNode data = node.putArray("data");
        files.forEach(f -> data.add(file(f)));
        node.put("first_id", files.isEmpty() ? null : files.get(0).id());
        node.put("last_id", files.isEmpty() ? null : files.get(files.size() - 1).id());
        node.put("has_more", hasMore);
        return node;
    }

    /** {@code DeleteFileResponse}. */
    static ObjectNode deletedFile(String id) {
        ObjectNode node = NODES.objectNode();
        node.put("id", id);
        node.put("object", "file");
        node.put("deleted", true);
        return node;
    }

    /** {@code Batch}; the caller holds the batch's monitor. */
    static ObjectNode batch(BatchRecord batch) {
        ObjectNode node = NODES.objectNode();
        node.put("id", batch.id);
        node.put("object", "batch");
        node.put("endpoint", batch.endpoint);
        node.put("model", batch.model);
        if (batch.errors.isEmpty()) {
            node.putNull("errors");
        } else {
            ObjectNode errors = node.putObject("errors");
            errors.put("object", "list");
            ArrayNode data = errors.putArray("data");
            for (BatchError error : batch.errors) {
                ObjectNode entry = data.addObject();
                entry.put("code", error.code());
                entry.put("message", error.message());
                entry.put("param", error.param());
                entry.put("line", error.line());
            }
        }
        node.put("input_file_id", batch.inputFileId);
        node.put("completion_window", batch.completionWindow);
        node.put("status", batch.dialect.status(batch.status));
        node.put("output_file_id", batch.outputFileId);
        node.put("error_file_id", batch.errorFileId);
        node.put("created_at", batch.createdAt);
        node.put("in_progress_at", batch.inProgressAt);
        node.put("expires_at", batch.expiresAt);
        node.put("finalizing_at", batch.finalizingAt);
        node.put("completed_at", batch.completedAt);
        node.put("failed_at", batch.failedAt);
        node.put("expired_at", batch.expiredAt);
        node.put("cancelling_at", batch.cancellingAt);
        node.put("cancelled_at", batch.cancelledAt);
        node.putObject("request_counts")
                .put("total", batch.total)
                .put("completed", batch.completed)
                .put("failed", batch.failed);
        if (batch.usage == null) {
            node.putNull("usage");
        } else {
            KnownUsage usage = batch.usage;
            ObjectNode u = node.putObject("usage");
            u.put("input_tokens", usage.inputTokens());
            u.putObject("input_tokens_details").put("cached_tokens", usage.cachedTokens());
            u.put("output_tokens", usage.outputTokens());
            u.putObject("output_tokens_details").put("reasoning_tokens", 0);
            u.put("total_tokens", usage.totalTokens());
        }
        if (batch.metadata == null) {
            node.putNull("metadata");
        } else {
            ObjectNode metadata = node.putObject("metadata");
            for (Map.Entry<String, String> entry : batch.metadata.entrySet()) {
                metadata.put(entry.getKey(), entry.getValue());
            }
        }
        return node;
    }

    /**
     * A Mistral batch job: its own field names and statuses over the same record. Requests that
     * finished are {@code completed_requests}, of which {@code succeeded_requests} succeeded.
     */
    static ObjectNode mistralJob(BatchRecord batch) {
        ObjectNode node = NODES.objectNode();
        node.put("id", batch.id);
        node.put("object", "batch");
        node.putArray("input_files").add(batch.inputFileId);
        if (batch.metadata == null) {
            node.putNull("metadata");
        } else {
            ObjectNode metadata = node.putObject("metadata");
            batch.metadata.forEach(metadata::put);
        }
        node.put("endpoint", batch.endpoint);
        node.put("model", batch.model);
        node.putNull("agent_id");
        node.put("output_file", batch.outputFileId);
        node.put("error_file", batch.errorFileId);
        var errors = node.putArray("errors");
        for (BatchError error : batch.errors) {
            errors.addObject()
                    .put(
                            "message",
                            (error.line() == null ? "" : "line " + error.line() + ": ")
                                    + error.code()
                                    + ": "
                                    + error.message())
                    .put("count", 1);
        }
        node.put(
                "status",
                switch (batch.status) {
                    case VALIDATING -> "QUEUED";
                    case IN_PROGRESS, FINALIZING -> "RUNNING";
                    case COMPLETED -> "SUCCESS";
                    case FAILED -> "FAILED";
                    case EXPIRED -> "TIMEOUT_EXCEEDED";
                    case CANCELLING -> "CANCELLATION_REQUESTED";
                    case CANCELLED -> "CANCELLED";
                });
        node.put("created_at", batch.createdAt);
        node.put("total_requests", batch.total);
        node.put("completed_requests", batch.completed + batch.failed);
        node.put("succeeded_requests", batch.completed);
        node.put("failed_requests", batch.failed);
        node.put("started_at", batch.inProgressAt);
        Long ended =
                batch.completedAt != null
                        ? batch.completedAt
                        : batch.failedAt != null
                                ? batch.failedAt
                                : batch.expiredAt != null ? batch.expiredAt : batch.cancelledAt;
        node.put("completed_at", ended);
        return node;
    }

    /**
     * Mistral's error answer: flat, {@code {"object": "error", "message", "type", "param",
     * "code"}}.
     */
    static ObjectNode mistralError(ApiError error) {
        ObjectNode node = NODES.objectNode();
        node.put("object", "error");
        node.put("message", error.getMessage());
        node.put("type", error.type);
        node.put("param", error.param);
        node.put("code", error.code);
        return node;
    }

    /** {@code ListBatchesResponse}; {@code batches} are already rendered. */
    static ObjectNode batchList(List<ObjectNode> batches, boolean hasMore) {
        ObjectNode node = NODES.objectNode();
        node.put("object", "list");
        node.putArray("data").addAll(batches);
        node.put("first_id", batches.isEmpty() ? null : batches.get(0).get("id").asText());
        node.put(
                "last_id",
                batches.isEmpty() ? null : batches.get(batches.size() - 1).get("id").asText());
        node.put("has_more", hasMore);
        return node;
    }

    /** The error envelope {@code {"error":{message,type,param,code}}}. */
    static ObjectNode error(ApiError error) {
        ObjectNode node = NODES.objectNode();
        ObjectNode body = node.putObject("error");
        body.put("message", error.getMessage());
        body.put("type", error.type);
        body.put("param", error.param);
        body.put("code", error.code);
        return node;
    }
}
