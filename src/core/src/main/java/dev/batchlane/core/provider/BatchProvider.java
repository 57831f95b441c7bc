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

    /**
     * This provider's own per-batch limits, stated by each adapter (no provider's limits are a
     * default for another's); configuration may lower them (tests use small shards).
     */
    dev.batchlane.core.ingest.IngestLimits limits();

    /** Uploads a staged shard and creates a batch from it, in one go. */
    Submission submit(Payload payload, String endpoint, Map<String, String> metadata);

    /**
     * Step one of a submission, for providers that take the input as an uploaded file: uploads it
     * and returns the file's id, which the caller records before step two so a failed create can
     * reuse the upload and cleanup can find it. Providers that take requests inline return null.
     */
    default String upload(Payload payload) {
        return null;
    }

    /**
     * Step two: creates the batch from {@code inputFileId} (from {@link #upload}), or inline from
     * the payload.
     */
    default Submission create(
            String inputFileId, Payload payload, String endpoint, Map<String, String> metadata) {
        return submit(payload, endpoint, metadata);
    }

    BatchView retrieve(String batchId);

    /**
     * Looks for what an earlier creating call of this shard made, when its answer was lost (a 5xx,
     * a timeout, a cut connection, an unreadable 2xx): the batch, or for {@code UPLOAD} the input
     * file. Called before any new attempt, so a creation that took effect is adopted rather than
     * made twice. A provider with no way to look answers NOTHING, and the call is made again.
     */
    default Reconciliation findCreated(CreationQuery query) {
        return Reconciliation.nothing("provider " + name() + " cannot list what it created");
    }

    /**
     * Asks the provider to stop a batch; it ends later, through the usual statuses, with what
     * finished.
     */
    default void cancel(String batchId) {
        throw new UnsupportedOperationException(
                "provider " + name() + " cannot cancel batch " + batchId);
    }

    /**
     * Streams every result line of an ended batch (output and error files alike), in the provider's
     * order, to {@code sink}. Nothing is collected in memory.
     */
    void streamResults(BatchView batch, Consumer<LineResult> sink);

    /**
     * Deletes what this batch left at the provider (input, output and error files). Missing is
     * fine.
     */
    void cleanup(String inputFileId, String outputFileId, String errorFileId);
}
