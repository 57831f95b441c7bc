package dev.batchlane.local.iam;

import java.util.List;
import java.util.Map;

/**
 * One authorization AWS makes for a call: an action on a resource with the request's context keys.
 * A single API call can need several (TransactWriteItems: one per item and table; PutObject on a
 * KMS-encrypted bucket: s3:PutObject and kms:GenerateDataKey).
 */
public record AccessRequest(String action, String resource, Map<String, List<String>> context) {

    public AccessRequest {
        context = Map.copyOf(context);
    }

    public static AccessRequest of(String action, String resource) {
        return new AccessRequest(action, resource, Map.of());
    }

    public AccessRequest with(String key, String value) {
        var c = new java.util.HashMap<>(context);
        c.put(key, List.of(value));
        return new AccessRequest(action, resource, c);
    }
}
