package dev.batchlane.conformance;

import dev.batchlane.core.provider.Payload;
import java.util.List;
import java.util.Map;

/** One shard of a job of its own: its ids, its payload and the metadata the lane sends with it. */
record TestShard(
        String jobId,
        String name,
        List<String> ids,
        Payload payload,
        Map<String, String> metadata) {}
