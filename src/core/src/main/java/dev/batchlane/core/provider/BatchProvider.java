package dev.batchlane.core.provider;

import dev.batchlane.core.ingest.RequestContract;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One provider's batch API. The core decides what to do; an adapter only translates: it knows the
 * provider's endpoints, line formats and statuses, and nothing about jobs, S3 or DynamoDB.
 */
public interface BatchProvider {

    /** The name used in inbox prefixes and records, e.g. {@code openai}. */
    String name();

    /** The rules every input line must follow for this provider. */
    RequestContract contract();

    /** Uploads a staged shard and creates a batch from it. */
    Submission submit(Payload payload, String endpoint, Map<String, String> metadata);

    BatchView retrieve(String batchId);

    /**
     * Streams every result line of an ended batch (output and error files alike), in the
     * provider's order, to {@code sink}. Nothing is collected in memory.
     */
    void streamResults(BatchView batch, Consumer<LineResult> sink);

    /** Deletes what this batch left at the provider (input, output and error files). Missing is fine. */
    void cleanup(String inputFileId, String outputFileId, String errorFileId);
}
