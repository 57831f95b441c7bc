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
     * How long an uploaded input file lives at the provider before the provider deletes it (empty:
     * until it is deleted). A shard that waited in the queue longer than this must upload again, or
     * its create names a file that is gone. No default: a provider that forgot would have its
     * expired uploads reused, so each adapter says it, empty included.
     */
    java.util.Optional<java.time.Duration> inputFileLifetime();

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
     * made twice. There is no default: forgetting this made Mistral and Together create a second
     * batch after every lost answer. An adapter either finds what it made, or declares with {@link
     * #creationIsIdempotent} that making the same call again answers what the first one made, and
     * then answers NOTHING here. The provider conformance kit proves which of the two holds.
     *
     * <p>BATCH is a certainty, never a guess: the lane records it for the shard, joins its results
     * under the shard's ids and deletes it at cleanup. A batch for which {@link
     * CreationQuery#taken} is true belongs to another shard of the lane and is never answered. An
     * adapter that matches by what a batch holds or when it was made (no mark of the lane's on it)
     * looks only within the attempt's window ({@link CreationQuery#attemptedAt} to {@link
     * CreationQuery#settledBy}, plus its clock skew) and answers UNDECIDED while it cannot verify a
     * candidate (still running, two alike): the lane then creates nothing, looks again later, and
     * flags the shard stuck once the attempt is older than its stuck bound.
     */
    Reconciliation findCreated(CreationQuery query);

    /**
     * Whether the creating calls themselves are idempotent: made again for the same shard (after a
     * lost answer), each answers what the first one made instead of making a second one (Bedrock's
     * {@code clientRequestToken}, an upload to a key fixed by the shard). Such a provider may
     * answer NOTHING from {@link #findCreated}; every other provider must find what it made.
     */
    default boolean creationIsIdempotent() {
        return false;
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
