package dev.batchlane.core.ingest;

import dev.batchlane.core.money.TokenEstimate;
import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/**
 * Cuts a clean file's valid lines into shards within the provider's limits and streams each to the
 * {@link IngestPass.Stager}, in file order. Once {@link #stop stopped} (the file broke a rule) it
 * stages nothing more; what it staged until then is the caller's to remove.
 *
 * <p>Besides the provider's per-batch limits, a shard's input tokens stay within the queue limit of
 * its model ({@link QueueLimits}): a provider caps the tokens enqueued across a model's batches,
 * and a shard above that cap could never be queued, however long it waited. Each shard keeps its
 * own token estimate by model, so the admission budget counts what this shard holds (not an average
 * share of the file) and the projection can price a shard that will run on demand.
 */
final class ShardCutter {
    private final IngestLimits limits;
    private final ExecutorService finisher;
    private final List<IngestPass.StagedShard> shards =
            Collections.synchronizedList(new ArrayList<>());
    private IngestPass.Stager stager;
    private CompletableFuture<Void> finishing;
    private int opened;
    private ObjectStore.Upload current;
    private int currentIndex;
    private long currentRequests;
    private long currentBytes;
    private long currentInputs;
    private long currentTokens;
    private Map<String, TokenEstimate> currentEstimates;

    /**
     * {@code stager} null: a validation-only pass, nothing is staged. {@code finisher} completes
     * shards in the background, one at a time.
     */
    ShardCutter(IngestPass.Stager stager, IngestLimits limits, ExecutorService finisher) {
        this.stager = stager;
        this.limits = limits;
        this.finisher = finisher;
    }

    /** Whether lines are still staged: the pass stages, and the file broke no rule so far. */
    boolean staging() {
        return stager != null;
    }

    /** The file is rejected: the open shard is aborted and nothing more is staged. */
    void stop() {
        abort();
        stager = null;
    }

    /** How many shards are completely staged so far. */
    int stagedCount() {
        return shards.size();
    }

    /** The shards completely staged, in order; whole once {@link #awaitFinishing} has returned. */
    List<IngestPass.StagedShard> staged() {
        return List.copyOf(shards);
    }

    /**
     * Adds one valid line to the open shard, first closing it when the line would take it past any
     * limit: requests, bytes counted with the line's newline, inputs, or the input tokens its
     * model's queue takes ({@code tokenLimit}, {@link Long#MAX_VALUE} for none). {@code model} and
     * {@code tokens} are the line's estimate, kept per shard.
     */
    void add(
            byte[] data,
            int from,
            int len,
            long inputs,
            String model,
            TokenEstimate tokens,
            long tokenLimit)
            throws IOException {
        long size = len + 1L;
        if (current != null
                && (currentRequests == limits.maxRequestsPerShard()
                        || currentBytes + size > limits.maxBytesPerShard()
                        || currentInputs + inputs > limits.maxInputsPerShard()
                        || TokenEstimate.saturatedSum(currentTokens, tokens.inputTokens())
                                > tokenLimit)) {
            finishShard();
        }
        if (current == null) {
            currentIndex = ++opened;
            current = stager.open(currentIndex);
            currentRequests = 0;
            currentBytes = 0;
            currentInputs = 0;
            currentTokens = 0;
            currentEstimates = new TreeMap<>();
        }
        current.write(data, from, len);
        current.write('\n');
        currentRequests++;
        currentBytes += size;
        currentInputs += inputs;
        currentTokens = TokenEstimate.saturatedSum(currentTokens, tokens.inputTokens());
        currentEstimates.merge(model, tokens, TokenEstimate::plus);
    }

    /**
     * Completes the shard in the background and goes on reading: completing a multipart upload
     * waits for its last parts, and a reader that stops reading the input for long is cut off by
     * the server. One completion is pending at most; shards are reported in order.
     */
    private void finishShard() throws IOException {
        awaitFinishing();
        ObjectStore.Upload done = current;
        IngestPass.Stager to = stager;
        IngestPass.StagedShard s =
                new IngestPass.StagedShard(
                        currentIndex, currentRequests, currentBytes, Map.copyOf(currentEstimates));
        current = null;
        finishing =
                CompletableFuture.runAsync(
                        () -> {
                            try (done) {
                                done.complete();
                                shards.add(s);
                                to.staged(s);
                            } catch (IOException e) {
                                throw new UncheckedIOException(
                                        "staging shard " + s.index() + " failed", e);
                            }
                        },
                        finisher);
    }

    /** Waits for the shard completing in the background, if one is; its failure is thrown here. */
    void awaitFinishing() throws IOException {
        if (finishing != null) {
            CompletableFuture<Void> f = finishing;
            finishing = null;
            IngestPass.await(f);
        }
    }

    /** The file ended clean: the open shard is completed too, and waited for. */
    void finish() throws IOException {
        if (stager != null && current != null) {
            finishShard();
        }
        awaitFinishing();
    }

    /** Discards the open shard (an upload closed without completing is not kept). */
    void abort() {
        if (current != null) {
            try {
                current.close();
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "aborting staged shard " + currentIndex + " failed", e);
            } finally {
                current = null;
            }
        }
    }
}
